// ChannelAffine's scale and shift gradients [sum dy * x, sum dy] per channel in one pass over dy and x.
import { addon } from '../addon.ts';
import { CHANNEL_AFFINE_GRAD, checkChannelAffineInputs } from '../fused-kernels.ts';
import { f32, f32out, nativeKernel, sizeOf } from './util.ts';
import type { tf } from '../../tf.ts';

export const vitscopeChannelAffineGradConfig = nativeKernel(CHANNEL_AFFINE_GRAD, ({ inputs, backend }) => {
  const ins = inputs as Record<string, tf.TensorInfo | undefined>;
  checkChannelAffineInputs(CHANNEL_AFFINE_GRAD, ins);
  const x = ins.x!;
  const C = x.shape[x.shape.length - 1]!;
  const n = sizeOf(x.shape);
  const dscale = f32out(C), dshift = f32out(C);
  addon().channelAffineGrad(f32(backend, ins.dy!), f32(backend, x), dscale, dshift, C > 0 ? n / C : 0, C);
  return [backend.makeTensorInfo([C], 'float32', dscale), backend.makeTensorInfo([C], 'float32', dshift)];
});
