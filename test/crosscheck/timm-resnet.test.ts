// Cross-check of the resnet family's ImageNet stem against timm's ResNet: ResNet-18 on 32 x 32 inputs
// (torch.save'd state dict) with every quantity, ResNet-50 on 64 x 64 inputs (safetensors) forward.
// Parameter counts of resnet-18-224 and resnet-50-224 against timm's resnet18 and resnet50.
import { getPreset } from '../../src/models/index.ts';
import { timmCrossCheckSuite } from './timm-check.ts';

timmCrossCheckSuite({
  family: 'resnet',
  title: "ResNet (timm's ResNet)",
  cases: [
    {
      label: 'ResNet-18 (32 px)',
      timm: 'resnet18',
      overrides: { num_classes: 10 },
      arch: { ...getPreset('resnet-18-224'), preset: 'resnet-18-timm-check', imageSize: 32 },
      format: 'torch',
      quantities: 'all',
      batch: 2,
    },
    {
      label: 'ResNet-50 (64 px)',
      timm: 'resnet50',
      overrides: { num_classes: 10 },
      arch: { ...getPreset('resnet-50-224'), preset: 'resnet-50-timm-check', imageSize: 64 },
      format: 'safetensors',
      quantities: 'forward',
      batch: 2,
    },
  ],
  counts: [
    { preset: 'resnet-18-224', numClasses: 1000, timm: 'resnet18', overrides: {} },
    { preset: 'resnet-50-224', numClasses: 1000, timm: 'resnet50', overrides: {} },
  ],
});
