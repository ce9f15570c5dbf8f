import { tf } from '../../tf.ts';
import { addon } from '../addon.ts';
import { convGeom } from './conv_impl.ts';
import { f32, f32out, nativeKernel } from './util.ts';

/** NHWC float32 depthwise convolution; other layouts and dtypes run the cpu kernel. Bit-identical to cpu's. */
export const depthwiseConv2dNativeConfig = nativeKernel(tf.DepthwiseConv2dNative, ({ inputs, backend, attrs }) => {
  const { x, filter } = inputs as { x: tf.TensorInfo; filter: tf.TensorInfo };
  const { strides, pad, dataFormat, dilations, dimRoundingMode } = attrs as unknown as tf.DepthwiseConv2dNativeAttrs;
  if (x.dtype !== 'float32' || filter.dtype !== 'float32' || dataFormat === 'NCHW' || x.shape.length !== 4) return null;
  const info = tf.backend_util.computeConv2DInfo(x.shape as [number, number, number, number],
    filter.shape as [number, number, number, number], strides, dilations ?? 1, pad, dimRoundingMode, true, 'channelsLast');
  const out = f32out(info.outShape.reduce((p, d) => p * d, 1));
  addon().depthwiseConv2d(f32(backend, x), f32(backend, filter), out, convGeom(info));
  return backend.makeTensorInfo(info.outShape, 'float32', out);
});
