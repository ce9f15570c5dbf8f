// Helpers shared by the native kernels: typed-array access, output creation, broadcasting strides, cpu fallback.
import { tf } from '../../tf.ts';
import type { MathBackendCPU } from '@tensorflow/tfjs-backend-cpu';
import { pool } from '../buffer-pool.ts';

export type Backend = MathBackendCPU;
export type KernelArgs = Parameters<tf.KernelFunc>[0];

/**
 * The stored values of a tensor as the typed array its dtype implies. No copy, except where the cpu backend's Cast
 * shares storage across dtypes (bool or int32 data behind a float32 tensor): then a converted copy.
 */
export function vals<T = Float32Array>(backend: Backend, t: tf.TensorInfo): T {
  const v = backend.data.get(t.dataId).values;
  if (t.dtype === 'float32' && !(v instanceof Float32Array)) return Float32Array.from(v as ArrayLike<number>) as unknown as T;
  if (t.dtype === 'int32' && !(v instanceof Int32Array)) return Int32Array.from(v as ArrayLike<number>) as unknown as T;
  if (t.dtype === 'bool' && !(v instanceof Uint8Array)) return Uint8Array.from(v as ArrayLike<number>, (x) => (x ? 1 : 0)) as unknown as T;
  return v as unknown as T;
}

export function f32(backend: Backend, t: tf.TensorInfo): Float32Array {
  return vals<Float32Array>(backend, t);
}

export function sizeOf(shape: number[]): number {
  let n = 1;
  for (const d of shape) n *= d;
  return n;
}

/** Row-major strides of a shape. */
export function stridesOf(shape: number[]): number[] {
  const s = new Array<number>(shape.length);
  let acc = 1;
  for (let i = shape.length - 1; i >= 0; --i) {
    s[i] = acc;
    acc *= shape[i];
  }
  return s;
}

/** Strides of `shape` read as broadcast to `outShape` (0 along broadcast dimensions). */
export function broadcastStrides(shape: number[], outShape: number[]): number[] {
  const own = stridesOf(shape);
  const off = outShape.length - shape.length;
  return outShape.map((d, i) => (i < off || shape[i - off] === 1 ? 0 : own[i - off]));
}

/**
 * Output storage for a dtype from the buffer pool (all numeric dtypes the toolkit uses; strings and complex fall
 * back to cpu). Contents are arbitrary unless `zero`: kernels must write every element.
 */
export function alloc(dtype: tf.DataType, n: number, zero = false): Float32Array | Int32Array | Uint8Array {
  if (dtype === 'float32' || dtype === 'int32' || dtype === 'bool') return pool.take(dtype, n, zero);
  throw new Error(`native backend: no storage for dtype ${dtype}`);
}

/** float32 output storage (see alloc). */
export function f32out(n: number): Float32Array {
  return pool.take('float32', n) as Float32Array;
}

export function isNumeric(dtype: tf.DataType): boolean {
  return dtype === 'float32' || dtype === 'int32' || dtype === 'bool';
}

/** The same kernel on the cpu backend (the native backend stores tensors exactly like cpu). */
export function cpuKernel(name: string): tf.KernelFunc {
  const k = tf.getKernel(name, 'cpu');
  if (!k) throw new Error(`native backend: no cpu kernel ${name} to fall back to`);
  return k.kernelFunc;
}

/** Builds a kernel config whose function falls back to cpu whenever `impl` returns null. */
export function nativeKernel(
  kernelName: string,
  impl: (args: KernelArgs & { backend: Backend }) => tf.TensorInfo | tf.TensorInfo[] | null,
): tf.KernelConfig {
  let fallback: tf.KernelFunc | null = null;
  return {
    kernelName,
    backendName: 'native',
    kernelFunc: (args) => {
      const r = impl(args as KernelArgs & { backend: Backend });
      if (r !== null) return r;
      fallback ??= cpuKernel(kernelName);
      return fallback(args);
    },
  };
}

/** Activation codes understood by the addon's fused matmul / conv (see native/src/common.h). */
export function activationCode(act: string | undefined): number | null {
  switch (act ?? 'linear') {
    case 'linear': return 0;
    case 'relu': return 1;
    case 'relu6': return 2;
    case 'elu': return 3;
    case 'leakyrelu': return 4;
    case 'sigmoid': return 5;
    default: return null; // prelu: cpu
  }
}

/** Axis parameter normalised to sorted non-negative axes. */
export function normAxes(axis: number | number[] | undefined | null, rank: number): number[] {
  const list = axis === undefined || axis === null ? [...Array(rank).keys()] : Array.isArray(axis) ? axis : [axis];
  return [...new Set(list.map((a) => (a < 0 ? a + rank : a)))].sort((x, y) => x - y);
}
