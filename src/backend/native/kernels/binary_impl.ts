// Broadcasting float32 binary ops (comparisons produce bool); other dtypes fall back to cpu.
import { tf } from '../../tf.ts';
import { addon } from '../addon.ts';
import { pool } from '../buffer-pool.ts';
import { broadcastStrides, f32, f32out, nativeKernel, sizeOf } from './util.ts';

/** Op codes of native/src/elementwise.cc's binary(). */
export const BINARY_OPS = {
  Add: 0, Sub: 1, Multiply: 2, RealDiv: 3, Maximum: 4, Minimum: 5, Pow: 6, SquaredDifference: 7,
  Equal: 8, NotEqual: 9, Less: 10, LessEqual: 11, Greater: 12, GreaterEqual: 13,
} as const;

/** Op code of ReLU's gradient dy * step(x) (./VitscopeReluGrad.ts); float32 out like ops 0-7. */
export const RELU_GRAD_OP = 14;

export function binaryKernel(kernelName: keyof typeof BINARY_OPS): tf.KernelConfig {
  const op = BINARY_OPS[kernelName];
  const logical = op >= 8;
  return nativeKernel(kernelName, ({ inputs, backend }) => {
    const { a, b } = inputs as { a: tf.TensorInfo; b: tf.TensorInfo };
    if (a.dtype !== 'float32' || b.dtype !== 'float32') return null;
    const outShape = tf.backend_util.assertAndGetBroadcastShape(a.shape, b.shape);
    const n = sizeOf(outShape);
    const out = logical ? (pool.take('bool', n) as Uint8Array) : f32out(n);
    if (n > 0) {
      addon().binary(op, f32(backend, a), f32(backend, b), out, outShape, broadcastStrides(a.shape, outShape),
        broadcastStrides(b.shape, outShape));
    }
    return backend.makeTensorInfo(outShape, logical ? 'bool' : 'float32', out);
  });
}
