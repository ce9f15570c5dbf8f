// Cross-check of the resnet family's ImageNet stem against timm's ResNet: a narrow ResNet-18 (stages of
// 16-32-64-128 channels by timm's `channels`; timm's 7x7 stem stays 64 wide) on 32 x 32 inputs (torch.save'd state dict) with every
// quantity, and the full-width ResNet-50 on 64 x 64 inputs (safetensors) forward. At full width the loss's
// L2 term sums 11.7M squares, and float32 summation order alone moves the loss by ~3e-6 relative, beyond the
// loss tolerance; the narrow model keeps the sum small.
// Parameter counts of resnet-18-224 and resnet-50-224 against timm's resnet18 and resnet50.
import { getPreset } from '../../src/models/index.ts';
import { timmCrossCheckSuite } from './timm-check.ts';

timmCrossCheckSuite({
  family: 'resnet',
  title: "ResNet (timm's ResNet)",
  cases: [
    {
      label: 'ResNet-18 (16-32-64-128, 32 px)',
      timm: 'resnet18',
      overrides: { num_classes: 10, channels: [16, 32, 64, 128] },
      arch: { ...getPreset('resnet-18-224'), preset: 'resnet-18-timm-check', imageSize: 32, widths: [16, 32, 64, 128] },
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
