// Cross-check of the swin family against timm's SwinTransformer: the authors' CIFAR Swin-Ti layout (.pth.tar,
// {name, state_dict}, timm <= 0.6 keys: patch merging at layers.{0,1,2}.downsample, head not head.fc, with the
// relative_position_index and attn_mask buffers) on a narrow model (patch 2, dim 32, 2 blocks per stage: shifted
// windows with masks in stages 0 and 1, a whole-map window in stage 3) with every quantity, and the full-size
// swin-ti forward; timm's ImageNet layout (safetensors: layers.{1,2,3}.downsample, head.fc) on 112 x 112
// inputs with three stages (maps 28, 14, 7 for window 7). Parameter counts of swin-ti and swin-tiny-224.
import { getPreset } from '../../src/models/index.ts';
import { timmCrossCheckSuite } from './timm-check.ts';

const SWIN_TI_CIFAR = { img_size: 32, patch_size: 1, window_size: 4, qkv_bias: false, num_classes: 100 };

timmCrossCheckSuite({
  family: 'swin',
  title: "Swin (timm's SwinTransformer)",
  cases: [
    {
      label: 'Swin-Ti CIFAR (patch 2, dim 32, 2-2-2-2)',
      timm: 'swin_tiny_patch4_window7_224',
      overrides: { ...SWIN_TI_CIFAR, patch_size: 2, embed_dim: 32, depths: [2, 2, 2, 2], num_heads: [1, 2, 4, 8] },
      arch: { ...getPreset('swin-ti'), preset: 'swin-ti-timm-check', patchSize: 2, dim: 32, depths: [2, 2, 2, 2], heads: [1, 2, 4, 8] },
      format: 'authors',
      quantities: 'all',
      batch: 2,
    },
    { label: 'Swin-Ti CIFAR (full size)', timm: 'swin_tiny_patch4_window7_224', overrides: SWIN_TI_CIFAR, arch: 'swin-ti', format: 'authors', quantities: 'forward', batch: 1 },
    {
      label: 'Swin-T ImageNet (112 px, dim 48, 2-2-2)',
      timm: 'swin_tiny_patch4_window7_224',
      overrides: { img_size: 112, embed_dim: 48, depths: [2, 2, 2], num_heads: [3, 6, 12], num_classes: 10 },
      arch: { ...getPreset('swin-tiny-224'), preset: 'swin-tiny-timm-check', imageSize: 112, dim: 48, depths: [2, 2, 2], heads: [3, 6, 12] },
      format: 'safetensors',
      quantities: 'all',
      batch: 2,
    },
  ],
  counts: [
    { preset: 'swin-ti', numClasses: 100, timm: 'swin_tiny_patch4_window7_224', overrides: SWIN_TI_CIFAR },
    { preset: 'swin-tiny-224', numClasses: 1000, timm: 'swin_tiny_patch4_window7_224', overrides: {} },
  ],
});
