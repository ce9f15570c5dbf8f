import { tf } from '../../tf.ts';
import { addon } from '../addon.ts';
import { convGeom } from './conv_impl.ts';
import { f32, f32out, nativeKernel } from './util.ts';

export const conv2DConfig = nativeKernel(tf.Conv2D, ({ inputs, backend, attrs }) => {
  const { x, filter } = inputs as { x: tf.TensorInfo; filter: tf.TensorInfo };
  const { strides, pad, dataFormat, dilations, dimRoundingMode } = attrs as unknown as tf.Conv2DAttrs;
  if (x.dtype !== 'float32' || filter.dtype !== 'float32' || dataFormat === 'NCHW') return null;
  const info = tf.backend_util.computeConv2DInfo(x.shape as [number, number, number, number],
    filter.shape as [number, number, number, number], strides, dilations, pad, dimRoundingMode, false, 'channelsLast');
  const out = f32out(info.outShape.reduce((p, d) => p * d, 1));
  addon().conv2d(f32(backend, x), f32(backend, filter), out, convGeom(info), null, 0, 0, 0);
  return backend.makeTensorInfo(info.outShape, 'float32', out);
});
