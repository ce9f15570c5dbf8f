import { tf } from '../../tf.ts';
import { addon } from '../addon.ts';
import { alloc, isNumeric, nativeKernel, sizeOf, stridesOf, vals } from './util.ts';

export const concatConfig = nativeKernel(tf.Concat, ({ inputs, backend, attrs }) => {
  const list = inputs as unknown as tf.TensorInfo[];
  const { axis } = attrs as unknown as tf.ConcatAttrs;
  if (list.length === 0 || !isNumeric(list[0].dtype) || list.some((t) => t.dtype !== list[0].dtype)) return null;
  const $axis = tf.util.parseAxisParam(axis, list[0].shape)[0];
  tf.backend_util.assertParamsConsistent(list.map((t) => t.shape), $axis);
  const outShape = tf.backend_util.computeOutShape(list.map((t) => t.shape), $axis);
  const out = alloc(list[0].dtype, sizeOf(outShape));
  const os = stridesOf(outShape);
  let at = 0;
  for (const t of list) {
    if (sizeOf(t.shape) > 0) addon().stridedCopy(vals(backend, t), out, t.shape, stridesOf(t.shape), os, 0, at * os[$axis]);
    at += t.shape[$axis];
  }
  return backend.makeTensorInfo(outShape, list[0].dtype, out);
});
