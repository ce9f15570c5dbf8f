// PyTorch cross-check of the resnet-20 preset (option-A shortcuts, BatchNorm in evaluation mode with
// perturbed running statistics), full size on a batch of 8. The top-5 eigenvalues run on a narrower
// ResNet-20 of the same architecture (16 x 16 images, 8-16-32 channels, 1 block per stage, 10 classes) with
// up to 20 products per eigenvalue (the quick Hessian protocol's cap; PyHessian's default is 100).
import { getPreset } from '../../src/models/index.ts';
import { crossCheckSuite, POWER } from './model-check.ts';

crossCheckSuite({
  label: 'resnet-20',
  config: 'resnet-20',
  eigenConfig: { ...getPreset('resnet-20'), preset: 'resnet-20-eigen-check', imageSize: 16, stemWidth: 8, widths: [8, 16, 32], stageBlocks: [1, 1, 1], numClasses: 10 },
  batch: 8,
  power: POWER,
  tolerance: { logits: 1e-4, features: 1e-5, loss: 1e-6, gradient: 1e-4, hvp: 1e-4, eigenvalues: 2e-3 },
});
