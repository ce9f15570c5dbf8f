"""What Pillow and torchvision make of image files, for test/data/images.test.ts (Pillow and torchvision are
what timm's loader and evaluation transform, and the authors' notebooks, run).

usage: pil_reference.py JOB.json OUT_DIR
JOB: {"files": [path, ...], "transforms": [{"name", "kind": "timm-eval" | "authors-fourier", "size", "crop_pct",
      "interpolation", "mean", "std"}, ...]}
Writes OUT_DIR/<i>.rgb (Image.open(f).convert('RGB') bytes, HWC) and OUT_DIR/<i>.<name>.f32 (the transformed,
normalised image as float32, HWC) for each file i, and prints a JSON line {"sizes": [[w, h], ...], "errors": [...]}.
"""
import json
import math
import os
import sys

import numpy as np
from PIL import Image


def main():
    job = json.load(open(sys.argv[1]))
    out = sys.argv[2]
    sizes, errors = [], []
    for i, f in enumerate(job['files']):
        try:
            im = Image.open(f).convert('RGB')
        except Exception as e:  # what Pillow says about a bad file
            sizes.append(None)
            errors.append(f'{type(e).__name__}: {e}')
            continue
        errors.append(None)
        sizes.append(list(im.size))
        np.asarray(im, dtype=np.uint8).tofile(os.path.join(out, f'{i}.rgb'))
        for t in job['transforms']:
            np.asarray(transform(im, t), dtype=np.float32).tofile(os.path.join(out, f'{i}.{t["name"]}.f32'))
    print(json.dumps({'sizes': sizes, 'errors': errors}))


def transform(im, t):
    resample = {'bicubic': Image.BICUBIC, 'bilinear': Image.BILINEAR, 'nearest': Image.NEAREST}[t['interpolation']]
    if t['kind'] == 'authors-fourier':
        # fourier_analysis.ipynb: x.resize((224, 224)), np.array(x) / 255., minus mean, over std (float64), then float32
        x = np.array(im.resize((t['size'], t['size']))) / 255.0
        return ((x - np.array(t['mean'])) / np.array(t['std'])).astype(np.float32)
    # timm's transforms_imagenet_eval (crop_mode 'center'): Resize(floor(size / crop_pct)), CenterCrop, ToTensor, Normalize
    import torch
    from torchvision import transforms
    interp = {'bicubic': transforms.InterpolationMode.BICUBIC, 'bilinear': transforms.InterpolationMode.BILINEAR,
              'nearest': transforms.InterpolationMode.NEAREST}[t['interpolation']]
    tf = transforms.Compose([
        transforms.Resize(math.floor(t['size'] / t['crop_pct']), interpolation=interp),
        transforms.CenterCrop(t['size']),
        transforms.ToTensor(),
        transforms.Normalize(torch.tensor(t['mean']), torch.tensor(t['std'])),
    ])
    return tf(im).permute(1, 2, 0).numpy()


if __name__ == '__main__':
    main()
