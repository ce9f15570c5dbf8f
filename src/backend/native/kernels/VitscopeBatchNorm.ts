import { addon } from '../addon.ts';
import { BATCH_NORM } from '../fused-kernels.ts';
import { f32, f32out, nativeKernel, sizeOf } from './util.ts';
import type { tf } from '../../tf.ts';

export const vitscopeBatchNormConfig = nativeKernel(BATCH_NORM, ({ inputs, backend, attrs }) => {
  const { x, gamma, beta } = inputs as Record<string, tf.TensorInfo>;
  const C = x.shape[x.shape.length - 1];
  const n = sizeOf(x.shape);
  const y = f32out(n), mean = f32out(C), variance = f32out(C);
  addon().batchNormTrain(f32(backend, x), f32(backend, gamma), f32(backend, beta), y, mean, variance, C > 0 ? n / C : 0, C,
    (attrs as { epsilon: number }).epsilon);
  return [backend.makeTensorInfo(x.shape, 'float32', y), backend.makeTensorInfo([C], 'float32', mean),
    backend.makeTensorInfo([C], 'float32', variance)];
});
