// Parameter counts and FLOPs computed analytically from a configuration by its family (closed form per layer,
// independent of the model code, so tests can compare the two).
// FLOPs convention: 2 x multiply-accumulates of the forward pass on one image, counting every
// dense/conv layer and the attention products (q k^T and attention x v); normalisations,
// activations, softmax, biases, additions and pooling are not counted (they are a few percent).
import type { ModelConfig } from './model.ts';
import { resolveConfig } from './create.ts';
import { getFamily, type Complexity } from './registry.ts';

export type { Complexity } from './registry.ts';

/** Parameter count and multiply-accumulates per image of a preset or configuration. */
export function complexity(presetOrConfig: string | ModelConfig, opts: { numClasses?: number } = {}): Complexity {
  const c = resolveConfig(presetOrConfig, opts);
  return getFamily(c.family).complexity(c);
}

/** Trainable parameters, from the architecture. */
export function countParams(presetOrConfig: string | ModelConfig, opts: { numClasses?: number } = {}): number {
  return complexity(presetOrConfig, opts).params;
}

/** Forward FLOPs per image = 2 x multiply-accumulates (see the convention above). */
export function flopsPerImage(presetOrConfig: string | ModelConfig, opts: { numClasses?: number } = {}): number {
  return 2 * complexity(presetOrConfig, opts).macs;
}

/** Sum of the sizes in model.paramInfo (what the model really holds). */
export function paramInfoCount(info: readonly { shape: readonly number[] }[]): number {
  return info.reduce((s, p) => s + p.shape.reduce((a, b) => a * b, 1), 0);
}
