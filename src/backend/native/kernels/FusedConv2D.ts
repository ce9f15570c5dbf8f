import { tf } from '../../tf.ts';
import { addon } from '../addon.ts';
import { convGeom } from './conv_impl.ts';
import { activationCode, f32, f32out, nativeKernel, sizeOf } from './util.ts';

export const fusedConv2DConfig = nativeKernel(tf.FusedConv2D, ({ inputs, backend, attrs }) => {
  const { x, filter, bias, preluActivationWeights } = inputs as Record<string, tf.TensorInfo | undefined>;
  const { strides, pad, dataFormat, dilations, dimRoundingMode, activation, leakyreluAlpha } =
    attrs as unknown as tf.FusedConv2DAttrs;
  const act = activationCode(activation);
  if (act === null || preluActivationWeights || dataFormat === 'NCHW') return null;
  if (x!.dtype !== 'float32' || filter!.dtype !== 'float32' || (bias && bias.dtype !== 'float32')) return null;
  const info = tf.backend_util.computeConv2DInfo(x!.shape as [number, number, number, number],
    filter!.shape as [number, number, number, number], strides, dilations, pad, dimRoundingMode, false, 'channelsLast');
  let biasSize = 0;
  if (bias) {
    biasSize = sizeOf(bias.shape);
    if (!(biasSize === 1 || (biasSize === info.outChannels && bias.shape.slice(0, -1).every((d) => d === 1)))) return null;
  }
  const out = f32out(sizeOf(info.outShape));
  addon().conv2d(f32(backend, x!), f32(backend, filter!), out, convGeom(info), bias ? f32(backend, bias) : null, biasSize,
    act, leakyreluAlpha ?? 0.2);
  return backend.makeTensorInfo(info.outShape, 'float32', out);
});
