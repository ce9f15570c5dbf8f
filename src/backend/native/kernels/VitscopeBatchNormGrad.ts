import { addon } from '../addon.ts';
import { BATCH_NORM_GRAD } from '../fused-kernels.ts';
import { f32, f32out, nativeKernel, sizeOf } from './util.ts';
import type { tf } from '../../tf.ts';

export const vitscopeBatchNormGradConfig = nativeKernel(BATCH_NORM_GRAD, ({ inputs, backend, attrs }) => {
  const { x, gamma, dy, mean, variance } = inputs as Record<string, tf.TensorInfo>;
  const C = x.shape[x.shape.length - 1];
  const n = sizeOf(x.shape);
  const dx = f32out(n), dg = f32out(C), db = f32out(C);
  addon().batchNormTrainGrad(f32(backend, x), f32(backend, gamma), f32(backend, dy), f32(backend, mean), f32(backend, variance),
    dx, dg, db, C > 0 ? n / C : 0, C, (attrs as { epsilon: number }).epsilon);
  return [backend.makeTensorInfo(x.shape, 'float32', dx), backend.makeTensorInfo([C], 'float32', dg),
    backend.makeTensorInfo([C], 'float32', db)];
});
