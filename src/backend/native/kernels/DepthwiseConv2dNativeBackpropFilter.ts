import { tf } from '../../tf.ts';
import { addon } from '../addon.ts';
import { convGeom } from './conv_impl.ts';
import { dilationOne } from './DepthwiseConv2dNativeBackpropInput.ts';
import { f32, f32out, nativeKernel, sizeOf } from './util.ts';

/** Filter gradient of the depthwise convolution (dilation 1, as tfjs-cpu's); bit-identical to cpu's. */
export const depthwiseConv2dNativeBackpropFilterConfig = nativeKernel(tf.DepthwiseConv2dNativeBackpropFilter, ({ inputs, backend, attrs }) => {
  const { x, dy } = inputs as { x: tf.TensorInfo; dy: tf.TensorInfo };
  const { strides, pad, dilations, dimRoundingMode, filterShape } = attrs as unknown as tf.DepthwiseConv2dNativeBackpropFilterAttrs;
  if (x.dtype !== 'float32' || dy.dtype !== 'float32' || !dilationOne(dilations)) return null;
  const info = tf.backend_util.computeConv2DInfo(x.shape as [number, number, number, number], filterShape, strides, 1,
    pad, dimRoundingMode, true, 'channelsLast');
  const dw = f32out(sizeOf(filterShape));
  addon().depthwiseBackpropFilter(f32(backend, x), f32(backend, dy), dw, convGeom(info));
  return backend.makeTensorInfo([...filterShape], 'float32', dw);
});
