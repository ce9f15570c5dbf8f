// Reductions over any set of axes: each contiguous run of reduced axes is one [outer, R, inner] pass.
import { tf } from '../../tf.ts';
import { addon } from '../addon.ts';
import { alloc, f32, f32out, nativeKernel, normAxes, sizeOf } from './util.ts';

export const REDUCE_OPS = { Sum: 0, Mean: 1, Max: 2, Min: 3, Prod: 4, ArgMax: 5, ArgMin: 6 } as const;

/** Reduces float32 `x` over sorted `axes`; returns values laid out in the kept dimensions' order. */
export function reduceValues(op: number, x: Float32Array, shape: number[], axes: number[]): Float32Array {
  // runs of consecutive axes, innermost first, so earlier axes keep their positions
  const runs: [number, number][] = [];
  for (const a of axes) {
    const last = runs[runs.length - 1];
    if (last && last[1] === a - 1) last[1] = a;
    else runs.push([a, a]);
  }
  let cur = x;
  let curShape = shape.slice();
  const base = op === REDUCE_OPS.Mean ? REDUCE_OPS.Sum : op;
  for (let i = runs.length - 1; i >= 0; --i) {
    const [s, e] = runs[i];
    const outer = sizeOf(curShape.slice(0, s)), R = sizeOf(curShape.slice(s, e + 1)), inner = sizeOf(curShape.slice(e + 1));
    const out = f32out(outer * inner);
    addon().reduce(runs.length === 1 ? op : base, cur, out, outer, R, inner);
    cur = out;
    curShape = [...curShape.slice(0, s), ...curShape.slice(e + 1)];
  }
  if (op === REDUCE_OPS.Mean && runs.length > 1) {
    const scale = 1 / sizeOf(axes.map((a) => shape[a]));
    for (let i = 0; i < cur.length; ++i) cur[i] *= scale;
  }
  return cur;
}

export function reduceKernel(kernelName: 'Sum' | 'Mean' | 'Max' | 'Min' | 'Prod', axisAttr: string): tf.KernelConfig {
  const op = REDUCE_OPS[kernelName];
  return nativeKernel(kernelName, ({ inputs, backend, attrs }) => {
    const { x } = inputs as { x: tf.TensorInfo };
    if (x.dtype !== 'float32') return null;
    const a = attrs as Record<string, unknown>;
    const axes = normAxes(a[axisAttr] as number | number[], x.shape.length);
    if (axes.some((ax) => ax < 0 || ax >= x.shape.length)) return null; // cpu raises the proper error
    if (sizeOf(x.shape) === 0 || axes.some((ax) => x.shape[ax] === 0)) return null;
    const kept = x.shape.filter((_, i) => !axes.includes(i));
    const outShape = a.keepDims ? x.shape.map((d, i) => (axes.includes(i) ? 1 : d)) : kept;
    const values = axes.length === 0 ? f32(backend, x).slice() : reduceValues(op, f32(backend, x), x.shape, axes);
    return backend.makeTensorInfo(outShape, 'float32', values);
  });
}

export function argKernel(kernelName: 'ArgMax' | 'ArgMin'): tf.KernelConfig {
  const op = REDUCE_OPS[kernelName];
  return nativeKernel(kernelName, ({ inputs, backend, attrs }) => {
    const { x } = inputs as { x: tf.TensorInfo };
    if (x.dtype !== 'float32') return null;
    const [axis] = normAxes((attrs as { axis: number }).axis, x.shape.length);
    if (axis === undefined || axis >= x.shape.length || x.shape[axis] === 0) return null;
    const outer = sizeOf(x.shape.slice(0, axis)), inner = sizeOf(x.shape.slice(axis + 1));
    const out = alloc('int32', outer * inner) as Int32Array;
    addon().reduce(op, f32(backend, x), out, outer, x.shape[axis], inner);
    return backend.makeTensorInfo(x.shape.filter((_, i) => i !== axis), 'int32', out);
  });
}
