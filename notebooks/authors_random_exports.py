"""Random-weight stand-ins for the authors' four released CIFAR-100 checkpoints, in the authors' file layout, for
notebook 07 when the real files are not in data/checkpoints/: .pth.tar files holding {'name': ..., 'state_dict': ...}
with the key names the authors' code saved:
- ViT-Ti, PiT-Ti, Swin-Ti: timm.create_model(..., pretrained=False) with the authors' configurations, the state dict
  converted to timm <= 0.6 keys (their timm 0.5.4): PiT pooling at transformers.{0,1}.pool, Swin patch merging at
  layers.{0,1,2}.downsample, `head` not `head.fc`, Swin's relative_position_index and attn_mask buffers saved
  (the conversion is the timm cross-check's, test/crosscheck/py/timm_reference.py);
- ResNet-50: the authors' own CIFAR ResNet key names (layer0, layerS.B.convK, classifier.0.dense; the module of
  notebooks/demo_checkpoints.py), torch's default initialisation.

usage: authors_random_exports.py REQUEST.json   (in timm's virtual environment: bash scripts/setup-tests/20-timm.sh)
REQUEST: {"data": CIFAR-format dir (test.bin), "out": dir, "checkImages": n, "seed": s,
          "models": [{"name", "kind": "timm" | "authors-resnet", "family", "timm", "overrides", "config"}]}
Writes out/<name>.pth.tar (kept when it exists) and out/<name>.json: PyTorch's logits of the first checkImages test
images, so the notebook can check the imported model against PyTorch.
"""
import json
import os
import sys

import torch

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
sys.path.insert(0, os.path.join(HERE, '..', 'test', 'crosscheck', 'py'))
from demo_checkpoints import AuthorsResNet, read_cifar  # noqa: E402


def build(m):
    if m['kind'] == 'authors-resnet':
        model = AuthorsResNet(m['config'])
        return model, model.state_dict()
    import timm
    from timm_reference import to_timm06
    model = timm.create_model(m['timm'], pretrained=False, **m.get('overrides', {}))
    return model, to_timm06(m['family'], model.state_dict(), model)


def main():
    req = json.load(open(sys.argv[1]))
    torch.set_num_threads(1)
    torch.manual_seed(req['seed'])
    os.makedirs(req['out'], exist_ok=True)
    xt, yt = read_cifar(os.path.join(req['data'], 'test.bin'), req['checkImages'])
    for m in req['models']:
        file = os.path.join(req['out'], m['name'] + '.pth.tar')
        if os.path.exists(file):
            print(f'[pytorch] {file} exists; kept', flush=True)
            continue
        model, state_dict = build(m)
        model.eval()
        with torch.no_grad():
            logits = model(xt)
        acc = (logits.argmax(1) == yt).float().mean().item() * 100
        info = {'name': m['name'], 'kind': m['kind'], 'torch': torch.__version__, 'checkImages': int(xt.shape[0]),
                'accuracy': acc, 'logits': logits.reshape(-1).tolist(), 'shape': list(logits.shape)}
        with open(os.path.join(req['out'], m['name'] + '.json.tmp'), 'w') as f:
            json.dump(info, f)
        os.replace(os.path.join(req['out'], m['name'] + '.json.tmp'), os.path.join(req['out'], m['name'] + '.json'))
        tmp = file + '.tmp'
        torch.save({'name': m['name'], 'state_dict': {k: v.contiguous() for k, v in state_dict.items()}}, tmp)
        os.replace(tmp, file)  # the checkpoint appears last: its presence means both files are complete
        params = sum(p.numel() for p in model.parameters())
        print(f'[pytorch] wrote {file}: random weights, {params:,} parameters, {len(state_dict)} state-dict entries', flush=True)


if __name__ == '__main__':
    main()
