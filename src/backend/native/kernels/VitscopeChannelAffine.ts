// y = x * scale + shift per channel (last axis) in one pass: evaluation-mode BatchNorm and its derivatives, which
// as composite Sub/Multiply/Add with broadcasts read and wrote every activation three times.
import { addon } from '../addon.ts';
import { CHANNEL_AFFINE, checkChannelAffineInputs } from '../fused-kernels.ts';
import { f32, f32out, nativeKernel, sizeOf } from './util.ts';
import type { tf } from '../../tf.ts';

export const vitscopeChannelAffineConfig = nativeKernel(CHANNEL_AFFINE, ({ inputs, backend }) => {
  const ins = inputs as Record<string, tf.TensorInfo | undefined>;
  checkChannelAffineInputs(CHANNEL_AFFINE, ins);
  const x = ins.x!;
  const C = x.shape[x.shape.length - 1]!;
  const n = sizeOf(x.shape);
  const y = f32out(n);
  addon().channelAffine(f32(backend, x), f32(backend, ins.scale!), ins.shift ? f32(backend, ins.shift) : null, y, C > 0 ? n / C : 0, C);
  return backend.makeTensorInfo(x.shape, 'float32', y);
});
