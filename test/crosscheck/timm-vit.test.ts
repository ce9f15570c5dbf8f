// Cross-check of the vit family against timm's VisionTransformer: the authors' CIFAR ViT-Ti layout (.pth.tar,
// {name, state_dict}) at two blocks with every quantity and at full size forward, timm's ImageNet ViT-Ti/16
// (safetensors, a 64 x 64 input and two blocks), and global average pooling (fc_norm, no class token) from a
// torch.save'd state dict. Parameter counts of vit-ti and vit-ti-16-224 against timm's.
import { getPreset } from '../../src/models/index.ts';
import { timmCrossCheckSuite } from './timm-check.ts';

const VIT_TI_CIFAR = { img_size: 32, patch_size: 2, qkv_bias: false, num_classes: 100 };

timmCrossCheckSuite({
  family: 'vit',
  title: "ViT (timm's VisionTransformer)",
  cases: [
    {
      label: 'ViT-Ti CIFAR (2 blocks, patch 4)',
      timm: 'vit_tiny_patch16_224',
      overrides: { ...VIT_TI_CIFAR, patch_size: 4, depth: 2 },
      arch: { ...getPreset('vit-ti'), preset: 'vit-ti-timm-check', patchSize: 4, depth: 2 },
      format: 'authors',
      quantities: 'all',
      batch: 2,
    },
    { label: 'ViT-Ti CIFAR (full size)', timm: 'vit_tiny_patch16_224', overrides: VIT_TI_CIFAR, arch: 'vit-ti', format: 'authors', quantities: 'forward', batch: 2 },
    {
      label: 'ViT-Ti/16 ImageNet (2 blocks, 64 px)',
      timm: 'vit_tiny_patch16_224',
      overrides: { img_size: 64, depth: 2, num_classes: 10 },
      arch: { ...getPreset('vit-ti-16-224'), preset: 'vit-ti-16-timm-check', imageSize: 64, depth: 2 },
      format: 'safetensors',
      quantities: 'all',
      batch: 2,
    },
    {
      label: 'ViT-Ti GAP CIFAR (2 blocks, patch 4)',
      timm: 'vit_tiny_patch16_224',
      overrides: { ...VIT_TI_CIFAR, patch_size: 4, depth: 2, class_token: false, global_pool: 'avg' },
      arch: { ...getPreset('vit-ti-gap'), preset: 'vit-ti-gap-timm-check', patchSize: 4, depth: 2 },
      format: 'torch',
      quantities: 'all',
      batch: 2,
    },
  ],
  counts: [
    { preset: 'vit-ti', numClasses: 100, timm: 'vit_tiny_patch16_224', overrides: VIT_TI_CIFAR },
    { preset: 'vit-ti-16-224', numClasses: 1000, timm: 'vit_tiny_patch16_224', overrides: {} },
  ],
});
