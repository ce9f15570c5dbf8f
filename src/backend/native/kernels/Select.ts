import { tf } from '../../tf.ts';
import { addon } from '../addon.ts';
import { alloc, nativeKernel, sizeOf, vals } from './util.ts';

export const selectConfig = nativeKernel(tf.Select, ({ inputs, backend }) => {
  const { condition, t, e } = inputs as { condition: tf.TensorInfo; t: tf.TensorInfo; e: tf.TensorInfo };
  if (condition.dtype !== 'bool' || t.dtype !== e.dtype || (t.dtype !== 'float32' && t.dtype !== 'int32')) return null;
  if (!tf.util.arraysEqual(t.shape, e.shape)) return null;
  const n = sizeOf(t.shape);
  // (a rank-1 condition over the first axis goes to cpu, whose Select reads it elementwise; tf.where never makes one)
  if (!tf.util.arraysEqual(condition.shape, t.shape)) return null;
  const out = alloc(t.dtype, n);
  if (n > 0) addon().select(vals(backend, condition), vals(backend, t), vals(backend, e), out, n, 1);
  return backend.makeTensorInfo(t.shape, t.dtype, out);
});
