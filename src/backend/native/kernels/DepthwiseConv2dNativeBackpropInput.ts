import { tf } from '../../tf.ts';
import { addon } from '../addon.ts';
import { convGeom } from './conv_impl.ts';
import { f32, f32out, nativeKernel, sizeOf } from './util.ts';

/** Input gradient of the depthwise convolution (dilation 1, as tfjs-cpu's); bit-identical to cpu's. */
export const depthwiseConv2dNativeBackpropInputConfig = nativeKernel(tf.DepthwiseConv2dNativeBackpropInput, ({ inputs, backend, attrs }) => {
  const { dy, filter } = inputs as { dy: tf.TensorInfo; filter: tf.TensorInfo };
  const { inputShape, strides, pad, dilations, dimRoundingMode } = attrs as unknown as tf.DepthwiseConv2dNativeBackpropInputAttrs;
  if (dy.dtype !== 'float32' || filter.dtype !== 'float32' || !dilationOne(dilations)) return null;
  const info = tf.backend_util.computeConv2DInfo(inputShape, filter.shape as [number, number, number, number], strides,
    1, pad, dimRoundingMode, true, 'channelsLast');
  const dx = f32out(sizeOf(inputShape));
  addon().depthwiseBackpropInput(f32(backend, dy), f32(backend, filter), dx, convGeom(info));
  return backend.makeTensorInfo([...inputShape], 'float32', dx);
});

/** Whether a dilations attribute means 1 in both directions (tfjs-cpu's depthwise gradients ignore any other). */
export function dilationOne(d: number | [number, number] | undefined | null): boolean {
  if (d === undefined || d === null) return true;
  return typeof d === 'number' ? d === 1 : d[0] === 1 && d[1] === 1;
}
