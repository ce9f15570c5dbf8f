#!/usr/bin/env python3
"""PyTorch reference for `npm run bench`: the same architectures and training step (forward, backward,
AdamW update) as bench/train-step.ts, timed the same way (warm-up excluded, median over timed steps).
Prints one JSON line per (model, batch) on stdout; notes go to stderr. Benchmark reference only.

usage: torch_step.py --models vit-cpu,resnet-20 --batches 32,128 --steps 5 --warmup 2 [--threads N]
"""
import argparse
import json
import os
import statistics
import sys
import time

import torch
import torch.nn as nn
import torch.nn.functional as F


class DropPath(nn.Module):
    def __init__(self, p):
        super().__init__()
        self.p = p

    def forward(self, x):
        if not self.training or self.p == 0:
            return x
        keep = 1 - self.p
        mask = x.new_empty((x.shape[0],) + (1,) * (x.ndim - 1)).bernoulli_(keep)
        return x * mask / keep


class Block(nn.Module):
    def __init__(self, dim, heads, mlp_ratio, qkv_bias, drop_path):
        super().__init__()
        self.heads = heads
        self.norm1 = nn.LayerNorm(dim, eps=1e-6)
        self.qkv = nn.Linear(dim, 3 * dim, bias=qkv_bias)
        self.proj = nn.Linear(dim, dim)
        self.norm2 = nn.LayerNorm(dim, eps=1e-6)
        hidden = round(dim * mlp_ratio)
        self.fc1 = nn.Linear(dim, hidden)
        self.fc2 = nn.Linear(hidden, dim)
        self.drop_path = DropPath(drop_path)

    def forward(self, x):
        b, n, c = x.shape
        qkv = self.qkv(self.norm1(x)).reshape(b, n, 3, self.heads, c // self.heads).permute(2, 0, 3, 1, 4)
        q, k, v = qkv[0], qkv[1], qkv[2]
        att = (q @ k.transpose(-2, -1)) * (c // self.heads) ** -0.5
        a = (att.softmax(dim=-1) @ v).transpose(1, 2).reshape(b, n, c)
        x = x + self.drop_path(self.proj(a))
        x = x + self.drop_path(self.fc2(F.gelu(self.fc1(self.norm2(x)))))
        return x


class ViT(nn.Module):
    """timm-style ViT: patch 4, dim 192, depth 6, 3 heads, MLP ratio 4, class token, no qkv bias."""

    def __init__(self, image=32, patch=4, dim=192, depth=6, heads=3, mlp_ratio=4, classes=100, qkv_bias=False, drop_path=0.1):
        super().__init__()
        self.patch_embed = nn.Conv2d(3, dim, patch, patch)
        tokens = (image // patch) ** 2 + 1
        self.cls_token = nn.Parameter(torch.zeros(1, 1, dim))
        self.pos_embed = nn.Parameter(torch.randn(1, tokens, dim) * 0.02)
        rates = [drop_path * i / (depth - 1) if depth > 1 else drop_path for i in range(depth)]
        self.blocks = nn.ModuleList([Block(dim, heads, mlp_ratio, qkv_bias, r) for r in rates])
        self.norm = nn.LayerNorm(dim, eps=1e-6)
        self.head = nn.Linear(dim, classes)

    def forward(self, x):
        t = self.patch_embed(x).flatten(2).transpose(1, 2)
        t = torch.cat([self.cls_token.expand(t.shape[0], -1, -1), t], dim=1) + self.pos_embed
        for blk in self.blocks:
            t = blk(t)
        return self.head(self.norm(t[:, 0]))


class BasicBlock(nn.Module):
    def __init__(self, cin, cout, stride):
        super().__init__()
        self.conv1 = nn.Conv2d(cin, cout, 3, stride, 1, bias=False)
        self.bn1 = nn.BatchNorm2d(cout)
        self.conv2 = nn.Conv2d(cout, cout, 3, 1, 1, bias=False)
        self.bn2 = nn.BatchNorm2d(cout)
        self.pad = cout - cin if (stride != 1 or cin != cout) else None
        self.stride = stride

    def forward(self, x):
        r = F.relu(self.bn1(self.conv1(x)))
        r = self.bn2(self.conv2(r))
        skip = x
        if self.pad is not None:  # option-A shortcut: subsample, zero-pad channels
            skip = x[:, :, :: self.stride, :: self.stride]
            before = self.pad // 2
            skip = F.pad(skip, (0, 0, 0, 0, before, self.pad - before))
        return F.relu(skip + r)


class ResNet20(nn.Module):
    def __init__(self, classes=100, widths=(16, 32, 64), blocks=(3, 3, 3)):
        super().__init__()
        self.conv = nn.Conv2d(3, widths[0], 3, 1, 1, bias=False)
        self.bn = nn.BatchNorm2d(widths[0])
        layers, cin = [], widths[0]
        for s, (w, n) in enumerate(zip(widths, blocks)):
            for j in range(n):
                layers.append(BasicBlock(cin, w, 2 if (j == 0 and s > 0) else 1))
                cin = w
        self.layers = nn.Sequential(*layers)
        self.head = nn.Linear(cin, classes)

    def forward(self, x):
        h = self.layers(F.relu(self.bn(self.conv(x))))
        return self.head(h.mean(dim=(2, 3)))


MODELS = {"vit-cpu": ViT, "resnet-20": ResNet20}


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--models", default="vit-cpu,resnet-20")
    ap.add_argument("--batches", default="32,128")
    ap.add_argument("--steps", type=int, default=5)
    ap.add_argument("--warmup", type=int, default=2)
    ap.add_argument("--threads", type=int, default=os.cpu_count())
    args = ap.parse_args()
    torch.set_num_threads(args.threads)
    torch.manual_seed(0)
    for name in args.models.split(","):
        if name not in MODELS:
            print(f"torch_step.py: unknown model '{name}', expected one of {', '.join(MODELS)}", file=sys.stderr)
            sys.exit(2)
        for batch in [int(b) for b in args.batches.split(",")]:
            model = MODELS[name]()
            model.train()
            params = sum(p.numel() for p in model.parameters())
            opt = torch.optim.AdamW(model.parameters(), lr=1e-3, weight_decay=0.05)
            x = torch.randn(batch, 3, 32, 32)
            y = torch.randint(0, 100, (batch,))
            times = []
            for i in range(args.warmup + args.steps):
                t0 = time.perf_counter()
                loss = F.cross_entropy(model(x), y)
                opt.zero_grad(set_to_none=True)
                loss.backward()
                opt.step()
                dt = time.perf_counter() - t0
                if i >= args.warmup:
                    times.append(dt)
            step = statistics.median(times)
            print(json.dumps({"model": name, "batch": batch, "params": params, "step_s": step,
                              "img_per_s": batch / step, "threads": torch.get_num_threads(),
                              "torch": torch.__version__}), flush=True)


if __name__ == "__main__":
    main()
