import { tf } from '../../tf.ts';
import { addon } from '../addon.ts';
import { alloc, isNumeric, nativeKernel, sizeOf, stridesOf, vals } from './util.ts';

export const sliceConfig = nativeKernel(tf.Slice, ({ inputs, backend, attrs }) => {
  const { x } = inputs as { x: tf.TensorInfo };
  const { begin, size } = attrs as unknown as tf.SliceAttrs;
  if (!isNumeric(x.dtype)) return null;
  const [b, s] = tf.slice_util.parseSliceParams(x as tf.Tensor, begin, size);
  tf.slice_util.assertParamsValid(x as tf.Tensor, b, s);
  const n = sizeOf(s);
  const xs = stridesOf(x.shape);
  const offset = b.reduce((acc, bi, i) => acc + bi * xs[i], 0);
  // (always a copy: a view, as cpu makes for contiguous slices, would pin the source buffer out of the pool)
  const out = alloc(x.dtype, n);
  if (n > 0) addon().stridedCopy(vals(backend, x), out, s, xs, stridesOf(s), offset, 0);
  return backend.makeTensorInfo(s, x.dtype, out);
});
