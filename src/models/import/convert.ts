// Layout conversion from PyTorch's tensor layouts to vitscope's (tfjs) ones, by a parameter's declared layout
// (ParamLayout, src/models/model.ts): never guessed from a tensor's rank.
import type { ParamLayout } from '../model.ts';

/** The shape the PyTorch tensor has for a vitscope tensor of shape `target` declared as `layout`. */
export function sourceShape(target: readonly number[], layout: ParamLayout): number[] {
  const need = (rank: number): void => {
    if (target.length !== rank) throw new Error(`internal: a ${layout} layout needs a ${rank}-D target, got [${target.join(', ')}]`);
  };
  switch (layout) {
    case 'dense':
      need(2);
      return [target[1]!, target[0]!]; // Linear [out, in] from [in, out]
    case 'conv': {
      need(4);
      const [kh, kw, cin, cout] = target as [number, number, number, number];
      return [cout, cin, kh, kw]; // OIHW from [kh, kw, in, out]
    }
    case 'depthwise': {
      need(4);
      const [kh, kw, c, m] = target as [number, number, number, number];
      return [c * m, 1, kh, kw]; // Conv2d(C, C*M, groups=C).weight from [kh, kw, C, M]
    }
    case 'spatial': {
      need(4);
      const [one, h, w, c] = target as [number, number, number, number];
      return [one, c, h, w]; // [1, C, H, W] from [1, H, W, C]
    }
    default:
      return [...target];
  }
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

/** Source values (in the source shape, see sourceShape) to vitscope's layout; `target` (the vitscope shape) fixes a depthwise multiplier. */
export function toTargetLayout(values: Float32Array, source: readonly number[], layout: ParamLayout, target?: readonly number[]): Float32Array {
  switch (layout) {
    case 'dense':
      return permute(values, source, [1, 0]);
    case 'conv':
      return permute(values, source, [2, 3, 1, 0]); // OIHW -> HWIO
    case 'depthwise': {
      // [C*M, 1, kh, kw] is [C, M, kh, kw] (output channel c*M + m) -> [kh, kw, C, M]
      const [cm, one, kh, kw] = source as [number, number, number, number];
      const m = target?.[3];
      if (source.length !== 4 || one !== 1 || m === undefined || cm % m !== 0)
        throw new Error(`a depthwise filter must be [C*M, 1, kh, kw] for a target [kh, kw, C, M], found [${source.join(', ')}] for [${target?.join(', ') ?? '?'}]`);
      return permute(values, [cm / m, m, kh, kw], [2, 3, 0, 1]);
    }
    case 'spatial':
      return permute(values, source, [0, 2, 3, 1]); // [1, C, H, W] -> [1, H, W, C]
    default:
      return values;
  }
}

/** vitscope's values of a tensor of shape `target` declared as `layout`, in PyTorch's layout (sourceShape): the inverse of toTargetLayout. */
export function toSourceLayout(values: Float32Array, target: readonly number[], layout: ParamLayout): Float32Array {
  switch (layout) {
    case 'dense':
      return permute(values, target, [1, 0]);
    case 'conv':
      return permute(values, target, [3, 2, 0, 1]); // HWIO -> OIHW
    case 'depthwise':
      return permute(values, target, [2, 3, 0, 1]); // [kh, kw, C, M] -> [C, M, kh, kw] = [C*M, 1, kh, kw]
    case 'spatial':
      return permute(values, target, [0, 3, 1, 2]); // [1, H, W, C] -> [1, C, H, W]
    default:
      return values;
  }
}
