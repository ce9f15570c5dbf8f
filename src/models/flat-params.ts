// A flat view of a model's parameters for the Hessian and the loss landscape: the parameters
// listed by name (model order by default) concatenated into one vector, and back.
import { tf } from '../backend/tf.ts';
import type { Model } from './model.ts';

/**
 * Names of the parameters matching `pattern` (a RegExp, a substring, or a predicate on the name), in
 * model order; all if none. Takes a model or just its paramInfo holder.
 */
export function selectParams(model: Pick<Model, 'paramInfo'>, pattern?: string | RegExp | ((name: string) => boolean)): string[] {
  const names = model.paramInfo.map((p) => p.name);
  if (pattern === undefined) return names;
  const test =
    typeof pattern === 'function' ? pattern : typeof pattern === 'string' ? (n: string) => n.includes(pattern) : (n: string) => pattern.test(n);
  return names.filter(test);
}

/** The listed names checked against the model (all parameters, model order, by default). */
export function resolveNames(model: Model, names?: readonly string[]): readonly string[] {
  if (!names) return model.paramInfo.map((p) => p.name);
  const seen = new Set<string>();
  for (const n of names) {
    if (!model.params.has(n)) throw new Error(`flat parameters: model ${model.config.preset} has no parameter '${n}'`);
    if (seen.has(n)) throw new Error(`flat parameters: parameter '${n}' is listed twice`);
    seen.add(n);
  }
  return names;
}

function shapeOf(model: Model, name: string): number[] {
  return model.params.get(name)!.shape;
}

function sizeOf(shape: readonly number[]): number {
  return shape.reduce((a, b) => a * b, 1);
}

/** Number of scalars in the listed parameters (all by default). */
export function flatSize(model: Model, names?: readonly string[]): number {
  return resolveNames(model, names).reduce((s, n) => s + sizeOf(shapeOf(model, n)), 0);
}

/** The listed parameters' current values, concatenated in list order (read asynchronously: any backend). */
export async function getFlatParams(model: Model, names?: readonly string[]): Promise<Float64Array> {
  const list = resolveNames(model, names);
  const out = new Float64Array(flatSize(model, list));
  const values = await Promise.all(list.map((n) => model.params.get(n)!.data()));
  let off = 0;
  for (const d of values) {
    out.set(d, off);
    off += d.length;
  }
  return out;
}

function checkLength(model: Model, list: readonly string[], length: number): void {
  const expected = flatSize(model, list);
  if (length !== expected)
    throw new Error(`flat parameters: vector has ${length} entries, expected ${expected} for ${list.length} parameters of ${model.config.preset}`);
}

/** Assigns the listed parameters from a flat vector (rounded to float32). */
export function setFlatParams(model: Model, vec: Float64Array | Float32Array, names?: readonly string[]): void {
  const list = resolveNames(model, names);
  checkLength(model, list, vec.length);
  let off = 0;
  for (const n of list) {
    const v = model.params.get(n)!;
    const k = sizeOf(v.shape);
    const t = tf.tensor(Float32Array.from(vec.subarray(off, off + k)), v.shape, 'float32');
    v.assign(t);
    t.dispose();
    off += k;
  }
}

/**
 * Splits a flat vector into consecutive float32 tensors of the given shapes (the vector is assumed
 * long enough). From a Tensor1D the pieces are slices of it, so gradients flow back to the vector.
 */
export function splitFlat(vec: Float64Array | Float32Array | tf.Tensor1D, shapes: readonly (readonly number[])[]): tf.Tensor[] {
  const out: tf.Tensor[] = [];
  let off = 0;
  for (const shape of shapes) {
    const k = sizeOf(shape);
    if (vec instanceof tf.Tensor) out.push(tf.reshape(tf.slice(vec, [off], [k]), [...shape]));
    else out.push(tf.tensor(Float32Array.from(vec.subarray(off, off + k)), [...shape], 'float32'));
    off += k;
  }
  return out;
}

/**
 * Splits a flat vector into named tensors shaped like the parameters (for ForwardOptions.params).
 * From a Tensor1D the pieces are slices of it, so gradients flow back to the vector.
 */
export function unflatten(model: Model, vec: Float64Array | Float32Array | tf.Tensor1D, names?: readonly string[]): Map<string, tf.Tensor> {
  const list = resolveNames(model, names);
  const length = vec instanceof tf.Tensor ? vec.shape[0] : vec.length;
  checkLength(model, list, length);
  const pieces = splitFlat(vec, list.map((n) => shapeOf(model, n)));
  return new Map(list.map((n, i) => [n, pieces[i]!]));
}
