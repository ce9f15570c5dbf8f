import { tf } from '../../tf.ts';
import { addon } from '../addon.ts';
import { f32, f32out, nativeKernel, sizeOf } from './util.ts';

export const addNConfig = nativeKernel(tf.AddN, ({ inputs, backend }) => {
  const list = inputs as unknown as tf.TensorInfo[];
  if (list.length === 0 || list.some((t) => t.dtype !== 'float32' || !tf.util.arraysEqual(t.shape, list[0].shape))) return null;
  const n = sizeOf(list[0].shape);
  const out = f32out(n);
  if (n > 0) addon().addN(list.map((t) => f32(backend, t)), out, n);
  return backend.makeTensorInfo(list[0].shape, 'float32', out);
});
