"""Random-weight ImageNet checkpoints with timm's key names, for 08-fourier-imagenet when no real timm checkpoint is at
hand: vit_tiny_patch16_224.pth and resnet50.pth (torch.save of the state dict, as a timm user saves a model).

usage: timm_random_exports.py OUT_DIR
With timm importable, the models are timm.create_model(name, pretrained=False) (timm's own initialisation). Without
it, the timm-layout modules of vitscope's tests (test/import/make_checkpoints.py: same keys and shapes) with torch's
default initialisation. Prints which one was used. Existing files are kept.
"""
import os
import sys

import torch


def main():
    out = sys.argv[1]
    os.makedirs(out, exist_ok=True)
    torch.manual_seed(0)
    try:
        import timm
        make = {name: (lambda n=name: timm.create_model(n, pretrained=False)) for name in ('vit_tiny_patch16_224', 'resnet50')}
        how = f'timm {timm.__version__} create_model(pretrained=False)'
    except ImportError:
        sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), '..', 'test', 'import'))
        from make_checkpoints import TimmBottleneck, TimmResNet, VisionTransformer
        make = {
            'vit_tiny_patch16_224': lambda: VisionTransformer(224, 16, 192, 12, 3, qkv_bias=True, num_classes=1000),
            'resnet50': lambda: TimmResNet(TimmBottleneck, [3, 4, 6, 3], 64, [64, 128, 256, 512], 1000),
        }
        how = "timm is not installed: vitscope's timm-layout test modules, torch's default initialisation"
    for name, build in make.items():
        file = os.path.join(out, f'{name}.pth')
        if os.path.exists(file):
            print(f'{file}: exists, kept')
            continue
        torch.save(build().eval().state_dict(), file)
        print(f'{file}: random weights ({how})')


if __name__ == '__main__':
    main()
