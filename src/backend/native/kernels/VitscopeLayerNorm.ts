import { addon } from '../addon.ts';
import { LAYER_NORM } from '../fused-kernels.ts';
import { f32, f32out, nativeKernel, sizeOf } from './util.ts';
import type { tf } from '../../tf.ts';

export const vitscopeLayerNormConfig = nativeKernel(LAYER_NORM, ({ inputs, backend, attrs }) => {
  const { x, gamma, beta } = inputs as Record<string, tf.TensorInfo>;
  const cols = x.shape[x.shape.length - 1];
  const n = sizeOf(x.shape);
  const y = f32out(n);
  if (n > 0) addon().layerNorm(f32(backend, x), f32(backend, gamma), f32(backend, beta), y, n / cols, cols, (attrs as { epsilon: number }).epsilon);
  return backend.makeTensorInfo(x.shape, 'float32', y);
});
