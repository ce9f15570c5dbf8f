import { tf } from '../../tf.ts';
import { addon } from '../addon.ts';
import { alloc, nativeKernel, sizeOf, vals } from './util.ts';

export const selectConfig = nativeKernel(tf.Select, ({ inputs, backend }) => {
  const { condition, t, e } = inputs as { condition: tf.TensorInfo; t: tf.TensorInfo; e: tf.TensorInfo };
  if (condition.dtype !== 'bool' || t.dtype !== e.dtype || (t.dtype !== 'float32' && t.dtype !== 'int32')) return null;
  if (!tf.util.arraysEqual(t.shape, e.shape)) return null;
  const n = sizeOf(t.shape);
  let inner: number;
  if (tf.util.arraysEqual(condition.shape, t.shape)) inner = 1;
  else if (condition.shape.length === 1 && t.shape.length > 0 && condition.shape[0] === t.shape[0]) inner = n / Math.max(1, t.shape[0]);
  else return null;
  const out = alloc(t.dtype, n);
  if (n > 0) addon().select(vals(backend, condition), vals(backend, t), vals(backend, e), out, n, inner);
  return backend.makeTensorInfo(t.shape, t.dtype, out);
});
