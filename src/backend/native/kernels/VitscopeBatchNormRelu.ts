// Training-mode BatchNorm whose output is relu'd in the same pass (the separate Relu kernel read and wrote every
// activation once more).
import { addon } from '../addon.ts';
import { BATCH_NORM_RELU, checkBatchNormReluInputs } from '../fused-kernels.ts';
import { f32, f32out, nativeKernel, sizeOf } from './util.ts';
import type { tf } from '../../tf.ts';

export const vitscopeBatchNormReluConfig = nativeKernel(BATCH_NORM_RELU, ({ inputs, backend, attrs }) => {
  checkBatchNormReluInputs(BATCH_NORM_RELU, inputs as Record<string, tf.TensorInfo | undefined>);
  const { x, gamma, beta } = inputs as Record<string, tf.TensorInfo>;
  const C = x.shape[x.shape.length - 1];
  const n = sizeOf(x.shape);
  const y = f32out(n), mean = f32out(C), variance = f32out(C);
  addon().batchNormReluTrain(f32(backend, x), f32(backend, gamma), f32(backend, beta), y, mean, variance, n / C, C,
    (attrs as { epsilon: number }).epsilon);
  return [backend.makeTensorInfo(x.shape, 'float32', y), backend.makeTensorInfo([C], 'float32', mean),
    backend.makeTensorInfo([C], 'float32', variance)];
});
