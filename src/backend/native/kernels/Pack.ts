import { tf } from '../../tf.ts';
import { addon } from '../addon.ts';
import { alloc, isNumeric, nativeKernel, sizeOf, stridesOf, vals } from './util.ts';

export const packConfig = nativeKernel(tf.Pack, ({ inputs, backend, attrs }) => {
  const list = inputs as unknown as tf.TensorInfo[];
  const { axis } = attrs as unknown as tf.PackAttrs;
  if (list.length === 0 || !isNumeric(list[0].dtype)) return null;
  const shape = list[0].shape;
  if (list.some((t) => t.dtype !== list[0].dtype || !tf.util.arraysEqual(t.shape, shape))) return null;
  const $axis = axis < 0 ? axis + shape.length + 1 : axis;
  const outShape = [...shape.slice(0, $axis), list.length, ...shape.slice($axis)];
  const out = alloc(list[0].dtype, sizeOf(outShape));
  const os = stridesOf(outShape);
  const dst = os.filter((_, i) => i !== $axis);
  if (sizeOf(shape) > 0) list.forEach((t, k) => addon().stridedCopy(vals(backend, t), out, shape, stridesOf(shape), dst, 0, k * os[$axis]));
  return backend.makeTensorInfo(outShape, list[0].dtype, out);
});
