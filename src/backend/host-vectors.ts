// Float64 host vectors to float32 tensors and back, for callers that work in float64 (the Hessian algorithms) and
// cross the boundary on every operator product.
// On the native backend the float32 storage of the tensors made here comes from the buffer pool and returns to it
// when they are disposed, and reads copy straight out of the backend's arrays without handing them to user code
// (a read through dataSync marks a buffer as escaped, so the pool could never reuse it). Fresh memory is what this
// avoids: each product of a large model allocated its input and dropped its output buffers, and first touching new
// pages costs page faults (on some virtual machines about 5 ms per MB: ~100 ms per product of vit-cpu).
import { tf } from './tf.ts';
import { pool } from './native/buffer-pool.ts';
import { HOST_BACKENDS } from './host-backends.ts';
import { f32, type Backend } from './native/kernels/util.ts';
import { addon } from './native/addon.ts';

function sizeOf(shape: readonly number[]): number {
  let n = 1;
  for (const d of shape) n *= d;
  return n;
}

/**
 * Consecutive pieces of `vec` from `offset`, as float32 tensors of the given shapes (rounded to float32).
 * The caller disposes them.
 */
export function tensorsFromFloat64(vec: Float64Array, shapes: readonly (readonly number[])[], offset = 0): tf.Tensor[] {
  const total = shapes.reduce((a, s) => a + sizeOf(s), 0);
  if (offset < 0 || offset + total > vec.length) {
    throw new Error(`tensorsFromFloat64: pieces of ${total} values from offset ${offset} do not fit a vector of length ${vec.length}`);
  }
  const pooled = tf.getBackend() === 'native';
  const out: tf.Tensor[] = [];
  let off = offset;
  for (const shape of shapes) {
    const k = sizeOf(shape);
    const values = pooled ? (pool.take('float32', k) as Float32Array) : new Float32Array(k);
    // the addon's threaded conversion on the native backend (25M values: ~40 ms in JavaScript); elsewhere an
    // explicit loop: TypedArray.prototype.set from float64 into float32 is several times slower in V8
    if (pooled) addon().convertCopy(vec, values, k, off, 0);
    else for (let i = 0; i < k; i++) values[i] = vec[off + i]!;
    out.push(tf.tensor(values, [...shape], 'float32'));
    off += k;
  }
  return out;
}

/**
 * Writes the parts, in order, into `out` from `offset` (float32 widened to float64). On host backends each part is
 * copied directly; elsewhere they are concatenated on the device and read once (one asynchronous read).
 */
export async function readIntoFloat64(parts: readonly tf.Tensor[], out: Float64Array, offset = 0): Promise<Float64Array> {
  const total = parts.reduce((a, t) => a + t.size, 0);
  if (offset < 0 || offset + total > out.length) {
    throw new Error(`readIntoFloat64: ${total} values from offset ${offset} do not fit a vector of length ${out.length}`);
  }
  if (parts.some((t) => t.dtype !== 'float32')) throw new Error('readIntoFloat64: expected float32 tensors');
  if (parts.length === 0) return out;
  if (!HOST_BACKENDS.has(tf.getBackend())) {
    // tidy: the per-part reshapes are new tensors
    const flat = tf.tidy(() => tf.concat(parts.map((t) => tf.reshape(t, [-1]))));
    try {
      out.set(await flat.data() as Float32Array, offset);
    } finally {
      flat.dispose();
    }
    return out;
  }
  let off = offset;
  const native = tf.getBackend() === 'native';
  for (const part of parts) {
    // the stored values, read without marking them as handed out (the pool keeps them): copied here and dropped;
    // widened by the addon on the native backend (V8's typed-array set took 170 ms per product of ResNet-50)
    const values = f32(tf.backend() as Backend, part);
    if (native) addon().convertCopy(values, out, part.size, 0, off);
    else out.set(values, off);
    off += part.size;
  }
  return out;
}
