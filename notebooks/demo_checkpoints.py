"""Trains two small CIFAR models briefly in PyTorch and torch.save()s them as the authors release theirs
({'state_dict': ..., 'args': ...} in a .pth.tar), for notebook 07 when no checkpoint of the user's is at hand:
a timm-named VisionTransformer (the key names of the authors' ViT-Ti checkpoint) and a ResNet with the key
names of the authors' CIFAR ResNet (models/resnet.py, dnn blocks, stem=False). Both are written for this demo
(timm is not needed); their shapes come from the vitscope presets the notebook passes in.

usage: demo_checkpoints.py REQUEST.json
REQUEST: {"data": CIFAR-format dir (train.bin, test.bin), "out": dir, "trainImages": n, "batchSize": b,
          "checkImages": n, "seed": s, "models": [{"name", "kind": "timm-vit" | "authors-resnet", "config": {...}, "lr"}]}
Writes out/<name>.pth.tar (skipped when it exists) and out/<name>.json: PyTorch's logits of the first
checkImages test images and its accuracy on them, so the notebook can check the imported model against PyTorch.
"""
import json
import math
import os
import sys
import time

import numpy as np
import torch
import torch.nn as nn
import torch.nn.functional as F

MEAN = (0.5071, 0.4867, 0.4408)  # CIFAR-100, as vitscope and the authors normalise
STD = (0.2675, 0.2565, 0.2761)


# ---- timm's VisionTransformer key names: patch_embed.proj, cls_token, pos_embed, blocks.i.{norm1,attn.qkv,attn.proj,norm2,mlp.fc1,mlp.fc2}, norm, head

class PatchEmbed(nn.Module):
    def __init__(self, patch, dim):
        super().__init__()
        self.proj = nn.Conv2d(3, dim, patch, stride=patch)


class Attention(nn.Module):
    def __init__(self, dim, heads, bias):
        super().__init__()
        self.heads = heads
        self.qkv = nn.Linear(dim, 3 * dim, bias=bias)
        self.proj = nn.Linear(dim, dim)

    def forward(self, x):
        b, n, c = x.shape
        q, k, v = self.qkv(x).view(b, n, 3, self.heads, c // self.heads).permute(2, 0, 3, 1, 4)
        w = torch.softmax(q @ k.transpose(-1, -2) / math.sqrt(c // self.heads), dim=-1)
        return self.proj((w @ v).transpose(1, 2).reshape(b, n, c))


class Mlp(nn.Module):
    def __init__(self, dim, hidden):
        super().__init__()
        self.fc1 = nn.Linear(dim, hidden)
        self.fc2 = nn.Linear(hidden, dim)

    def forward(self, x):
        return self.fc2(F.gelu(self.fc1(x)))


class Block(nn.Module):
    def __init__(self, dim, heads, mlp_ratio, bias):
        super().__init__()
        self.norm1 = nn.LayerNorm(dim, eps=1e-6)
        self.attn = Attention(dim, heads, bias)
        self.norm2 = nn.LayerNorm(dim, eps=1e-6)
        self.mlp = Mlp(dim, int(dim * mlp_ratio))

    def forward(self, x):
        x = x + self.attn(self.norm1(x))
        return x + self.mlp(self.norm2(x))


class TimmViT(nn.Module):
    """Class-token ViT (vitscope pool 'cls'), as timm's VisionTransformer with global_pool='token'."""

    def __init__(self, c):
        super().__init__()
        if c.get('pool', 'cls') != 'cls':
            raise SystemExit(f"demo_checkpoints: ViT pool '{c.get('pool')}' is not written here, expected 'cls'")
        dim, tokens = c['dim'], (c['imageSize'] // c['patchSize']) ** 2
        self.patch_embed = PatchEmbed(c['patchSize'], dim)
        self.cls_token = nn.Parameter(torch.zeros(1, 1, dim))
        self.pos_embed = nn.Parameter(torch.zeros(1, tokens + 1, dim))
        self.blocks = nn.Sequential(*[Block(dim, c['heads'], c['mlpRatio'], c['qkvBias']) for _ in range(c['depth'])])
        self.norm = nn.LayerNorm(dim, eps=1e-6)
        self.head = nn.Linear(dim, c['numClasses'])
        # timm's initialisation: truncated normal 0.02 for linear weights and position embedding, zero biases
        nn.init.trunc_normal_(self.pos_embed, std=0.02)
        nn.init.normal_(self.cls_token, std=1e-6)
        for m in self.modules():
            if isinstance(m, nn.Linear):
                nn.init.trunc_normal_(m.weight, std=0.02)
                if m.bias is not None:
                    nn.init.zeros_(m.bias)

    def forward(self, x):
        t = self.patch_embed.proj(x).flatten(2).transpose(1, 2)
        t = torch.cat((self.cls_token.expand(t.shape[0], -1, -1), t), dim=1) + self.pos_embed
        return self.head(self.norm(self.blocks(t))[:, 0])


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
            raise SystemExit("demo_checkpoints: the authors' ResNet has a 3x3 stem and projection shortcuts (stem 'cifar', shortcut 'B')")
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


# ---- data and training -----------------------------------------------------------------------------------

def read_cifar(path, count=None):
    """CIFAR-100 binary records: coarse label, fine label, 3072 bytes (R, G, B planes of 32x32)."""
    raw = np.fromfile(path, dtype=np.uint8).reshape(-1, 3074)
    if count is not None:
        raw = raw[:count]
    x = torch.from_numpy(raw[:, 2:].reshape(-1, 3, 32, 32).astype(np.float32) / 255.0)
    x = (x - torch.tensor(MEAN).view(1, 3, 1, 1)) / torch.tensor(STD).view(1, 3, 1, 1)
    return x, torch.from_numpy(raw[:, 1].astype(np.int64))


def crop_flip(x, gen):
    """4-pixel padded random crop and horizontal flip (zero padding in normalised space)."""
    n = x.shape[0]
    padded = F.pad(x, (4, 4, 4, 4))
    out = torch.empty_like(x)
    dy, dx = torch.randint(0, 9, (n,), generator=gen), torch.randint(0, 9, (n,), generator=gen)
    flip = torch.rand(n, generator=gen) < 0.5
    for i in range(n):
        img = padded[i, :, dy[i]:dy[i] + 32, dx[i]:dx[i] + 32]
        out[i] = img.flip(-1) if flip[i] else img
    return out


def train(model, x, y, lr, batch, gen, name):
    """One epoch: AdamW (weight decay 0.05), linear warm-up over a tenth of the steps then cosine decay, clip 5."""
    steps = x.shape[0] // batch
    opt = torch.optim.AdamW(model.parameters(), lr=lr, weight_decay=0.05)
    warm = max(1, steps // 10)
    sched = torch.optim.lr_scheduler.LambdaLR(opt, lambda s: (s + 1) / warm if s < warm else 0.5 * (1 + math.cos(math.pi * (s - warm) / max(1, steps - warm))))
    order = torch.randperm(x.shape[0], generator=gen)
    model.train()
    t0 = time.time()
    for s in range(steps):
        idx = order[s * batch:(s + 1) * batch]
        loss = F.cross_entropy(model(crop_flip(x[idx], gen)), y[idx])
        opt.zero_grad()
        loss.backward()
        nn.utils.clip_grad_norm_(model.parameters(), 5.0)
        opt.step()
        sched.step()
        if (s + 1) % max(1, steps // 4) == 0 or s + 1 == steps:
            print(f'[pytorch] {name}: step {s + 1}/{steps}, loss {loss.item():.3f} ({time.time() - t0:.0f} s)', flush=True)
    model.eval()


def main():
    req = json.load(open(sys.argv[1]))
    torch.set_num_threads(1)  # PyTorch trains these small models faster on one thread than on two (npm run bench)
    torch.manual_seed(req['seed'])
    gen = torch.Generator().manual_seed(req['seed'])
    os.makedirs(req['out'], exist_ok=True)
    x, y = read_cifar(os.path.join(req['data'], 'train.bin'), req['trainImages'])
    xt, yt = read_cifar(os.path.join(req['data'], 'test.bin'), req['checkImages'])
    for m in req['models']:
        file = os.path.join(req['out'], m['name'] + '.pth.tar')
        if os.path.exists(file):
            print(f'[pytorch] {file} exists; not trained again', flush=True)
            continue
        model = (TimmViT if m['kind'] == 'timm-vit' else AuthorsResNet)(m['config'])
        train(model, x, y, m['lr'], req['batchSize'], gen, m['name'])
        with torch.no_grad():
            logits = model(xt)
        acc = (logits.argmax(1) == yt).float().mean().item() * 100
        info = {'name': m['name'], 'kind': m['kind'], 'torch': torch.__version__, 'trainImages': int(x.shape[0]),
                'checkImages': int(xt.shape[0]), 'accuracy': acc, 'logits': logits.reshape(-1).tolist(), 'shape': list(logits.shape)}
        tmp = file + '.tmp'
        torch.save({'state_dict': model.state_dict(), 'args': {'model': m['kind'], 'lr': m['lr'], 'epochs': 1}, 'epoch': 1}, tmp)
        with open(os.path.join(req['out'], m['name'] + '.json.tmp'), 'w') as f:
            json.dump(info, f)
        os.replace(os.path.join(req['out'], m['name'] + '.json.tmp'), os.path.join(req['out'], m['name'] + '.json'))
        os.replace(tmp, file)  # the checkpoint appears last: its presence means both files are complete
        print(f'[pytorch] wrote {file}: accuracy {acc:.1f} % on the first {xt.shape[0]} test images', flush=True)


if __name__ == '__main__':
    main()
