import { tf } from '../../tf.ts';
import { addon } from '../addon.ts';
import { alloc, isNumeric, nativeKernel, sizeOf, stridesOf, vals } from './util.ts';

export const unpackConfig = nativeKernel(tf.Unpack, ({ inputs, backend, attrs }) => {
  const { value } = inputs as { value: tf.TensorInfo };
  const { axis } = attrs as unknown as tf.UnpackAttrs;
  if (!isNumeric(value.dtype)) return null;
  const $axis = axis < 0 ? axis + value.shape.length : axis;
  const shape = value.shape.filter((_, i) => i !== $axis);
  const vs = stridesOf(value.shape);
  const src = vs.filter((_, i) => i !== $axis);
  const outs: tf.TensorInfo[] = [];
  for (let k = 0; k < value.shape[$axis]; ++k) {
    const out = alloc(value.dtype, sizeOf(shape));
    if (out.length > 0) addon().stridedCopy(vals(backend, value), out, shape, src, stridesOf(shape), k * vs[$axis], 0);
    outs.push(backend.makeTensorInfo(shape, value.dtype, out));
  }
  return outs;
});
