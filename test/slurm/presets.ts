// A tiny preset for commands that read CIFAR-format data (always 32x32): the 8x8 presets of test/support/presets.ts
// cannot go through `npm run experiment hessian`. Imported by test/slurm's tests and, as `--import
// ./test/slurm/presets.ts`, by the CLI processes they start (Slurm's shards inherit it through node's arguments).
import { getPreset, registerPreset, listPresets, type ModelConfig } from '../../src/models/index.ts';

export const VIT_32_TINY = 'vit-32-tiny-test';

if (!listPresets().includes(VIT_32_TINY)) {
  const { description: _base, ...vit } = getPreset('vit-ti');
  registerPreset(
    { ...vit, imageSize: 32, patchSize: 8, dim: 8, depth: 1, heads: 2, mlpRatio: 2, dropPathRate: 0, preset: VIT_32_TINY } as ModelConfig,
    'test only: 32x32 images, patch 8, dim 8, depth 1, 2 heads',
  );
}
