// ReLU's gradient dy * step(x) as one pass over dy and x (the Step, Cast and Multiply it replaces read and wrote
// every activation twice and cost three dispatches per ReLU).
import { addon } from '../addon.ts';
import { RELU_GRAD } from '../../gradients/relu.ts';
import { RELU_GRAD_OP } from './binary_impl.ts';
import { f32, f32out, nativeKernel, sizeOf } from './util.ts';
import type { tf } from '../../tf.ts';

export const vitscopeReluGradConfig = nativeKernel(RELU_GRAD, ({ inputs, backend }) => {
  const { dy, x } = inputs as Record<string, tf.TensorInfo>;
  if (dy.dtype !== 'float32' || x.dtype !== 'float32' || dy.shape.join() !== x.shape.join())
    throw new Error(`${RELU_GRAD}: expected float32 dy and x of one shape, found ${dy.dtype} [${dy.shape}] and ${x.dtype} [${x.shape}]`);
  const n = sizeOf(x.shape);
  const dx = f32out(n);
  if (n > 0) addon().binary(RELU_GRAD_OP, f32(backend, dy), f32(backend, x), dx, [n], [1], [1]);
  return backend.makeTensorInfo(x.shape, 'float32', dx);
});
