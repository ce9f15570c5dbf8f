"""PyTorch modules with the same mathematics as vitscope's `vit` and `resnet` families, written for the
cross-check (not timm, not torchvision): PyTorch layouts (Linear [out, in], Conv2d [out, in, kh, kw]),
eval mode only. `load_vitscope_checkpoint` builds one from a vitscope checkpoint directory and returns the
name map between the two, so gradients and vectors can be moved between layouts.

vitscope's definitions that these follow (src/models):
- ViT: conv patch embedding (kernel = stride = patch), class token prepended, learnable position embedding,
  pre-norm blocks x + proj(MSA(LN(x))), x + fc2(GELU(fc1(LN(x)))), LayerNorm eps 1e-6, exact GELU, qkv laid
  out q | k | v along channels with heads contiguous inside each, q scaled by dh^-1/2; final LN on the class
  token (or on the token mean for GAP), linear head.
- ResNet (basic blocks): 3x3 stem conv (pad 1, no bias) + BN + ReLU; blocks conv3x3(stride) BN ReLU conv3x3 BN,
  option-A shortcut (x[:, :, ::2, ::2], channels zero-padded floor(extra/2) before, the rest after) or
  option B (1x1 conv stride + BN), ReLU after the sum; GAP, linear head. BN eps 1e-5, running statistics.
"""
import json
import os

import torch
import torch.nn as nn
import torch.nn.functional as F

from tensor_io import read_safetensors


class LayerNorm(nn.Module):
    def __init__(self, dim, eps):
        super().__init__()
        self.weight = nn.Parameter(torch.ones(dim))
        self.bias = nn.Parameter(torch.zeros(dim))
        self.eps = eps

    def forward(self, x):
        return F.layer_norm(x, (x.shape[-1],), self.weight, self.bias, self.eps)


class Attention(nn.Module):
    def __init__(self, dim, heads, qkv_bias):
        super().__init__()
        self.heads = heads
        self.qkv = nn.Linear(dim, 3 * dim, bias=qkv_bias)
        self.proj = nn.Linear(dim, dim)

    def forward(self, x):
        b, n, c = x.shape
        dh = c // self.heads
        q, k, v = self.qkv(x).split(c, dim=-1)
        q, k, v = [t.reshape(b, n, self.heads, dh).transpose(1, 2) for t in (q, k, v)]
        attn = torch.softmax((q * dh ** -0.5) @ k.transpose(-2, -1), dim=-1)
        return self.proj((attn @ v).transpose(1, 2).reshape(b, n, c))


class Mlp(nn.Module):
    def __init__(self, dim, hidden):
        super().__init__()
        self.fc1 = nn.Linear(dim, hidden)
        self.fc2 = nn.Linear(hidden, dim)

    def forward(self, x):
        return self.fc2(F.gelu(self.fc1(x)))


class Block(nn.Module):
    def __init__(self, dim, heads, hidden, qkv_bias):
        super().__init__()
        self.norm1 = LayerNorm(dim, 1e-6)
        self.attn = Attention(dim, heads, qkv_bias)
        self.norm2 = LayerNorm(dim, 1e-6)
        self.mlp = Mlp(dim, hidden)


class ViT(nn.Module):
    def __init__(self, cfg):
        super().__init__()
        d, p = cfg["dim"], cfg["patchSize"]
        self.cfg = cfg
        self.grid = cfg["imageSize"] // p
        self.cls = cfg["pool"] == "cls"
        self.patch_embed = nn.Conv2d(3, d, kernel_size=p, stride=p)
        if self.cls:
            self.cls_token = nn.Parameter(torch.zeros(1, 1, d))
        self.pos_embed = nn.Parameter(torch.zeros(1, self.grid ** 2 + (1 if self.cls else 0), d))
        hidden = round(d * cfg["mlpRatio"])
        self.blocks = nn.ModuleList([Block(d, cfg["heads"], hidden, cfg["qkvBias"]) for _ in range(cfg["depth"])])
        self.norm = LayerNorm(d, 1e-6)
        self.head = nn.Linear(d, cfg["numClasses"])

    def _map(self, t):
        """Tokens [B, N(+1), C] -> NCHW without the class token ("b (h w) c -> b c h w")."""
        if self.cls:
            t = t[:, 1:]
        b, n, c = t.shape
        return t.transpose(1, 2).reshape(b, c, self.grid, self.grid)

    def forward(self, x, features=None):
        t = self.patch_embed(x).flatten(2).transpose(1, 2)
        if self.cls:
            t = torch.cat([self.cls_token.expand(t.shape[0], -1, -1), t], dim=1)
        t = t + self.pos_embed
        if features is not None:
            features.append(("patch_embed", self._map(t)))
        for i, blk in enumerate(self.blocks):
            t = t + blk.attn(blk.norm1(t))
            if features is not None:
                features.append(("blocks.%d.attn" % i, self._map(t)))
            t = t + blk.mlp(blk.norm2(t))
            if features is not None:
                features.append(("blocks.%d.mlp" % i, self._map(t)))
        pooled = t[:, 0] if self.cls else t.mean(dim=1)
        return self.head(self.norm(pooled))

    def name_map(self):
        """(torch parameter name, vitscope parameter name, layout) for every parameter."""
        out = [("patch_embed.weight", "patch_embed.proj.kernel", "conv"), ("patch_embed.bias", "patch_embed.proj.bias", "same")]
        if self.cls:
            out.append(("cls_token", "cls_token", "same"))
        out.append(("pos_embed", "pos_embed", "same"))
        for i in range(len(self.blocks)):
            b = "blocks.%d" % i
            out += [("%s.norm1.weight" % b, "%s.norm1.gamma" % b, "same"), ("%s.norm1.bias" % b, "%s.norm1.beta" % b, "same"),
                    ("%s.attn.qkv.weight" % b, "%s.attn.qkv.kernel" % b, "dense")]
            if self.cfg["qkvBias"]:
                out.append(("%s.attn.qkv.bias" % b, "%s.attn.qkv.bias" % b, "same"))
            out += [("%s.attn.proj.weight" % b, "%s.attn.proj.kernel" % b, "dense"), ("%s.attn.proj.bias" % b, "%s.attn.proj.bias" % b, "same"),
                    ("%s.norm2.weight" % b, "%s.norm2.gamma" % b, "same"), ("%s.norm2.bias" % b, "%s.norm2.beta" % b, "same"),
                    ("%s.mlp.fc1.weight" % b, "%s.mlp.fc1.kernel" % b, "dense"), ("%s.mlp.fc1.bias" % b, "%s.mlp.fc1.bias" % b, "same"),
                    ("%s.mlp.fc2.weight" % b, "%s.mlp.fc2.kernel" % b, "dense"), ("%s.mlp.fc2.bias" % b, "%s.mlp.fc2.bias" % b, "same")]
        out += [("norm.weight", "norm.gamma", "same"), ("norm.bias", "norm.beta", "same"),
                ("head.weight", "head.kernel", "dense"), ("head.bias", "head.bias", "same")]
        return out


class BatchNorm(nn.BatchNorm2d):
    """nn.BatchNorm2d, eps 1e-5; the check runs it in eval mode (running statistics)."""


class BasicBlock(nn.Module):
    def __init__(self, cin, planes, stride, shortcut):
        super().__init__()
        self.conv1 = nn.Conv2d(cin, planes, 3, stride, 1, bias=False)
        self.bn1 = BatchNorm(planes)
        self.conv2 = nn.Conv2d(planes, planes, 3, 1, 1, bias=False)
        self.bn2 = BatchNorm(planes)
        self.stride = stride
        self.cout = planes
        self.mode = shortcut if (stride != 1 or cin != planes) else None
        if self.mode == "B":
            self.short_conv = nn.Conv2d(cin, planes, 1, stride, bias=False)
            self.short_bn = BatchNorm(planes)

    def forward(self, x):
        r = self.bn2(self.conv2(F.relu(self.bn1(self.conv1(x)))))
        if self.mode == "A":
            s = x[:, :, ::self.stride, ::self.stride]
            extra = self.cout - s.shape[1]
            s = F.pad(s, (0, 0, 0, 0, extra // 2, extra - extra // 2))
        elif self.mode == "B":
            s = self.short_bn(self.short_conv(x))
        else:
            s = x
        return F.relu(s + r)


class ResNet(nn.Module):
    def __init__(self, cfg):
        super().__init__()
        if cfg["block"] != "basic":
            raise ValueError("cross-check ResNet: only basic blocks are written, got %r" % cfg["block"])
        self.cfg = cfg
        self.stem_conv = nn.Conv2d(3, cfg["stemWidth"], 3, 1, 1, bias=False)
        self.stem_bn = BatchNorm(cfg["stemWidth"])
        self.block_names = []
        blocks = []
        cin = cfg["stemWidth"]
        for s, (planes, n) in enumerate(zip(cfg["widths"], cfg["stageBlocks"])):
            for j in range(n):
                stride = 2 if (j == 0 and s > 0) else 1
                blocks.append(BasicBlock(cin, planes, stride, cfg["shortcut"]))
                self.block_names.append("layers.%d.blocks.%d" % (s, j))
                cin = planes
        self.blocks = nn.ModuleList(blocks)
        self.head = nn.Linear(cin, cfg["numClasses"])

    def forward(self, x, features=None):
        h = F.relu(self.stem_bn(self.stem_conv(x)))
        if features is not None:
            features.append(("stem", h))
        for name, blk in zip(self.block_names, self.blocks):
            h = blk(h)
            if features is not None:
                features.append((name, h))
        return self.head(h.mean(dim=(2, 3)))

    def name_map(self):
        def bn(t, v):
            return [("%s.weight" % t, "%s.gamma" % v, "same"), ("%s.bias" % t, "%s.beta" % v, "same")]
        out = [("stem_conv.weight", "stem.conv.kernel", "conv")] + bn("stem_bn", "stem.bn")
        for i, (name, blk) in enumerate(zip(self.block_names, self.blocks)):
            t = "blocks.%d" % i
            out += [("%s.conv1.weight" % t, "%s.conv1.kernel" % name, "conv")] + bn("%s.bn1" % t, "%s.bn1" % name)
            out += [("%s.conv2.weight" % t, "%s.conv2.kernel" % name, "conv")] + bn("%s.bn2" % t, "%s.bn2" % name)
            if blk.mode == "B":
                out += [("%s.short_conv.weight" % t, "%s.shortcut.conv.kernel" % name, "conv")] + bn("%s.short_bn" % t, "%s.shortcut.bn" % name)
        out += [("head.weight", "head.kernel", "dense"), ("head.bias", "head.bias", "same")]
        return out

    def buffer_map(self):
        out = [("stem_bn", "stem.bn")]
        for i, (name, blk) in enumerate(zip(self.block_names, self.blocks)):
            out += [("blocks.%d.bn1" % i, "%s.bn1" % name), ("blocks.%d.bn2" % i, "%s.bn2" % name)]
            if blk.mode == "B":
                out.append(("blocks.%d.short_bn" % i, "%s.shortcut.bn" % name))
        return out


def to_torch_layout(arr, layout):
    """A vitscope (TF-layout) array as a torch tensor in PyTorch layout."""
    t = torch.from_numpy(arr)
    if layout == "conv":  # [kh, kw, in, out] -> [out, in, kh, kw]
        return t.permute(3, 2, 0, 1).contiguous()
    if layout == "dense":  # [in, out] -> [out, in]
        return t.t().contiguous()
    return t.clone()


def to_vitscope_layout(t, layout):
    """A PyTorch-layout tensor as a vitscope (TF-layout) tensor."""
    if layout == "conv":
        return t.permute(2, 3, 1, 0).contiguous()
    if layout == "dense":
        return t.t().contiguous()
    return t


def load_vitscope_checkpoint(ckpt_dir):
    """(module in eval mode, [(torch param, vitscope name, layout)] in vitscope's parameter order)."""
    with open(os.path.join(ckpt_dir, "model.json")) as f:
        manifest = json.load(f)
    cfg = manifest["config"]
    weights = read_safetensors(os.path.join(ckpt_dir, "weights.safetensors"))
    if cfg["family"] == "vit":
        model = ViT(cfg)
    elif cfg["family"] == "resnet":
        model = ResNet(cfg)
    else:
        raise ValueError("cross-check: no PyTorch module for family %r" % cfg["family"])
    params = dict(model.named_parameters())
    mapping = model.name_map()
    if len(mapping) != len(params):
        raise ValueError("cross-check: name map covers %d of %d torch parameters" % (len(mapping), len(params)))
    by_vitscope = {v: (t, layout) for t, v, layout in mapping}
    order = [p["name"] for p in manifest["params"]]
    if sorted(order) != sorted(by_vitscope):
        raise ValueError("cross-check: parameters differ: %s" % sorted(set(order) ^ set(by_vitscope)))
    with torch.no_grad():
        for v in order:
            t, layout = by_vitscope[v]
            src = to_torch_layout(weights[v], layout)
            if tuple(src.shape) != tuple(params[t].shape):
                raise ValueError("cross-check: %s has shape %s, torch %s expects %s" % (v, tuple(src.shape), t, tuple(params[t].shape)))
            params[t].copy_(src)
        if hasattr(model, "buffer_map"):
            mods = dict(model.named_modules())
            for t, v in model.buffer_map():
                mods[t].running_mean.copy_(torch.from_numpy(weights["%s.running_mean" % v]))
                mods[t].running_var.copy_(torch.from_numpy(weights["%s.running_var" % v]))
    model.eval()
    ordered = [(params[by_vitscope[v][0]], v, by_vitscope[v][1]) for v in order]
    return model, ordered
