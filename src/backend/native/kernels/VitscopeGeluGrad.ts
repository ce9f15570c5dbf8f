import { addon } from '../addon.ts';
import { GELU_GRAD, GELU_GRAD_GRAD } from '../fused-kernels.ts';
import { f32, f32out, nativeKernel, sizeOf } from './util.ts';
import type { tf } from '../../tf.ts';

export const vitscopeGeluGradConfig = nativeKernel(GELU_GRAD, ({ inputs, backend }) => {
  const { x, dy } = inputs as Record<string, tf.TensorInfo>;
  const n = sizeOf(x.shape);
  const dx = f32out(n);
  if (n > 0) addon().geluGrad(f32(backend, x), f32(backend, dy), dx, n);
  return backend.makeTensorInfo(x.shape, 'float32', dx);
});

/** Both input adjoints of GELU_GRAD in one pass (the composite read and wrote the activations' size several times). */
export const vitscopeGeluGradGradConfig = nativeKernel(GELU_GRAD_GRAD, ({ inputs, backend }) => {
  const { x, dy, a } = inputs as Record<string, tf.TensorInfo>;
  const n = sizeOf(x.shape);
  const gx = f32out(n), gdy = f32out(n);
  if (n > 0) addon().geluGradGrad(f32(backend, x), f32(backend, dy), f32(backend, a), gx, gdy, n);
  return [backend.makeTensorInfo(x.shape, 'float32', gx), backend.makeTensorInfo(x.shape, 'float32', gdy)];
});
