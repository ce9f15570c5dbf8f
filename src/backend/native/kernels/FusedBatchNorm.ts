import { tf } from '../../tf.ts';
import { addon } from '../addon.ts';
import { f32, f32out, nativeKernel, sizeOf } from './util.ts';

// y = (x - mean) * scale / sqrt(variance + eps) + offset, parameters per channel (last axis) or scalar
export const fusedBatchNormConfig = nativeKernel(tf.FusedBatchNorm, ({ inputs, backend, attrs }) => {
  const { x, mean, variance, offset, scale } = inputs as Record<string, tf.TensorInfo | undefined>;
  const { varianceEpsilon } = attrs as unknown as tf.FusedBatchNormAttrs;
  const params = [mean!, variance!, offset, scale];
  if (x!.dtype !== 'float32' || params.some((p) => p && p.dtype !== 'float32')) return null;
  const C = x!.shape.length > 0 ? x!.shape[x!.shape.length - 1] : 1;
  const sizes = params.map((p) => (p ? sizeOf(p.shape) : 1));
  if (sizes.some((s) => s !== 1 && s !== C)) return null;
  const n = sizeOf(x!.shape);
  const out = f32out(n);
  if (n > 0) {
    addon().batchNorm(f32(backend, x!), f32(backend, mean!), f32(backend, variance!), offset ? f32(backend, offset) : null,
      scale ? f32(backend, scale) : null, out, n, C, sizes[0], sizes[1], sizes[2], sizes[3], varianceEpsilon);
  }
  return backend.makeTensorInfo(x!.shape, 'float32', out);
});
