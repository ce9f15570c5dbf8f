// PyTorch cross-check of the vit-cpu preset (full size for logits, features, loss, gradient, HVP and the
// analyses on a batch of 8). The top-5 eigenvalues run on a smaller ViT of the same architecture (dim 48,
// depth 2, 3 heads, 10 classes): PyHessian's power iteration takes up to 100 products per eigenvalue, which
// on the full model would take minutes on 2 cores.
import { getPreset } from '../../src/models/index.ts';
import { crossCheckSuite } from './model-check.ts';

crossCheckSuite({
  label: 'vit-cpu',
  config: 'vit-cpu',
  eigenConfig: { ...getPreset('vit-cpu'), preset: 'vit-cpu-eigen-check', dim: 48, depth: 2, heads: 3, numClasses: 10 },
  batch: 8,
  power: { k: 5, maxIter: 100, tol: 1e-3 },
  tolerance: { logits: 1e-4, features: 1e-4, loss: 1e-5, gradient: 1e-3, hvp: 1e-3, eigenvalues: 1e-2 },
});
