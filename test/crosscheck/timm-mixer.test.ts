// Cross-check of the mixer family against timm's MlpMixer: the authors' CIFAR Mixer-Ti sizes (no released
// checkpoint; saved as torch.save of the state dict) with two blocks and every quantity, and at full size
// forward; timm's ImageNet mixer_b16_224 layout (safetensors) on 64 x 64 inputs with two narrow blocks.
// Parameter counts of mixer-ti and mixer-b16-224 against timm's. timm's Mixer entry points fix patch size,
// depth and width, so the other configurations build timm's MlpMixer class directly.
import { getPreset } from '../../src/models/index.ts';
import { timmCrossCheckSuite } from './timm-check.ts';

const MIXER_TI_CIFAR = { img_size: 32, patch_size: 2, embed_dim: 256, num_blocks: 8, mlp_ratio: [0.5, 4.0], num_classes: 100 };

timmCrossCheckSuite({
  family: 'mixer',
  title: "MLP-Mixer (timm's MlpMixer)",
  cases: [
    {
      label: 'Mixer-Ti CIFAR (2 blocks, patch 4)',
      timm: 'mlp_mixer.MlpMixer',
      overrides: { ...MIXER_TI_CIFAR, patch_size: 4, num_blocks: 2 },
      arch: { ...getPreset('mixer-ti'), preset: 'mixer-ti-timm-check', patchSize: 4, depth: 2 },
      format: 'torch',
      quantities: 'all',
      batch: 2,
    },
    { label: 'Mixer-Ti CIFAR (full size)', timm: 'mlp_mixer.MlpMixer', overrides: MIXER_TI_CIFAR, arch: 'mixer-ti', format: 'torch', quantities: 'forward', batch: 2 },
    {
      label: 'Mixer-B/16 ImageNet (2 blocks, dim 192, 64 px)',
      timm: 'mlp_mixer.MlpMixer',
      overrides: { img_size: 64, patch_size: 16, num_blocks: 2, embed_dim: 192, num_classes: 10 },
      arch: { ...getPreset('mixer-b16-224'), preset: 'mixer-b16-timm-check', imageSize: 64, depth: 2, dim: 192 },
      format: 'safetensors',
      quantities: 'all',
      batch: 2,
    },
  ],
  counts: [
    { preset: 'mixer-ti', numClasses: 100, timm: 'mlp_mixer.MlpMixer', overrides: MIXER_TI_CIFAR },
    { preset: 'mixer-b16-224', numClasses: 1000, timm: 'mixer_b16_224', overrides: {} },
  ],
});
