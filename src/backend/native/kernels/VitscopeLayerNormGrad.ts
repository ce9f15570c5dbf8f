import { addon } from '../addon.ts';
import { LAYER_NORM_GRAD, LAYER_NORM_GRAD_GRAD, checkLayerNormGradGradInputs } from '../fused-kernels.ts';
import { f32, f32out, nativeKernel, sizeOf } from './util.ts';
import type { tf } from '../../tf.ts';

export const vitscopeLayerNormGradConfig = nativeKernel(LAYER_NORM_GRAD, ({ inputs, backend, attrs }) => {
  const { x, gamma, dy } = inputs as Record<string, tf.TensorInfo>;
  const cols = x.shape[x.shape.length - 1];
  const n = sizeOf(x.shape);
  const dx = f32out(n), dg = f32out(cols), db = f32out(cols);
  addon().layerNormGrad(f32(backend, x), f32(backend, gamma), f32(backend, dy), dx, dg, db, cols > 0 ? n / cols : 0, cols,
    (attrs as { epsilon: number }).epsilon);
  return [backend.makeTensorInfo(x.shape, 'float32', dx), backend.makeTensorInfo([cols], 'float32', dg),
    backend.makeTensorInfo([cols], 'float32', db)];
});

export const vitscopeLayerNormGradGradConfig = nativeKernel(LAYER_NORM_GRAD_GRAD, ({ inputs, backend, attrs }) => {
  const ins = inputs as Record<string, tf.TensorInfo | undefined>;
  checkLayerNormGradGradInputs(ins);
  const x = ins.x!;
  const cols = x.shape[x.shape.length - 1]!;
  const n = sizeOf(x.shape);
  const gx = f32out(n), gg = f32out(cols), gdy = f32out(n);
  const opt = (t: tf.TensorInfo | undefined) => (t ? f32(backend, t) : null);
  addon().layerNormGradGrad(f32(backend, x), f32(backend, ins.gamma!), f32(backend, ins.dy!), f32(backend, ins.a!), opt(ins.ag), opt(ins.ab),
    gx, gg, gdy, cols > 0 ? n / cols : 0, cols, (attrs as { epsilon: number }).epsilon);
  return [backend.makeTensorInfo(x.shape, 'float32', gx), backend.makeTensorInfo([cols], 'float32', gg),
    backend.makeTensorInfo(x.shape, 'float32', gdy)];
});
