"""The authors' Fourier analysis (xxxnell/how-do-vits-work, branch transformer, fourier_analysis.ipynb) in PyTorch,
on timm-layout ImageNet models with random weights, for test/crosscheck/authors-fourier.test.ts.

usage: authors_fourier.py OUT_DIR IMAGE...
Writes OUT_DIR/vit_tiny_patch16_224.pth and OUT_DIR/resnet50.pth (state dicts with timm's key names; the modules
come from test/import/make_checkpoints.py, written for the tests since timm may be absent), then prints one JSON
line {"vit_tiny_patch16_224": [[Δ log amplitude by frequency] per block], "resnet50": [...]}, computed as the
notebook does: Image.open(f).resize((224, 224)) (Pillow's default bicubic), /255, ImageNet mean/std, the model split
into blocks (ViT: embedding, then each attention and MLP residual; ResNet: stem, each bottleneck), the class token
dropped, the logits dropped; per block log(|fft2| + 1e-6), rolled by (h/2, w/2), mean over images and channels,
the diagonal from h/2 on, minus its first entry.
"""
import json
import math
import os
import sys

import numpy as np
import torch
import torch.nn as nn
from PIL import Image

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), '..', '..', 'import'))
from make_checkpoints import TimmBottleneck, TimmResNet, VisionTransformer, warm_batchnorm  # noqa: E402

IMAGENET_MEAN = np.array([0.485, 0.456, 0.406])
IMAGENET_STD = np.array([0.229, 0.224, 0.225])


def perturb_norms(model, gen):
    """Torch's default initialisation, plus random affine norms and embeddings (not the trivial 1/0 of a fresh model)."""
    with torch.no_grad():
        for name, p in model.named_parameters():
            if p.dim() == 1 and ('norm' in name or 'bn' in name or 'downsample.1' in name):
                p.copy_((1.0 if name.endswith('weight') else 0.0) + 0.2 * torch.randn(p.shape, generator=gen))
            elif name in ('cls_token', 'pos_embed'):
                p.copy_(0.02 * torch.randn(p.shape, generator=gen))


class Residual(nn.Module):
    def __init__(self, *fn):
        super().__init__()
        self.fn = nn.Sequential(*fn)

    def forward(self, x):
        return self.fn(x) + x


class PatchEmbed(nn.Module):
    def __init__(self, vit):
        super().__init__()
        self.vit = vit

    def forward(self, x):
        x = self.vit.patch_embed(x)
        x = torch.cat((self.vit.cls_token.expand(x.shape[0], -1, -1), x), dim=1)
        return x + self.vit.pos_embed


def fourier(x):
    f = torch.fft.fft2(x)
    return (f.abs() + 1e-6).log()


def shift(x):
    b, c, h, w = x.shape
    return torch.roll(x, shifts=(int(h / 2), int(w / 2)), dims=(2, 3))


def relative_log_amplitudes(blocks, xs, drop_cls):
    latents = []
    with torch.no_grad():
        for block in blocks:
            xs = block(xs)
            latents.append(xs)
    if drop_cls:
        latents = [latent[:, 1:] for latent in latents]
    latents = latents[:-1]  # the logits
    out = []
    for latent in latents:
        if latent.dim() == 3:
            b, n, c = latent.shape
            h = w = int(math.sqrt(n))
            latent = latent.reshape(b, h, w, c).permute(0, 3, 1, 2)
        else:
            b, c, h, w = latent.shape
        latent = shift(fourier(latent)).mean(dim=(0, 1))
        latent = latent.diag()[int(h / 2):]
        out.append((latent - latent[0]).tolist())
    return out


def main():
    out, files = sys.argv[1], sys.argv[2:]
    torch.manual_seed(0)
    gen = torch.Generator().manual_seed(20)
    vit = VisionTransformer(224, 16, 192, 12, 3, qkv_bias=True, num_classes=1000).eval()
    perturb_norms(vit, gen)
    resnet = TimmResNet(TimmBottleneck, [3, 4, 6, 3], 64, [64, 128, 256, 512], 1000)
    perturb_norms(resnet, gen)
    warm_batchnorm(resnet, gen, 64)  # running statistics that are not 0/1
    resnet.eval()
    torch.save(vit.state_dict(), os.path.join(out, 'vit_tiny_patch16_224.pth'))
    torch.save(resnet.state_dict(), os.path.join(out, 'resnet50.pth'))

    xs = [Image.open(f).convert('RGB') for f in files]  # convert: the notebook's images are RGB JPEGs already
    xs = [x.resize((224, 224)) for x in xs]
    xs = np.stack([np.array(x) / 255.0 for x in xs])
    xs = (xs - IMAGENET_MEAN) / IMAGENET_STD
    xs = torch.tensor(xs, dtype=torch.float32).permute(0, 3, 1, 2).contiguous()

    vit_blocks = [PatchEmbed(vit)]
    for b in vit.blocks:
        vit_blocks += [Residual(b.norm1, b.attn), Residual(b.norm2, b.mlp)]
    vit_blocks.append(nn.Sequential(vit.norm, nn.Identity()))  # stands for the head: dropped with the logits
    resnet_blocks = [nn.Sequential(resnet.conv1, resnet.bn1, resnet.act1, resnet.maxpool),
                     *resnet.layer1, *resnet.layer2, *resnet.layer3, *resnet.layer4, nn.Identity()]
    print(json.dumps({
        'vit_tiny_patch16_224': relative_log_amplitudes(vit_blocks, xs, drop_cls=True),
        'resnet50': relative_log_amplitudes(resnet_blocks, xs, drop_cls=False),
    }))


if __name__ == '__main__':
    main()
