#!/usr/bin/env python3
"""PyTorch reference for `npm run bench`: the same architectures and training step (forward, backward,
gradient-norm clipping at 5 as in the recipes' `clip-norm`, AdamW update) as bench/train-step.ts, timed the same way (warm-up excluded, median over timed steps).
Prints one JSON line per (model, batch) on stdout; notes go to stderr. Benchmark reference only.

usage: torch_step.py --models vit-cpu,swin-cpu,resnet-20,alternet-20 --batches 32,128 --steps 5 --warmup 2 [--threads 1,N]
Each (model, batch) is measured at every thread count in --threads (default: 1 and all cores), since the faster
setting differs between models and batch sizes.
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


class WindowAttention(nn.Module):
    """Attention inside ws x ws windows with a relative-position-bias table of (2ws-1)^2 x heads (Swin)."""

    def __init__(self, dim, heads, ws, qkv_bias=True):
        super().__init__()
        self.heads, self.ws = heads, ws
        self.qkv = nn.Linear(dim, 3 * dim, bias=qkv_bias)
        self.proj = nn.Linear(dim, dim)
        self.relative_position_bias_table = nn.Parameter(torch.randn((2 * ws - 1) ** 2, heads) * 0.02)
        self.register_buffer("index", relative_index(ws), persistent=False)

    def forward(self, x, mask=None):
        g, n, c = x.shape
        qkv = self.qkv(x).reshape(g, n, 3, self.heads, c // self.heads).permute(2, 0, 3, 1, 4)
        q, k, v = qkv[0], qkv[1], qkv[2]
        att = (q * (c // self.heads) ** -0.5) @ k.transpose(-2, -1)
        bias = self.relative_position_bias_table[self.index.view(-1)].view(n, n, -1).permute(2, 0, 1)
        att = att + bias.unsqueeze(0)
        if mask is not None:
            nw = mask.shape[0]
            att = att.view(g // nw, nw, self.heads, n, n) + mask.view(1, nw, 1, n, n)
            att = att.view(g, self.heads, n, n)
        return self.proj((att.softmax(dim=-1) @ v).transpose(1, 2).reshape(g, n, c))


def relative_index(ws):
    coords = torch.stack(torch.meshgrid(torch.arange(ws), torch.arange(ws), indexing="ij")).flatten(1)
    rel = (coords[:, :, None] - coords[:, None, :]).permute(1, 2, 0) + (ws - 1)
    return rel[:, :, 0] * (2 * ws - 1) + rel[:, :, 1]


def window_partition(x, ws):  # [B, H, W, C] -> [B*nW, ws*ws, C]
    b, h, w, c = x.shape
    return x.view(b, h // ws, ws, w // ws, ws, c).permute(0, 1, 3, 2, 4, 5).reshape(-1, ws * ws, c)


def window_reverse(x, ws, b, h, w):
    return x.view(b, h // ws, w // ws, ws, ws, -1).permute(0, 1, 3, 2, 4, 5).reshape(b, h, w, -1)


def shift_mask(res, ws, shift):
    region = torch.zeros(res, res)
    bands = (slice(0, -ws), slice(-ws, -shift), slice(-shift, None))
    rid = 0
    for hs in bands:
        for wsl in bands:
            region[hs, wsl] = rid
            rid += 1
    ids = window_partition(region.view(1, res, res, 1), ws).squeeze(-1)
    return (ids[:, None, :] != ids[:, :, None]).float() * -100.0


class SwinBlock(nn.Module):
    def __init__(self, dim, heads, res, ws, shift, drop_path, mlp_ratio=4):
        super().__init__()
        self.ws, self.shift = ws, shift
        self.norm1 = nn.LayerNorm(dim)
        self.attn = WindowAttention(dim, heads, ws)
        self.norm2 = nn.LayerNorm(dim)
        self.fc1 = nn.Linear(dim, dim * mlp_ratio)
        self.fc2 = nn.Linear(dim * mlp_ratio, dim)
        self.drop_path = DropPath(drop_path)
        self.register_buffer("mask", shift_mask(res, ws, shift) if shift else None, persistent=False)

    def forward(self, x):  # [B, H, W, C]
        b, h, w, c = x.shape
        y = self.norm1(x)
        if self.shift:
            y = torch.roll(y, (-self.shift, -self.shift), (1, 2))
        y = window_reverse(self.attn(window_partition(y, self.ws), self.mask), self.ws, b, h, w)
        if self.shift:
            y = torch.roll(y, (self.shift, self.shift), (1, 2))
        x = x + self.drop_path(y)
        return x + self.drop_path(self.fc2(F.gelu(self.fc1(self.norm2(x)))))


class PatchMerging(nn.Module):
    def __init__(self, dim):
        super().__init__()
        self.norm = nn.LayerNorm(4 * dim)
        self.reduction = nn.Linear(4 * dim, 2 * dim, bias=False)

    def forward(self, x):
        x0, x1, x2, x3 = x[:, 0::2, 0::2], x[:, 1::2, 0::2], x[:, 0::2, 1::2], x[:, 1::2, 1::2]
        return self.reduction(self.norm(torch.cat([x0, x1, x2, x3], -1)))


class Swin(nn.Module):
    """swin-cpu: patch 2, window 4, dim 64, depths 2-2-2, heads 2-4-8, MLP ratio 4, qkv bias, drop path 0.1."""

    def __init__(self, image=32, patch=2, ws=4, dim=64, depths=(2, 2, 2), heads=(2, 4, 8), classes=100, drop_path=0.1):
        super().__init__()
        self.patch_embed = nn.Conv2d(3, dim, patch, patch)
        self.embed_norm = nn.LayerNorm(dim)
        total, idx, res, layers = sum(depths), 0, image // patch, []
        for s, (depth, h) in enumerate(zip(depths, heads)):
            d = dim * 2 ** s
            if s > 0:
                layers.append(PatchMerging(d // 2))
                res //= 2
            w = min(ws, res)
            for j in range(depth):
                shift = w // 2 if (j % 2 == 1 and res > ws) else 0
                layers.append(SwinBlock(d, h, res, w, shift, drop_path * idx / (total - 1)))
                idx += 1
        self.layers = nn.Sequential(*layers)
        self.norm = nn.LayerNorm(dim * 2 ** (len(depths) - 1))
        self.head = nn.Linear(dim * 2 ** (len(depths) - 1), classes)

    def forward(self, x):
        h = self.embed_norm(self.patch_embed(x).permute(0, 2, 3, 1))
        return self.head(self.norm(self.layers(h)).mean(dim=(1, 2)))


class PreActBlock(nn.Module):
    """Pre-activation basic block; a 1x1 conv of the pre-activated input as shortcut where the shape changes."""

    def __init__(self, cin, cout, stride, drop_path):
        super().__init__()
        self.bn1 = nn.BatchNorm2d(cin)
        self.conv1 = nn.Conv2d(cin, cout, 3, stride, 1, bias=False)
        self.bn2 = nn.BatchNorm2d(cout)
        self.conv2 = nn.Conv2d(cout, cout, 3, 1, 1, bias=False)
        self.shortcut = nn.Conv2d(cin, cout, 1, stride, bias=False) if (stride != 1 or cin != cout) else None
        self.drop_path = DropPath(drop_path)

    def forward(self, x):
        pre = F.relu(self.bn1(x))
        skip = self.shortcut(pre) if self.shortcut is not None else x
        return skip + self.drop_path(self.conv2(F.relu(self.bn2(self.conv1(pre)))))


class PreActBottleneck(nn.Module):
    """Pre-activation bottleneck (BN-ReLU-1x1, BN-ReLU-3x3 with the stride, BN-ReLU-1x1 x4), 1x1 projection shortcut."""

    def __init__(self, cin, planes, stride, drop_path):
        super().__init__()
        cout = 4 * planes
        self.bn1 = nn.BatchNorm2d(cin)
        self.conv1 = nn.Conv2d(cin, planes, 1, bias=False)
        self.bn2 = nn.BatchNorm2d(planes)
        self.conv2 = nn.Conv2d(planes, planes, 3, stride, 1, bias=False)
        self.bn3 = nn.BatchNorm2d(planes)
        self.conv3 = nn.Conv2d(planes, cout, 1, bias=False)
        self.shortcut = nn.Conv2d(cin, cout, 1, stride, bias=False) if (stride != 1 or cin != cout) else None
        self.drop_path = DropPath(drop_path)

    def forward(self, x):
        pre = F.relu(self.bn1(x))
        skip = self.shortcut(pre) if self.shortcut is not None else x
        r = self.conv1(pre)
        r = self.conv2(F.relu(self.bn2(r)))
        r = self.conv3(F.relu(self.bn3(r)))
        return skip + self.drop_path(r)


class AttentionBlockB(nn.Module):
    """AlterNet's MSA block: BN-GELU, 1x1 conv, BN, window attention (1x1 q/kv/proj, one bias table), identity."""

    def __init__(self, dim, heads, head_dim, ws, drop_path, width=None):
        super().__init__()
        inner = heads * head_dim
        width = width or dim  # bottleneck AlterNets attend at dim / expansion channels
        self.heads, self.ws = heads, ws
        self.bn1 = nn.BatchNorm2d(dim)
        self.conv = nn.Conv2d(dim, width, 1, bias=False)
        self.bn2 = nn.BatchNorm2d(width)
        self.q = nn.Linear(width, inner, bias=False)
        self.kv = nn.Linear(width, 2 * inner, bias=False)
        self.relative_position_bias_table = nn.Parameter(torch.randn((2 * ws - 1) ** 2, 1) * 0.02)
        self.register_buffer("index", relative_index(ws), persistent=False)
        self.proj = nn.Linear(inner, dim)
        self.drop_path = DropPath(drop_path)

    def forward(self, x):  # NCHW
        b, c, h, w = x.shape
        t = self.bn2(self.conv(F.gelu(self.bn1(x)))).permute(0, 2, 3, 1)
        win = window_partition(t, self.ws)
        g, n, _ = win.shape
        split = lambda z: z.view(g, n, self.heads, -1).transpose(1, 2)
        q, (k, v) = split(self.q(win)), [split(z) for z in self.kv(win).chunk(2, dim=-1)]
        att = (q * q.shape[-1] ** -0.5) @ k.transpose(-2, -1)
        att = att + self.relative_position_bias_table[self.index.view(-1)].view(1, 1, n, n)
        out = self.proj((att.softmax(dim=-1) @ v).transpose(1, 2).reshape(g, n, -1))
        out = window_reverse(out, self.ws, b, h, w).permute(0, 3, 1, 2)
        return x + self.drop_path(out)


class AlterNet20(nn.Module):
    """alternet-20: pre-activation ResNet-20 (16/32/64) with MSA blocks as the last block of stages 2 and 3."""

    def __init__(self, classes=100, widths=(16, 32, 64), blocks=(3, 3, 3), msa=((), (2,), (2,)), heads=(1, 2, 4),
                 head_dim=16, ws=4, drop_path=0.1, bottleneck=False, stem=None):
        super().__init__()
        expansion = 4 if bottleneck else 1
        stem = stem or widths[0]
        self.stem = nn.Conv2d(3, stem, 3, 1, 1, bias=False)
        total, idx, cin, res, layers = sum(blocks), 0, stem, 32, []
        for s, (wd, nb) in enumerate(zip(widths, blocks)):
            for j in range(nb):
                rate = drop_path * idx / (total - 1)
                stride = 2 if (j == 0 and s > 0) else 1
                if j in msa[s]:
                    layers.append(AttentionBlockB(cin, heads[s], head_dim, min(ws, res), rate, width=max(1, cin // expansion)))
                elif bottleneck:
                    layers.append(PreActBottleneck(cin, wd, stride, rate))
                else:
                    layers.append(PreActBlock(cin, wd, stride, rate))
                res //= stride
                cin = wd * expansion
                idx += 1
        self.layers = nn.Sequential(*layers)
        self.norm = nn.BatchNorm2d(cin)
        self.head = nn.Linear(cin, classes)

    def forward(self, x):
        h = F.relu(self.norm(self.layers(self.stem(x))))
        return self.head(h.mean(dim=(2, 3)))


def alternet_50():
    """The paper's Alter-ResNet-50 (the authors' models/alternet.py): pre-activation bottlenecks 3-4-6-4, MSA blocks
    at the ends of stages 2 and 3 and as blocks 2 and 4 of stage 4."""
    return AlterNet20(widths=(64, 128, 256, 512), blocks=(3, 4, 6, 4), msa=((), (3,), (5,), (1, 3)), heads=(3, 6, 12, 24),
                      head_dim=64, ws=4, bottleneck=True, stem=64)


def resnet_50():
    """The authors' CIFAR ResNet-50 (models/resnet.py, stem=False): torchvision's bottlenecks (stride on the 3x3),
    a 3x3 stride-1 stem and no max-pool."""
    import torchvision
    m = torchvision.models.resnet50(num_classes=100)
    m.conv1 = nn.Conv2d(3, 64, 3, 1, 1, bias=False)
    m.maxpool = nn.Identity()
    return m


def timm_model(name, **overrides):
    """A model from timm's own modules (the paper's and our users' reference), built without weights."""
    def build():
        import timm  # a pinned timm in a virtual environment over Debian's torch (scripts/setup-tests/20-timm.sh)
        return timm.create_model(name, pretrained=False, **overrides)
    return build


def timm_class(cls, **kwargs):
    """A timm model class with the given sizes (no registered name has them)."""
    def build():
        import timm
        return getattr(timm.models, cls)(**kwargs)
    return build


# The paper's presets, as timm builds them where timm has the model (the authors trained timm's modules).
PAPER_MODELS = {
    "vit-ti": timm_model("vit_tiny_patch16_224", img_size=32, patch_size=2, qkv_bias=False, num_classes=100),
    "swin-ti": timm_model("swin_tiny_patch4_window7_224", img_size=32, patch_size=1, window_size=4, qkv_bias=False, num_classes=100),
    "pit-ti": timm_model("pit_ti_224", img_size=32, patch_size=2, stride=1, base_dims=[32, 32, 32], depth=[2, 6, 4], heads=[2, 4, 8], num_classes=100),
    "mixer-ti": timm_class("MlpMixer", img_size=32, patch_size=2, num_blocks=8, embed_dim=256, mlp_ratio=(0.5, 4.0), num_classes=100),
    "mobilevit-xxs": timm_model("mobilevit_xxs", num_classes=100),
    "resnet-50": resnet_50,
    "alternet-50": alternet_50,
}
# Input size per model (mobilevit-xxs is timm's 256x256 model; every preset here has 100 classes, as ours).
IMAGE_SIZE = {"mobilevit-xxs": 256}

MODELS = {"vit-cpu": ViT, "swin-cpu": Swin, "resnet-20": ResNet20, "alternet-20": AlterNet20, **PAPER_MODELS}


# The recipes' gradient-norm clip (configs/*.json "clip-norm"); bench/train-step.ts clips at the same norm.
CLIP_NORM = 5.0


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--models", default="vit-cpu,swin-cpu,resnet-20,alternet-20")
    ap.add_argument("--batches", default="32,128")
    ap.add_argument("--steps", type=int, default=5)
    ap.add_argument("--warmup", type=int, default=2)
    ap.add_argument("--threads", default=f"1,{os.cpu_count()}")
    args = ap.parse_args()
    thread_counts = sorted({int(t) for t in args.threads.split(",")})
    torch.manual_seed(0)
    for name in args.models.split(","):
        if name not in MODELS:
            print(f"torch_step.py: unknown model '{name}', expected one of {', '.join(MODELS)}", file=sys.stderr)
            sys.exit(2)
        for batch, threads in [(int(b), t) for b in args.batches.split(",") for t in thread_counts]:
            torch.set_num_threads(threads)
            model = MODELS[name]()
            model.train()
            params = sum(p.numel() for p in model.parameters())
            opt = torch.optim.AdamW(model.parameters(), lr=1e-3, weight_decay=0.05)
            size = IMAGE_SIZE.get(name, 32)
            x = torch.randn(batch, 3, size, size)
            y = torch.randint(0, 100, (batch,))
            times = []
            for i in range(args.warmup + args.steps):
                t0 = time.perf_counter()
                loss = F.cross_entropy(model(x), y)
                opt.zero_grad(set_to_none=True)
                loss.backward()
                torch.nn.utils.clip_grad_norm_(model.parameters(), CLIP_NORM)
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
