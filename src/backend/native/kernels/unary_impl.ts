// Elementwise float32 unary ops; other dtypes fall back to cpu.
import { tf } from '../../tf.ts';
import { addon } from '../addon.ts';
import { f32, f32out, nativeKernel, sizeOf } from './util.ts';

/** Op codes of native/src/elementwise.cc's unary(). */
export const UNARY_OPS = {
  Exp: 0, Log: 1, Sqrt: 2, Rsqrt: 3, Square: 4, Neg: 5, Relu: 6, Relu6: 7, Erf: 8, Tanh: 9, Sigmoid: 10, Abs: 11,
  Reciprocal: 12, Step: 13, Elu: 14, LeakyRelu: 15, Sin: 16, Cos: 17, Floor: 18, Ceil: 19, Sign: 20, Log1p: 21,
  Expm1: 22, ClipByValue: 23, Softplus: 24,
} as const;

export function unaryKernel(
  kernelName: keyof typeof UNARY_OPS,
  params: (attrs: Record<string, unknown>) => [number, number] = () => [0, 0],
): tf.KernelConfig {
  const op = UNARY_OPS[kernelName];
  return nativeKernel(kernelName, ({ inputs, backend, attrs }) => {
    const { x } = inputs as { x: tf.TensorInfo };
    if (x.dtype !== 'float32') return null;
    const n = sizeOf(x.shape);
    const out = f32out(n);
    const [p1, p2] = params((attrs ?? {}) as Record<string, unknown>);
    if (n > 0) addon().unary(op, f32(backend, x), out, n, p1, p2);
    return backend.makeTensorInfo(x.shape, 'float32', out);
  });
}
