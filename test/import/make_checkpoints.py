"""Writes the PyTorch checkpoints the import tests read, with torch.save, plus fixed inputs and PyTorch's
logits. The modules below are written for the test (timm is not installed): their state_dict keys and
shapes are exactly those of timm's VisionTransformer (timm/models/vision_transformer.py), timm's ResNet
(timm/models/resnet.py) and of the authors' CIFAR ResNet (xxxnell/how-do-vits-work, models/resnet.py + resnet_dnn_block.py, stem=False).

usage: make_checkpoints.py OUT_DIR   (writes OUT_DIR/manifest.json and the files it names)
"""
import argparse
import json
import os
import struct
import sys

import torch
import torch.nn as nn


# ---- timm's VisionTransformer, reduced to what the keys and the forward pass need -------------------

class PatchEmbed(nn.Module):
    def __init__(self, patch, dim):
        super().__init__()
        self.proj = nn.Conv2d(3, dim, kernel_size=patch, stride=patch)

    def forward(self, x):
        return self.proj(x).flatten(2).transpose(1, 2)  # B, N, C


class Attention(nn.Module):
    def __init__(self, dim, heads, qkv_bias):
        super().__init__()
        self.heads = heads
        self.scale = (dim // heads) ** -0.5
        self.qkv = nn.Linear(dim, dim * 3, bias=qkv_bias)
        self.proj = nn.Linear(dim, dim)

    def forward(self, x):
        b, n, c = x.shape
        qkv = self.qkv(x).reshape(b, n, 3, self.heads, c // self.heads).permute(2, 0, 3, 1, 4)
        q, k, v = qkv[0], qkv[1], qkv[2]
        attn = ((q @ k.transpose(-2, -1)) * self.scale).softmax(dim=-1)
        return self.proj((attn @ v).transpose(1, 2).reshape(b, n, c))


class Mlp(nn.Module):
    def __init__(self, dim, hidden):
        super().__init__()
        self.fc1 = nn.Linear(dim, hidden)
        self.act = nn.GELU()
        self.fc2 = nn.Linear(hidden, dim)

    def forward(self, x):
        return self.fc2(self.act(self.fc1(x)))


class Block(nn.Module):
    def __init__(self, dim, heads, mlp_ratio, qkv_bias):
        super().__init__()
        self.norm1 = nn.LayerNorm(dim, eps=1e-6)
        self.attn = Attention(dim, heads, qkv_bias)
        self.norm2 = nn.LayerNorm(dim, eps=1e-6)
        self.mlp = Mlp(dim, int(dim * mlp_ratio))

    def forward(self, x):
        x = x + self.attn(self.norm1(x))
        return x + self.mlp(self.norm2(x))


class VisionTransformer(nn.Module):
    def __init__(self, img_size, patch_size, embed_dim, depth, num_heads, mlp_ratio=4.0, qkv_bias=True,
                 num_classes=1000, global_pool='token'):
        super().__init__()
        self.global_pool = global_pool
        cls = global_pool == 'token'
        n = (img_size // patch_size) ** 2
        self.patch_embed = PatchEmbed(patch_size, embed_dim)
        if cls:
            self.cls_token = nn.Parameter(torch.zeros(1, 1, embed_dim))
        self.pos_embed = nn.Parameter(torch.zeros(1, n + (1 if cls else 0), embed_dim))
        self.blocks = nn.Sequential(*[Block(embed_dim, num_heads, mlp_ratio, qkv_bias) for _ in range(depth)])
        # timm: with global_pool='avg', norm is Identity and fc_norm normalises after pooling
        self.norm = nn.LayerNorm(embed_dim, eps=1e-6) if cls else nn.Identity()
        self.fc_norm = nn.Identity() if cls else nn.LayerNorm(embed_dim, eps=1e-6)
        self.head = nn.Linear(embed_dim, num_classes)

    def forward(self, x):
        x = self.patch_embed(x)
        if self.global_pool == 'token':
            x = torch.cat((self.cls_token.expand(x.shape[0], -1, -1), x), dim=1)
        x = self.norm(self.blocks(x + self.pos_embed))
        x = x[:, 0] if self.global_pool == 'token' else x.mean(dim=1)
        return self.head(self.fc_norm(x))


# ---- the authors' CIFAR ResNet (models/resnet.py, dnn blocks, stem=False), widths as arguments --------

def conv(cin, cout, k, stride=1):
    return nn.Conv2d(cin, cout, kernel_size=k, stride=stride, padding=k // 2, bias=False)


class BasicBlock(nn.Module):
    expansion = 1

    def __init__(self, cin, planes, stride):
        super().__init__()
        out = planes * self.expansion
        self.shortcut = nn.Sequential(*([conv(cin, out, 1, stride), nn.BatchNorm2d(out)] if stride != 1 or cin != out else []))
        self.conv1 = nn.Sequential(conv(cin, planes, 3, stride), nn.BatchNorm2d(planes), nn.ReLU())
        self.conv2 = nn.Sequential(conv(planes, out, 3), nn.BatchNorm2d(out))
        self.relu = nn.ReLU()

    def forward(self, x):
        return self.relu(self.conv2(self.conv1(x)) + self.shortcut(x))


class Bottleneck(nn.Module):
    expansion = 4

    def __init__(self, cin, planes, stride):
        super().__init__()
        out = planes * self.expansion
        self.shortcut = nn.Sequential(*([conv(cin, out, 1, stride), nn.BatchNorm2d(out)] if stride != 1 or cin != out else []))
        self.conv1 = nn.Sequential(conv(cin, planes, 1), nn.BatchNorm2d(planes), nn.ReLU())
        self.conv2 = nn.Sequential(conv(planes, planes, 3, stride), nn.BatchNorm2d(planes), nn.ReLU())
        self.conv3 = nn.Sequential(conv(planes, out, 1), nn.BatchNorm2d(out))
        self.relu = nn.ReLU()

    def forward(self, x):
        return self.relu(self.conv3(self.conv2(self.conv1(x))) + self.shortcut(x))


class GAPBlock(nn.Module):
    def __init__(self, features, num_classes):
        super().__init__()
        self.gap = nn.AdaptiveAvgPool2d((1, 1))
        self.dense = nn.Linear(features, num_classes)

    def forward(self, x):
        return self.dense(self.gap(x).flatten(1))


class AuthorsResNet(nn.Module):
    def __init__(self, block, num_blocks, stem_width, widths, num_classes):
        super().__init__()
        self.layer0 = nn.Sequential(conv(3, stem_width, 3), nn.BatchNorm2d(stem_width), nn.ReLU())
        cin = stem_width
        for s, (planes, n) in enumerate(zip(widths, num_blocks)):
            blocks = []
            for j in range(n):
                blocks.append(block(cin, planes, 2 if (j == 0 and s > 0) else 1))
                cin = planes * block.expansion
            setattr(self, f'layer{s + 1}', nn.Sequential(*blocks))
        self.stages = len(widths)
        self.classifier = nn.Sequential(GAPBlock(cin, num_classes))

    def forward(self, x):
        x = self.layer0(x)
        for s in range(self.stages):
            x = getattr(self, f'layer{s + 1}')(x)
        return self.classifier(x)


def vit_features(vit, x_nchw):
    """The outputs vitscope's features() names: the embedding, then every attention and MLP residual,
    class token dropped, tokens back to an NHWC grid (the authors' README splits timm's ViT the same way)."""
    out = {}
    b = x_nchw.shape[0]
    t = vit.patch_embed(x_nchw)
    g = int(t.shape[1] ** 0.5)
    if vit.global_pool == 'token':
        t = torch.cat((vit.cls_token.expand(b, -1, -1), t), dim=1)
    t = t + vit.pos_embed
    grid = lambda u: (u[:, 1:] if vit.global_pool == 'token' else u).reshape(b, g, g, -1)
    out['patch_embed'] = grid(t)
    for i, blk in enumerate(vit.blocks):
        t = t + blk.attn(blk.norm1(t))
        out[f'blocks.{i}.attn'] = grid(t)
        t = t + blk.mlp(blk.norm2(t))
        out[f'blocks.{i}.mlp'] = grid(t)
    return out


def loss_gradient_hvp(model, x_nhwc, targets, l2, gen):
    """NLL on soft targets + (l2/2) sum ||p||^2 (evaluation mode), its gradient, and the Hessian-vector
    product with a random v, every one keyed by the state-dict names (PyTorch layouts)."""
    model.eval()
    names = [n for n, _ in model.named_parameters()]
    params = [p for _, p in model.named_parameters()]
    logits = model(x_nhwc.permute(0, 3, 1, 2).contiguous())
    nll = -(targets * torch.log_softmax(logits, dim=1)).sum(dim=1).mean()
    loss = nll + 0.5 * l2 * sum((p * p).sum() for p in params)
    grads = torch.autograd.grad(loss, params, create_graph=True)
    vs = [torch.randn(p.shape, generator=gen) for p in params]
    hvs = torch.autograd.grad(sum((g * v).sum() for g, v in zip(grads, vs)), params)
    pack = lambda ts: {n: {'shape': list(t.shape), 'data': t.detach().reshape(-1).tolist()} for n, t in zip(names, ts)}
    return {'l2': l2, 'targets': {'shape': list(targets.shape), 'data': targets.reshape(-1).tolist()}, 'loss': loss.item(),
            'gradient': pack(grads), 'v': pack(vs), 'hvp': pack(hvs)}


# ---- timm's ResNet (timm/models/resnet.py names; torchvision's are the same), widths as arguments ------

class TimmBasic(nn.Module):
    expansion = 1

    def __init__(self, cin, planes, stride, downsample):
        super().__init__()
        self.conv1, self.bn1 = conv(cin, planes, 3, stride), nn.BatchNorm2d(planes)
        self.act1 = nn.ReLU()
        self.conv2, self.bn2 = conv(planes, planes, 3), nn.BatchNorm2d(planes)
        self.act2 = nn.ReLU()
        self.downsample = downsample

    def forward(self, x):
        y = self.bn2(self.conv2(self.act1(self.bn1(self.conv1(x)))))
        return self.act2(y + (self.downsample(x) if self.downsample is not None else x))


class TimmBottleneck(nn.Module):
    expansion = 4

    def __init__(self, cin, planes, stride, downsample):
        super().__init__()
        self.conv1, self.bn1, self.act1 = conv(cin, planes, 1), nn.BatchNorm2d(planes), nn.ReLU()
        self.conv2, self.bn2, self.act2 = conv(planes, planes, 3, stride), nn.BatchNorm2d(planes), nn.ReLU()
        self.conv3, self.bn3, self.act3 = conv(planes, planes * 4, 1), nn.BatchNorm2d(planes * 4), nn.ReLU()
        self.downsample = downsample

    def forward(self, x):
        y = self.act2(self.bn2(self.conv2(self.act1(self.bn1(self.conv1(x))))))
        y = self.bn3(self.conv3(y))
        return self.act3(y + (self.downsample(x) if self.downsample is not None else x))


class TimmResNet(nn.Module):
    def __init__(self, block, layers, stem_width, widths, num_classes):
        super().__init__()
        self.conv1 = nn.Conv2d(3, stem_width, kernel_size=7, stride=2, padding=3, bias=False)
        self.bn1, self.act1 = nn.BatchNorm2d(stem_width), nn.ReLU()
        self.maxpool = nn.MaxPool2d(kernel_size=3, stride=2, padding=1)
        cin = stem_width
        for s, (planes, n) in enumerate(zip(widths, layers)):
            blocks = []
            for j in range(n):
                stride = 2 if (j == 0 and s > 0) else 1
                out = planes * block.expansion
                ds = nn.Sequential(conv(cin, out, 1, stride), nn.BatchNorm2d(out)) if stride != 1 or cin != out else None
                blocks.append(block(cin, planes, stride, ds))
                cin = out
            setattr(self, f'layer{s + 1}', nn.Sequential(*blocks))
        self.stages = len(widths)
        self.fc = nn.Linear(cin, num_classes)

    def forward(self, x):
        x = self.maxpool(self.act1(self.bn1(self.conv1(x))))
        for s in range(self.stages):
            x = getattr(self, f'layer{s + 1}')(x)
        return self.fc(x.mean(dim=(2, 3)))


# ---- helpers ---------------------------------------------------------------------------------------------

class Unsupported:
    """A class the importer does not know, pickled as a global it must not call."""

    def __init__(self):
        self.payload = [1, 2, 3]


def randomise(model, gen):
    with torch.no_grad():
        for name, p in model.named_parameters():
            if name.endswith('norm1.weight') or name.endswith('norm2.weight') or name.endswith('norm.weight'):
                p.copy_(1 + 0.2 * torch.randn(p.shape, generator=gen))
            else:
                p.copy_(0.3 * torch.randn(p.shape, generator=gen))


def warm_batchnorm(model, gen, size):
    model.train()
    with torch.no_grad():
        for _ in range(3):
            model(torch.randn(16, 3, size, size, generator=gen) * 1.5 + 0.2)
    model.eval()


def logits_of(model, x_nhwc):
    model.eval()
    with torch.no_grad():
        return model(x_nhwc.permute(0, 3, 1, 2).contiguous())


def write_safetensors(path, sd):
    header, blobs, offset = {}, [], 0
    for k, v in sd.items():
        b = v.detach().contiguous().to(torch.float32).numpy().tobytes()
        header[k] = {'dtype': 'F32', 'shape': list(v.shape), 'data_offsets': [offset, offset + len(b)]}
        blobs.append(b)
        offset += len(b)
    h = json.dumps(header).encode()
    h += b' ' * ((8 - len(h) % 8) % 8)
    with open(path, 'wb') as f:
        f.write(struct.pack('<Q', len(h)) + h + b''.join(blobs))


def strided_copy(sd, gen):
    """The same values, but as non-contiguous views and views at a storage offset."""
    out = type(sd)()
    for i, (k, v) in enumerate(sd.items()):
        if v.dim() == 2 and i % 2 == 0:
            out[k] = v.t().contiguous().t()  # strides (1, rows)
        elif v.dim() >= 1 and i % 3 == 0:
            big = torch.randn(v.numel() + 7, generator=gen)
            big[5:5 + v.numel()] = v.reshape(-1)
            out[k] = big[5:5 + v.numel()].view(v.shape)  # storage offset 5, storage shared with junk
        else:
            out[k] = v
    return out


def main():
    out = sys.argv[1]
    os.makedirs(out, exist_ok=True)
    gen = torch.Generator().manual_seed(1234)
    manifest = {'torch': torch.__version__, 'cases': {}}

    def case(name, model, size, files, config=None, preset=None):
        x = torch.randn(3, size, size, 3, generator=gen)
        y = logits_of(model, x)
        manifest['cases'][name] = {
            'files': files, 'config': config, 'preset': preset,
            'input': {'shape': list(x.shape), 'data': x.reshape(-1).tolist()},
            'logits': {'shape': list(y.shape), 'data': y.reshape(-1).tolist()},
        }

    # 1. a tiny timm ViT with a class token and no qkv bias (the authors' CIFAR ViT-Ti, scaled down)
    vit = VisionTransformer(img_size=8, patch_size=2, embed_dim=32, depth=2, num_heads=4, mlp_ratio=2, qkv_bias=False, num_classes=10)
    randomise(vit, gen)
    torch.save(vit.state_dict(), f'{out}/vit-plain.pt')
    sd = {k: v.clone() for k, v in vit.state_dict().items()}
    args = argparse.Namespace(lr=1e-3, epochs=3, model='vit_ti', nested={'a': (1, 2.5, None)})
    opt = torch.optim.AdamW(vit.parameters(), lr=1e-3)
    vit(torch.randn(2, 3, 8, 8, generator=gen)).sum().backward()
    opt.step()  # optimizer state with tensors beside the weights
    with torch.no_grad():
        for k, v in vit.state_dict().items():
            v.copy_(sd[k])  # the step must not change what the wrapped file holds
    torch.save({'state_dict': strided_copy(vit.state_dict(), gen), 'args': args, 'optimizer': opt.state_dict(), 'epoch': 3,
                'best_acc1': torch.tensor(71.5)}, f'{out}/vit-wrapped.pth.tar')
    torch.save({'model': {('module.' + k): v for k, v in vit.state_dict().items()}}, f'{out}/vit-dataparallel.pth')
    write_safetensors(f'{out}/vit.safetensors', vit.state_dict())
    torch.save(vit.state_dict(), f'{out}/vit-legacy.pt', _use_new_zipfile_serialization=False)
    torch.save(vit, f'{out}/vit-module.pt')  # the whole module pickled, not its state dict
    bad = dict(vit.state_dict())
    bad['blocks.1.attn.proj.weight'] = Unsupported()
    torch.save(bad, f'{out}/vit-unsupported-global.pt')
    vit_cfg = {'family': 'vit', 'preset': 'vit-import-test', 'numClasses': 10, 'imageSize': 8, 'patchSize': 2, 'dim': 32,
               'depth': 2, 'heads': 4, 'mlpRatio': 2, 'qkvBias': False, 'pool': 'cls', 'dropPathRate': 0, 'dropRate': 0}
    case('vit-cls', vit, 8, ['vit-plain.pt', 'vit-wrapped.pth.tar', 'vit-dataparallel.pth', 'vit.safetensors', 'vit-legacy.pt'], config=vit_cfg)
    # beyond logits, for the imported timm-named ViT: feature maps, loss, gradient, Hessian-vector product
    c = manifest['cases']['vit-cls']
    x = torch.tensor(c['input']['data'], dtype=torch.float32).reshape(c['input']['shape'])
    with torch.no_grad():
        feats = vit_features(vit.eval(), x.permute(0, 3, 1, 2).contiguous())
    c['features'] = {k: {'shape': list(v.shape), 'data': v.reshape(-1).tolist()} for k, v in feats.items()}
    targets = torch.softmax(2 * torch.randn(x.shape[0], 10, generator=gen), dim=1)
    c['derivatives'] = loss_gradient_hvp(vit, x, targets, 0.05, gen)

    # 2. timm ViT with global average pooling (fc_norm) and a qkv bias, patch 4 on 16x16
    gap = VisionTransformer(img_size=16, patch_size=4, embed_dim=24, depth=2, num_heads=3, mlp_ratio=4, qkv_bias=True,
                            num_classes=7, global_pool='avg')
    randomise(gap, gen)
    torch.save(gap.state_dict(), f'{out}/vit-gap.pt')
    gap_cfg = dict(vit_cfg, imageSize=16, patchSize=4, dim=24, heads=3, mlpRatio=4, qkvBias=True, pool='gap', numClasses=7)
    case('vit-gap', gap, 16, ['vit-gap.pt'], config=gap_cfg)

    # 3. the authors' ResNet, bottleneck and basic blocks, with trained BatchNorm statistics
    for name, block, preset in [('resnet-bottleneck', Bottleneck, 'resnet-bottleneck-tiny-test'), ('resnet-basic', BasicBlock, 'resnet-tiny-test')]:
        widths = [2, 4] if block is Bottleneck else [4, 8]
        net = AuthorsResNet(block, [1, 1], 4, widths, 100)
        randomise(net, gen)
        warm_batchnorm(net, gen, 8)
        torch.save({'state_dict': net.state_dict(), 'args': argparse.Namespace(stem=False)}, f'{out}/{name}.pth.tar')
        case(name, net, 8, [f'{name}.pth.tar'], preset=preset)

    # 4. timm's ResNet (ImageNet stem: 7x7 stride 2 + max-pool), bottleneck and basic blocks
    for name, block, size, widths, layers in [('timm-resnet-bottleneck', TimmBottleneck, 32, [2, 4], [2, 1]), ('timm-resnet-basic', TimmBasic, 16, [4, 8], [1, 2])]:
        net = TimmResNet(block, layers, 4, widths, 11)
        randomise(net, gen)
        warm_batchnorm(net, gen, size)
        torch.save(net.state_dict(), f'{out}/{name}.pth')
        cfg = {'family': 'resnet', 'preset': name, 'numClasses': 11, 'imageSize': size, 'stem': 'imagenet',
               'block': 'bottleneck' if block is TimmBottleneck else 'basic', 'stemWidth': 4, 'widths': widths,
               'stageBlocks': layers, 'shortcut': 'B', 'dropPathRate': 0}
        case(name, net, size, [f'{name}.pth'], config=cfg)

    # 5. full-size key maps by shape: the authors' CIFAR ViT-Ti and timm's vit_tiny_patch16_224
    torch.save({'state_dict': VisionTransformer(32, 2, 192, 12, 3, qkv_bias=False, num_classes=100).state_dict()}, f'{out}/vit-ti-full.pth.tar')
    torch.save(VisionTransformer(224, 16, 192, 12, 3, qkv_bias=True, num_classes=1000).state_dict(), f'{out}/vit-tiny-patch16-224.pt')

    # 6. element types
    dt = {
        'f16': torch.tensor([1.5, -2.25, 65504.0, 6.1e-5], dtype=torch.float16),
        'bf16': torch.tensor([1.5, -3.0e38, 0.0078125], dtype=torch.bfloat16),
        'f64': torch.tensor([[1.0 / 3, -2.0], [1e-30, 4.0]], dtype=torch.float64),
        'i64': torch.tensor([-3, 2 ** 40], dtype=torch.int64),
        'u8': torch.tensor([0, 255], dtype=torch.uint8),
    }
    torch.save(dt, f'{out}/dtypes.pt')
    manifest['dtypes'] = {k: {'shape': list(v.shape), 'data': v.to(torch.float64).reshape(-1).tolist()} for k, v in dt.items()}

    with open(f'{out}/manifest.json', 'w') as f:
        json.dump(manifest, f)


if __name__ == '__main__':
    main()
