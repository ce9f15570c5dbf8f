import { addon } from '../addon.ts';
import { SILU } from '../fused-kernels.ts';
import { f32, f32out, nativeKernel, sizeOf } from './util.ts';
import type { tf } from '../../tf.ts';

export const vitscopeSiluConfig = nativeKernel(SILU, ({ inputs, backend }) => {
  const { x } = inputs as Record<string, tf.TensorInfo>;
  const n = sizeOf(x.shape);
  const y = f32out(n);
  if (n > 0) addon().silu(f32(backend, x), y, n);
  return backend.makeTensorInfo(x.shape, 'float32', y);
});
