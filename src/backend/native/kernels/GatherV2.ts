import { tf } from '../../tf.ts';
import { addon } from '../addon.ts';
import { alloc, isNumeric, nativeKernel, sizeOf, vals } from './util.ts';

export const gatherV2Config = nativeKernel(tf.GatherV2, ({ inputs, backend, attrs }) => {
  const { x, indices } = inputs as { x: tf.TensorInfo; indices: tf.TensorInfo };
  const { axis, batchDims } = attrs as unknown as tf.GatherV2Attrs;
  if (!isNumeric(x.dtype) || indices.dtype !== 'int32' || (batchDims ?? 0) !== 0) return null;
  const $axis = tf.util.parseAxisParam(axis, x.shape)[0];
  const outShape = [...x.shape.slice(0, $axis), ...indices.shape, ...x.shape.slice($axis + 1)];
  const out = alloc(x.dtype, sizeOf(outShape));
  const nIdx = sizeOf(indices.shape);
  const idx = vals<Int32Array>(backend, indices);
  if (out.length > 0) {
    const bad = addon().gather(vals(backend, x), idx, out, sizeOf(x.shape.slice(0, $axis)), x.shape[$axis], nIdx,
      sizeOf(x.shape.slice($axis + 1)));
    if (bad >= 0) throw new Error(`GatherV2: the index value ${idx[bad]} is not in [0, ${x.shape[$axis] - 1}]`);
  }
  return backend.makeTensorInfo(outShape, x.dtype, out);
});
