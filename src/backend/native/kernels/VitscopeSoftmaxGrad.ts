// Softmax's gradient y (dy - sum(dy y)) over the last axis as one pass per row (the composite's Multiply, Sum,
// Multiply and Sub read and wrote score-sized tensors four times, and recorded as many for double backprop).
import { addon } from '../addon.ts';
import { SOFTMAX_GRAD, SOFTMAX_GRAD_GRAD, softmaxGradLayout } from '../../gradients/softmax.ts';
import { f32, f32out, nativeKernel, sizeOf } from './util.ts';
import type { tf } from '../../tf.ts';

export const vitscopeSoftmaxGradConfig = nativeKernel(SOFTMAX_GRAD, ({ inputs, backend, attrs }) => {
  const { y, dy } = inputs as Record<string, tf.TensorInfo>;
  const { rows, cols } = softmaxGradLayout(SOFTMAX_GRAD, [y, dy], attrs);
  const n = sizeOf(y.shape);
  const dx = f32out(n);
  if (n > 0) addon().softmaxGrad(f32(backend, y), f32(backend, dy), dx, rows, cols);
  return backend.makeTensorInfo(y.shape, 'float32', dx);
});

export const vitscopeSoftmaxGradGradConfig = nativeKernel(SOFTMAX_GRAD_GRAD, ({ inputs, backend, attrs }) => {
  const { y, dy, a } = inputs as Record<string, tf.TensorInfo>;
  const { rows, cols } = softmaxGradLayout(SOFTMAX_GRAD_GRAD, [y, dy, a], attrs);
  const n = sizeOf(y.shape);
  const gy = f32out(n), gdy = f32out(n);
  if (n > 0) addon().softmaxGradGrad(f32(backend, y), f32(backend, dy), f32(backend, a), gy, gdy, rows, cols);
  return [backend.makeTensorInfo(y.shape, 'float32', gy), backend.makeTensorInfo(y.shape, 'float32', gdy)];
});
