import { tf } from '../../tf.ts';
import { addon } from '../addon.ts';
import { convGeom } from './conv_impl.ts';
import { f32, f32out, nativeKernel, sizeOf } from './util.ts';

export const conv2DBackpropFilterConfig = nativeKernel(tf.Conv2DBackpropFilter, ({ inputs, backend, attrs }) => {
  const { x, dy } = inputs as { x: tf.TensorInfo; dy: tf.TensorInfo };
  const { strides, pad, dataFormat, dimRoundingMode, filterShape } = attrs as unknown as tf.Conv2DBackpropFilterAttrs;
  if (x.dtype !== 'float32' || dy.dtype !== 'float32' || dataFormat === 'NCHW') return null;
  const info = tf.backend_util.computeConv2DInfo(x.shape as [number, number, number, number], filterShape, strides, 1,
    pad, dimRoundingMode, false, 'channelsLast');
  const dw = f32out(sizeOf(filterShape));
  addon().conv2dBackpropFilter(f32(backend, x), f32(backend, dy), dw, convGeom(info));
  return backend.makeTensorInfo([...filterShape], 'float32', dw);
});
