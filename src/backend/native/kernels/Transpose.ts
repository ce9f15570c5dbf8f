import { tf } from '../../tf.ts';
import { addon } from '../addon.ts';
import { alloc, isNumeric, nativeKernel, sizeOf, stridesOf, vals } from './util.ts';

export const transposeConfig = nativeKernel(tf.Transpose, ({ inputs, backend, attrs }) => {
  const { x } = inputs as { x: tf.TensorInfo };
  const { perm } = attrs as unknown as tf.TransposeAttrs;
  if (!isNumeric(x.dtype)) return null;
  const outShape = perm.map((p) => x.shape[p]);
  const n = sizeOf(outShape);
  const out = alloc(x.dtype, n);
  if (n > 0) {
    const xs = stridesOf(x.shape);
    addon().stridedCopy(vals(backend, x), out, outShape, perm.map((p) => xs[p]), stridesOf(outShape), 0, 0);
  }
  return backend.makeTensorInfo(outShape, x.dtype, out);
});
