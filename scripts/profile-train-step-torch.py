"""PyTorch CPU reference for scripts/profile-train-step.ts: one training step (forward, backward, Adam) of the
same small CIFAR ViT (patch 4, dim 192, depth 6, 3 heads, MLP ratio 4, class token, drop path 0.1) and CIFAR
ResNet-20 (16-32-64, option-A shortcut), NHWC-equivalent inputs 32x32x3, 100 classes.
Usage: python3 scripts/profile-train-step-torch.py MODEL BATCH STEPS WARMUP THREADS  -> one JSON line."""
import json
import sys
import time

import torch
import torch.nn as nn
import torch.nn.functional as F


class Block(nn.Module):
    def __init__(self, d, heads, hidden, dpr):
        super().__init__()
        self.norm1, self.norm2 = nn.LayerNorm(d, eps=1e-6), nn.LayerNorm(d, eps=1e-6)
        self.qkv, self.proj = nn.Linear(d, 3 * d), nn.Linear(d, d)
        self.fc1, self.fc2 = nn.Linear(d, hidden), nn.Linear(hidden, d)
        self.heads, self.dpr = heads, dpr

    def drop_path(self, x):
        if not self.training or self.dpr == 0:
            return x
        keep = (torch.rand(x.shape[0], 1, 1) >= self.dpr).float() / (1 - self.dpr)
        return x * keep

    def forward(self, x):
        b, n, d = x.shape
        q, k, v = self.qkv(self.norm1(x)).reshape(b, n, 3, self.heads, d // self.heads).permute(2, 0, 3, 1, 4)
        a = torch.softmax((q * (d // self.heads) ** -0.5) @ k.transpose(-2, -1), dim=-1) @ v
        x = x + self.drop_path(self.proj(a.transpose(1, 2).reshape(b, n, d)))
        return x + self.drop_path(self.fc2(F.gelu(self.fc1(self.norm2(x)))))


class ViT(nn.Module):
    def __init__(self, patch=4, d=192, depth=6, heads=3, ratio=4, classes=100):
        super().__init__()
        self.embed = nn.Conv2d(3, d, patch, patch)
        self.cls = nn.Parameter(torch.zeros(1, 1, d))
        self.pos = nn.Parameter(torch.zeros(1, (32 // patch) ** 2 + 1, d))
        self.blocks = nn.ModuleList([Block(d, heads, d * ratio, 0.1 * i / (depth - 1)) for i in range(depth)])
        self.norm, self.head = nn.LayerNorm(d, eps=1e-6), nn.Linear(d, classes)

    def forward(self, x):
        t = self.embed(x).flatten(2).transpose(1, 2)
        t = torch.cat([self.cls.expand(t.shape[0], -1, -1), t], 1) + self.pos
        for blk in self.blocks:
            t = blk(t)
        return self.head(self.norm(t[:, 0]))


class Basic(nn.Module):
    def __init__(self, cin, cout, stride):
        super().__init__()
        self.c1, self.b1 = nn.Conv2d(cin, cout, 3, stride, 1, bias=False), nn.BatchNorm2d(cout)
        self.c2, self.b2 = nn.Conv2d(cout, cout, 3, 1, 1, bias=False), nn.BatchNorm2d(cout)
        self.stride, self.pad = stride, cout - cin

    def forward(self, x):
        y = self.b2(self.c2(F.relu(self.b1(self.c1(x)))))
        s = x[:, :, ::2, ::2] if self.stride == 2 else x
        if self.pad:
            s = F.pad(s, (0, 0, 0, 0, self.pad // 2, self.pad - self.pad // 2))
        return F.relu(y + s)


class ResNet20(nn.Module):
    def __init__(self, classes=100):
        super().__init__()
        self.stem, self.bn = nn.Conv2d(3, 16, 3, 1, 1, bias=False), nn.BatchNorm2d(16)
        layers, cin = [], 16
        for i, w in enumerate([16, 32, 64]):
            for j in range(3):
                layers.append(Basic(cin, w, 2 if (i > 0 and j == 0) else 1))
                cin = w
        self.layers, self.fc = nn.Sequential(*layers), nn.Linear(64, classes)

    def forward(self, x):
        return self.fc(self.layers(F.relu(self.bn(self.stem(x)))).mean((2, 3)))


def main():
    name, batch, steps, warmup, threads = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), int(sys.argv[4]), int(sys.argv[5])
    torch.set_num_threads(threads)
    torch.manual_seed(0)
    model = ViT() if name.startswith('vit') else ResNet20()
    model.train()
    opt = torch.optim.Adam(model.parameters(), lr=1e-3)
    x, y = torch.randn(batch, 3, 32, 32), torch.randint(0, 100, (batch,))

    def step():
        opt.zero_grad(set_to_none=True)
        F.cross_entropy(model(x), y).backward()
        opt.step()

    for _ in range(warmup):
        step()
    t0, c0 = time.perf_counter(), time.process_time()
    for _ in range(steps):
        step()
    dt = (time.perf_counter() - t0) / steps
    cpu = (time.process_time() - c0) / steps
    print(json.dumps({'model': name, 'batch': batch, 'threads': threads, 'torch': torch.__version__,
                      'stepMs': dt * 1e3, 'cpuMsPerStep': cpu * 1e3, 'imgPerSec': batch / dt}))


if __name__ == '__main__':
    main()
