"""Random-weight stand-ins for the authors' four released CIFAR-100 checkpoints, in the authors' file layout, for
notebook 07 when the real files are not in data/checkpoints/: .pth.tar files holding {'name': ..., 'state_dict': ...}
with the key names the authors' code saved:
- ViT-Ti, PiT-Ti, Swin-Ti: timm.create_model(..., pretrained=False) with the authors' configurations, the state dict
  converted to timm <= 0.6 keys (their timm 0.5.4): PiT pooling at transformers.{0,1}.pool, Swin patch merging at
  layers.{0,1,2}.downsample, `head` not `head.fc`, Swin's relative_position_index and attn_mask buffers saved
  (the conversion is the timm cross-check's, test/crosscheck/py/timm_reference.py);
- ResNet-50: the authors' own CIFAR ResNet key names (models/resnet.py with dnn blocks and stem=False: layer0,
  layerS.B.convK, layerS.B.shortcut, classifier.0.dense; the module below), torch's default initialisation.

usage: authors_random_exports.py REQUEST.json   (in timm's virtual environment: bash scripts/setup-tests/20-timm.sh)
REQUEST: {"data": CIFAR-format dir (test.bin), "out": dir, "checkImages": n, "seed": s,
          "models": [{"name", "kind": "timm" | "authors-resnet", "family", "timm", "overrides", "config"}]}
Writes out/<name>.pth.tar (kept when it exists) and out/<name>.json: PyTorch's logits of the first checkImages test
images, so the notebook can check the imported model against PyTorch.
"""
import json
import os
import sys

import numpy as np
import torch
import torch.nn as nn
import torch.nn.functional as F

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, '..', 'test', 'crosscheck', 'py'))

MEAN = (0.5071, 0.4867, 0.4408)  # CIFAR-100, as vitscope and the authors normalise
STD = (0.2675, 0.2565, 0.2761)


# ---- the authors' CIFAR ResNet key names: layer0.{0,1}, layerS.B.convK.{0,1}, layerS.B.shortcut.{0,1}, classifier.0.dense

def conv_bn(cin, cout, k, stride=1):
    return nn.Sequential(nn.Conv2d(cin, cout, k, stride=stride, padding=k // 2, bias=False), nn.BatchNorm2d(cout))


class Basic(nn.Module):
    expansion = 1

    def __init__(self, cin, planes, stride):
        super().__init__()
        self.conv1 = nn.Sequential(*conv_bn(cin, planes, 3, stride), nn.ReLU())
        self.conv2 = conv_bn(planes, planes, 3)
        self.shortcut = conv_bn(cin, planes, 1, stride) if stride != 1 or cin != planes else nn.Sequential()

    def forward(self, x):
        return F.relu(self.conv2(self.conv1(x)) + self.shortcut(x))


class Bottleneck(nn.Module):
    expansion = 4

    def __init__(self, cin, planes, stride):
        super().__init__()
        self.conv1 = nn.Sequential(*conv_bn(cin, planes, 1), nn.ReLU())
        self.conv2 = nn.Sequential(*conv_bn(planes, planes, 3, stride), nn.ReLU())
        self.conv3 = conv_bn(planes, 4 * planes, 1)
        self.shortcut = conv_bn(cin, 4 * planes, 1, stride) if stride != 1 or cin != 4 * planes else nn.Sequential()

    def forward(self, x):
        return F.relu(self.conv3(self.conv2(self.conv1(x))) + self.shortcut(x))


class Classifier(nn.Module):
    def __init__(self, features, classes):
        super().__init__()
        self.dense = nn.Linear(features, classes)

    def forward(self, x):
        return self.dense(x.mean(dim=(2, 3)))


class AuthorsResNet(nn.Module):
    def __init__(self, c):
        super().__init__()
        if c.get('stem', 'cifar') != 'cifar' or c['shortcut'] != 'B':
            raise SystemExit("authors_random_exports: the authors' ResNet has a 3x3 stem and projection shortcuts (stem 'cifar', shortcut 'B')")
        block = Bottleneck if c['block'] == 'bottleneck' else Basic
        self.layer0 = nn.Sequential(*conv_bn(3, c['stemWidth'], 3), nn.ReLU())
        cin = c['stemWidth']
        self.stages = len(c['widths'])
        for s, (planes, n) in enumerate(zip(c['widths'], c['stageBlocks'])):
            blocks = []
            for j in range(n):
                blocks.append(block(cin, planes, 2 if j == 0 and s > 0 else 1))
                cin = planes * block.expansion
            setattr(self, f'layer{s + 1}', nn.Sequential(*blocks))
        self.classifier = nn.Sequential(Classifier(cin, c['numClasses']))

    def forward(self, x):
        x = self.layer0(x)
        for s in range(self.stages):
            x = getattr(self, f'layer{s + 1}')(x)
        return self.classifier(x)


# ---- data -------------------------------------------------------------------------------------------------

def read_cifar(path, count=None):
    """CIFAR-100 binary records: coarse label, fine label, 3072 bytes (R, G, B planes of 32x32)."""
    raw = np.fromfile(path, dtype=np.uint8).reshape(-1, 3074)
    if count is not None:
        raw = raw[:count]
    x = torch.from_numpy(raw[:, 2:].reshape(-1, 3, 32, 32).astype(np.float32) / 255.0)
    x = (x - torch.tensor(MEAN).view(1, 3, 1, 1)) / torch.tensor(STD).view(1, 3, 1, 1)
    return x, torch.from_numpy(raw[:, 1].astype(np.int64))




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
