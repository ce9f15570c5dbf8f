// Moves a freshly created model's classifier head away from its initialisation. Some families start with a zero head
// (timm's Mixer): then every gradient upstream of it is zero and so is the Hessian's block of every other parameter,
// and a test comparing Hessian products proves nothing about the body's second derivatives.
import { tf } from '../../src/backend/tf.ts';
import { selectParamNames } from '../../src/hessian/param-groups.ts';
import type { Model } from '../../src/models/model.ts';

/** Draws the parameters the family declares as its head from N(0, std²) (seeded); returns their names. */
export function randomiseHead(model: Model, seed: number, std = 0.1): string[] {
  const names = selectParamNames(model.paramInfo, 'head');
  if (names.length === 0) throw new Error(`randomiseHead: ${model.config.preset} declares no head parameters`);
  names.forEach((name, i) => {
    const p = model.params.get(name)!;
    p.assign(tf.randomNormal(p.shape, 0, std, 'float32', seed + i));
  });
  return names;
}
