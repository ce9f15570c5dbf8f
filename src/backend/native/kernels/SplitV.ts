import { tf } from '../../tf.ts';
import { addon } from '../addon.ts';
import { alloc, isNumeric, nativeKernel, sizeOf, stridesOf, vals } from './util.ts';

export const splitVConfig = nativeKernel(tf.SplitV, ({ inputs, backend, attrs }) => {
  const { x } = inputs as { x: tf.TensorInfo };
  const { numOrSizeSplits, axis } = attrs as unknown as tf.SplitVAttrs;
  if (!isNumeric(x.dtype)) return null;
  const $axis = tf.util.parseAxisParam(axis, x.shape)[0];
  const sizes = tf.backend_util.prepareSplitSize(x as tf.Tensor, numOrSizeSplits, $axis);
  const xs = stridesOf(x.shape);
  let at = 0;
  return sizes.map((s) => {
    const shape = x.shape.slice();
    shape[$axis] = s;
    const out = alloc(x.dtype, sizeOf(shape));
    if (out.length > 0) addon().stridedCopy(vals(backend, x), out, shape, xs, stridesOf(shape), at * xs[$axis], 0);
    at += s;
    return backend.makeTensorInfo(shape, x.dtype, out);
  });
});
