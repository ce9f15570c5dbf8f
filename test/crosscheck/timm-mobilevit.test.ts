// Cross-check of the mobilevit family against timm's mobilevit_xxs (ByobNet with MobileViT blocks): the
// full-width mobilevit_xxs on 64 x 64 inputs (torch.save of the state dict; the maps of the MobileViT blocks are
// 8, 4 and 2 pixels, still tiled by 2x2 patches) with every quantity, and the 256-pixel, 1000-class model as timm
// users save it (safetensors, BatchNorm's int64 num_batches_tracked included) imported. mobilevit-xxs-cifar is
// vitscope's own stride choice (same parameters), which timm has no entry point for.
// Parameter count of mobilevit-xxs against timm's (1,272,024 with 1000 classes).
import { getPreset } from '../../src/models/index.ts';
import { timmCrossCheckSuite } from './timm-check.ts';

timmCrossCheckSuite({
  family: 'mobilevit',
  title: "MobileViT (timm's mobilevit_xxs)",
  cases: [
    {
      label: 'MobileViT-XXS (64 px)',
      timm: 'mobilevit_xxs',
      overrides: { num_classes: 10 },
      arch: { ...getPreset('mobilevit-xxs'), preset: 'mobilevit-xxs-timm-check', imageSize: 64 },
      format: 'torch',
      quantities: 'all',
      batch: 2,
    },
    {
      label: 'MobileViT-XXS (256 px, safetensors)',
      timm: 'mobilevit_xxs',
      overrides: {},
      arch: 'mobilevit-xxs',
      format: 'safetensors',
      quantities: 'import',
      batch: 1,
    },
  ],
  counts: [{ preset: 'mobilevit-xxs', numClasses: 1000, timm: 'mobilevit_xxs', overrides: {} }],
});
