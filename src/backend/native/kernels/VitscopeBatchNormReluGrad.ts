// VitscopeBatchNormRelu's first-order gradient: ReLU's mask step(y) applied to dy as the BatchNorm backward pass
// reads it (the separate VitscopeReluGrad kernel made one more full pass over dy).
import { addon } from '../addon.ts';
import { BATCH_NORM_RELU_GRAD, checkBatchNormReluInputs } from '../fused-kernels.ts';
import { f32, f32out, nativeKernel, sizeOf } from './util.ts';
import type { tf } from '../../tf.ts';

export const vitscopeBatchNormReluGradConfig = nativeKernel(BATCH_NORM_RELU_GRAD, ({ inputs, backend, attrs }) => {
  checkBatchNormReluInputs(BATCH_NORM_RELU_GRAD, inputs as Record<string, tf.TensorInfo | undefined>);
  const { x, gamma, y, dy, mean, variance } = inputs as Record<string, tf.TensorInfo>;
  const C = x.shape[x.shape.length - 1];
  const n = sizeOf(x.shape);
  const dx = f32out(n), dg = f32out(C), db = f32out(C);
  addon().batchNormReluTrainGrad(f32(backend, x), f32(backend, gamma), f32(backend, y), f32(backend, dy), f32(backend, mean),
    f32(backend, variance), dx, dg, db, n / C, C, (attrs as { epsilon: number }).epsilon);
  return [backend.makeTensorInfo(x.shape, 'float32', dx), backend.makeTensorInfo([C], 'float32', dg),
    backend.makeTensorInfo([C], 'float32', db)];
});
