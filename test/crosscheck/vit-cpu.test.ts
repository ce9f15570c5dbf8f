// PyTorch cross-check of the vit-cpu preset: full size for logits, features, loss, gradient, HVP and the
// analyses, on a batch of 8. The top-5 eigenvalues run on a smaller ViT of the same architecture (16 x 16
// images, patch 4, dim 48, depth 2, 3 heads, 10 classes) with up to 20 products per eigenvalue (the quick
// Hessian protocol's cap; PyHessian's default is 100): each product of the full model costs seconds on 2 cores.
import { getPreset } from '../../src/models/index.ts';
import { crossCheckSuite, POWER } from './model-check.ts';

crossCheckSuite({
  label: 'vit-cpu',
  config: 'vit-cpu',
  eigenConfig: { ...getPreset('vit-cpu'), preset: 'vit-cpu-eigen-check', imageSize: 16, dim: 48, depth: 2, heads: 3, numClasses: 10 },
  batch: 8,
  power: POWER,
  tolerance: { logits: 1e-4, features: 1e-5, loss: 1e-6, gradient: 1e-4, hvp: 1e-4, eigenvalues: 2e-3 },
});
