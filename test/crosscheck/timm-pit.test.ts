// Cross-check of the pit family against timm's PoolingVisionTransformer: the authors' CIFAR PiT-Ti layout
// (.pth.tar, {name, state_dict}, timm <= 0.6 keys: pooling at transformers.{0,1}.pool) with one block per
// stage and every quantity, and at full size forward; timm's ImageNet pit_ti_224 layout (safetensors,
// pooling at transformers.{1,2}.pool) on 64 x 64 inputs with one block per stage. Parameter counts of
// pit-ti and pit-ti-224 against timm's.
import { getPreset } from '../../src/models/index.ts';
import { timmCrossCheckSuite } from './timm-check.ts';

const PIT_TI_CIFAR = { img_size: 32, patch_size: 2, stride: 1, num_classes: 100 };

timmCrossCheckSuite({
  family: 'pit',
  title: "PiT (timm's PoolingVisionTransformer)",
  cases: [
    {
      label: 'PiT-Ti CIFAR (1-1-1 blocks, patch 4 stride 2)',
      timm: 'pit_ti_224',
      overrides: { ...PIT_TI_CIFAR, patch_size: 4, stride: 2, depth: [1, 1, 1] },
      arch: { ...getPreset('pit-ti'), preset: 'pit-ti-timm-check', patchSize: 4, stride: 2, depths: [1, 1, 1] },
      format: 'authors',
      quantities: 'all',
      batch: 2,
    },
    { label: 'PiT-Ti CIFAR (full size)', timm: 'pit_ti_224', overrides: PIT_TI_CIFAR, arch: 'pit-ti', format: 'authors', quantities: 'forward', batch: 1 },
    {
      label: 'PiT-Ti ImageNet (1-1-1 blocks, 64 px)',
      timm: 'pit_ti_224',
      overrides: { img_size: 64, depth: [1, 1, 1], num_classes: 10 },
      arch: { ...getPreset('pit-ti-224'), preset: 'pit-ti-224-timm-check', imageSize: 64, depths: [1, 1, 1] },
      format: 'safetensors',
      quantities: 'all',
      batch: 2,
    },
  ],
  counts: [
    { preset: 'pit-ti', numClasses: 100, timm: 'pit_ti_224', overrides: PIT_TI_CIFAR },
    { preset: 'pit-ti-224', numClasses: 1000, timm: 'pit_ti_224', overrides: {} },
  ],
});
