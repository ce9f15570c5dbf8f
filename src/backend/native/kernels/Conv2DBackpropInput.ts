import { tf } from '../../tf.ts';
import { addon } from '../addon.ts';
import { convGeom } from './conv_impl.ts';
import { f32, f32out, nativeKernel, sizeOf } from './util.ts';

export const conv2DBackpropInputConfig = nativeKernel(tf.Conv2DBackpropInput, ({ inputs, backend, attrs }) => {
  const { dy, filter } = inputs as { dy: tf.TensorInfo; filter: tf.TensorInfo };
  const { inputShape, strides, pad, dataFormat, dimRoundingMode } = attrs as unknown as tf.Conv2DBackpropInputAttrs;
  if (dy.dtype !== 'float32' || filter.dtype !== 'float32' || dataFormat === 'NCHW') return null;
  const info = tf.backend_util.computeConv2DInfo(inputShape, filter.shape as [number, number, number, number], strides,
    1, pad, dimRoundingMode, false, 'channelsLast');
  const dx = f32out(sizeOf(inputShape));
  addon().conv2dBackpropInput(f32(backend, dy), f32(backend, filter), dx, convGeom(info));
  return backend.makeTensorInfo([...inputShape], 'float32', dx);
});
