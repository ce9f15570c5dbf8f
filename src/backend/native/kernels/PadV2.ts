import { tf } from '../../tf.ts';
import { addon } from '../addon.ts';
import { alloc, isNumeric, nativeKernel, sizeOf, stridesOf, vals } from './util.ts';

export const padV2Config = nativeKernel(tf.PadV2, ({ inputs, backend, attrs }) => {
  const { x } = inputs as { x: tf.TensorInfo };
  const { paddings, constantValue } = attrs as unknown as tf.PadV2Attrs;
  if (!isNumeric(x.dtype)) return null;
  const outShape = x.shape.map((d, i) => paddings[i][0] + d + paddings[i][1]);
  const out = alloc(x.dtype, sizeOf(outShape), constantValue === 0);
  if (constantValue !== 0) out.fill(Number(constantValue));
  if (sizeOf(x.shape) > 0) {
    const os = stridesOf(outShape);
    const offset = paddings.reduce((acc, p, i) => acc + p[0] * os[i], 0);
    addon().stridedCopy(vals(backend, x), out, x.shape, stridesOf(x.shape), os, 0, offset);
  }
  return backend.makeTensorInfo(outShape, x.dtype, out);
});
