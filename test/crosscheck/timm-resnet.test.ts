// Cross-check of the resnet family's ImageNet stem against timm's ResNet, every quantity on narrow models:
// ResNet-18 (stages of 16-32-64-128 channels by timm's `channels`; timm's 7x7 stem stays 64 wide) on 32 x 32
// inputs from a torch.save'd state dict, and ResNet-50's bottlenecks as narrow on 64 x 64 inputs from safetensors
// (BatchNorm's int64 num_batches_tracked included, as timm users save it). At full width the loss's L2 term sums
// 11.7M squares (ResNet-18) and float32 summation order alone moves the loss by ~3e-6 relative, beyond the loss
// tolerance; narrow models keep the sum small (and CI short). The full presets' parameter counts are compared
// with timm's resnet18 and resnet50.
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
      label: 'ResNet-50 (16-32-64-128 bottlenecks, 64 px)',
      timm: 'resnet50',
      overrides: { num_classes: 10, channels: [16, 32, 64, 128] },
      arch: { ...getPreset('resnet-50-224'), preset: 'resnet-50-timm-check', imageSize: 64, widths: [16, 32, 64, 128] },
      format: 'safetensors',
      quantities: 'all',
      batch: 2,
    },
  ],
  counts: [
    { preset: 'resnet-18-224', numClasses: 1000, timm: 'resnet18', overrides: {} },
    { preset: 'resnet-50-224', numClasses: 1000, timm: 'resnet50', overrides: {} },
  ],
});
