// Layout conversion from PyTorch's tensor layouts to vitscope's (tfjs) ones.
import type { Layout } from './architectures/types.ts';

/** The shape the source tensor must have for a target of shape `target` under `layout`. */
export function sourceShape(target: readonly number[], layout: Layout): number[] {
  if (layout === 'linear') {
    if (target.length !== 2) throw new Error(`internal: linear layout needs a 2-D target, got [${target.join(', ')}]`);
    return [target[1]!, target[0]!]; // [out, in] from [in, out]
  }
  if (layout === 'conv') {
    if (target.length !== 4) throw new Error(`internal: conv layout needs a 4-D target, got [${target.join(', ')}]`);
    const [kh, kw, cin, cout] = target as [number, number, number, number];
    return [cout, cin, kh, kw]; // OIHW from [kh, kw, in, out]
  }
  return [...target];
}

/** Row-major values of a tensor of `shape` with its axes reordered: out axis i is input axis perm[i]. */
export function permute(values: Float32Array, shape: readonly number[], perm: readonly number[]): Float32Array {
  const rank = shape.length;
  const outShape = perm.map((p) => shape[p]!);
  const inStrides = new Array<number>(rank);
  let acc = 1;
  for (let i = rank - 1; i >= 0; i--) {
    inStrides[i] = acc;
    acc *= shape[i]!;
  }
  const strides = perm.map((p) => inStrides[p]!);
  const out = new Float32Array(values.length);
  const idx = new Array<number>(rank).fill(0);
  let at = 0;
  for (let i = 0; i < out.length; i++) {
    out[i] = values[at]!;
    for (let d = rank - 1; d >= 0; d--) {
      idx[d]!++;
      at += strides[d]!;
      if (idx[d]! < outShape[d]!) break;
      at -= strides[d]! * outShape[d]!;
      idx[d] = 0;
    }
  }
  return out;
}

/** Source values (in the source shape) to vitscope's layout. */
export function toTargetLayout(values: Float32Array, source: readonly number[], layout: Layout): Float32Array {
  if (layout === 'linear') return permute(values, source, [1, 0]);
  if (layout === 'conv') return permute(values, source, [2, 3, 1, 0]); // OIHW -> HWIO
  return values;
}
