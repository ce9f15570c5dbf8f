import { addon } from '../addon.ts';
import { ADAMW, type AdamWAttrs } from '../fused-kernels.ts';
import { f32, f32out, nativeKernel, sizeOf } from './util.ts';
import type { tf } from '../../tf.ts';

export const vitscopeAdamWConfig = nativeKernel(ADAMW, ({ inputs, backend, attrs }) => {
  const { p, g, m, v } = inputs as Record<string, tf.TensorInfo>;
  const a = attrs as unknown as AdamWAttrs;
  const n = sizeOf(p.shape);
  const po = f32out(n), mo = f32out(n), vo = f32out(n);
  if (n > 0) {
    addon().adamw(f32(backend, p), f32(backend, g), f32(backend, m), f32(backend, v), po, mo, vo, n, a.beta1, a.beta2, a.eps,
      a.stepSize, a.bc2Sqrt, a.decay);
  }
  return [po, mo, vo].map((o) => backend.makeTensorInfo(p.shape, 'float32', o));
});
