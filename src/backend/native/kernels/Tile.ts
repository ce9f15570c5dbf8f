import { tf } from '../../tf.ts';
import { addon } from '../addon.ts';
import { alloc, isNumeric, nativeKernel, sizeOf, stridesOf, vals } from './util.ts';

// out viewed as [reps0, d0, reps1, d1, ...]: the source is read with stride 0 along each reps axis
export const tileConfig = nativeKernel(tf.Tile, ({ inputs, backend, attrs }) => {
  const { x } = inputs as { x: tf.TensorInfo };
  const { reps } = attrs as unknown as tf.TileAttrs;
  if (!isNumeric(x.dtype) || reps.length !== x.shape.length) return null;
  const outShape = x.shape.map((d, i) => d * reps[i]);
  const out = alloc(x.dtype, sizeOf(outShape));
  if (out.length > 0) {
    const xs = stridesOf(x.shape), os = stridesOf(outShape);
    const shape: number[] = [], ss: number[] = [], ds: number[] = [];
    x.shape.forEach((d, i) => {
      shape.push(reps[i], d);
      ss.push(0, xs[i]);
      ds.push(d * os[i], os[i]);
    });
    addon().stridedCopy(vals(backend, x), out, shape, ss, ds, 0, 0);
  }
  return backend.makeTensorInfo(outShape, x.dtype, out);
});
