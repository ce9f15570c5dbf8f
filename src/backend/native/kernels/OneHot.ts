import { tf } from '../../tf.ts';
import { addon } from '../addon.ts';
import { f32out, nativeKernel, sizeOf, vals } from './util.ts';

export const oneHotConfig = nativeKernel(tf.OneHot, ({ inputs, backend, attrs }) => {
  const { indices } = inputs as { indices: tf.TensorInfo };
  const { depth, onValue, offValue, dtype } = attrs as unknown as tf.OneHotAttrs;
  if (indices.dtype !== 'int32' || (dtype ?? 'float32') !== 'float32') return null;
  const out = f32out(sizeOf(indices.shape) * depth);
  if (out.length > 0) addon().oneHot(vals(backend, indices), out, depth, onValue, offValue);
  return backend.makeTensorInfo([...indices.shape, depth], 'float32', out);
});
