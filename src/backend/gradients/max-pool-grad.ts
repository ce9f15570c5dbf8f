// Gradient of MaxPoolGrad (dx = maxPoolGrad(dy, x, y)); not in tfjs-core.
// dx routes each dy to the arg-max of its window, so dx is linear in dy and piecewise constant in x and y
// (zero derivative almost everywhere). The adjoint in dy picks ddx at each window's arg-max.
import { tf, runKernel } from './tf-core.ts';

type PoolAttrs = tf.MaxPoolGradAttrs;

function pair(v: number | [number, number]): [number, number] {
  return typeof v === 'number' ? [v, v] : v;
}

/** ddx gathered at the arg-max of every pooling window of x, using the MaxPoolWithArgmax kernel. */
export function gatherAtArgmax(ddx: tf.Tensor4D, x: tf.Tensor4D, attrs: PoolAttrs): tf.Tensor4D {
  return tf.tidy(() => {
    const [, indexes] = runKernel<tf.Tensor>('MaxPoolWithArgmax', { x }, {
      filterSize: attrs.filterSize,
      strides: attrs.strides,
      pad: attrs.pad,
      includeBatchInIndex: true,
    }) as unknown as tf.Tensor[];
    const picked = tf.gather(tf.reshape(ddx, [-1]), tf.reshape(indexes, [-1]));
    return tf.reshape(picked, indexes.shape as [number, number, number, number]);
  });
}

/**
 * The same without MaxPoolWithArgmax, for windows that do not overlap and tile x exactly ('valid',
 * stride = filter size): the window's arg-max mask is maxPoolGrad(ones) itself.
 */
export function gatherAtArgmaxNonOverlapping(ddx: tf.Tensor4D, x: tf.Tensor4D, y: tf.Tensor4D, attrs: PoolAttrs): tf.Tensor4D {
  return tf.tidy(() => {
    const [fh, fw] = pair(attrs.filterSize);
    const mask = runKernel<tf.Tensor4D>('MaxPoolGrad', { dy: tf.onesLike(y), input: x, output: y }, attrs);
    const masked = tf.mul(mask, ddx) as tf.Tensor4D;
    return tf.mul(tf.avgPool(masked, [fh, fw], [fh, fw], 'valid'), fh * fw) as tf.Tensor4D;
  });
}

function tilesExactly(x: tf.Tensor, attrs: PoolAttrs): boolean {
  const [fh, fw] = pair(attrs.filterSize);
  const [sh, sw] = pair(attrs.strides);
  if (fh !== sh || fw !== sw) return false;
  return (attrs.pad === 'valid' || attrs.pad === 'same' || attrs.pad === 0) && x.shape[1]! % fh === 0 && x.shape[2]! % fw === 0;
}

export const maxPoolGradGradConfig: tf.GradConfig = {
  kernelName: 'MaxPoolGrad',
  inputsToSave: ['dy', 'input', 'output'],
  gradFunc: (ddx, saved, attrs) => {
    const [, x, y] = saved as tf.Tensor4D[];
    const a = attrs as unknown as PoolAttrs;
    const dd = ddx as tf.Tensor4D;
    return {
      dy: () => {
        if (tilesExactly(x, a)) return gatherAtArgmaxNonOverlapping(dd, x, y, a);
        if (tf.getKernel('MaxPoolWithArgmax', tf.getBackend()) == null) {
          throw new Error(
            `second derivative of maxPool (filter ${a.filterSize}, strides ${a.strides}, pad ${a.pad}) needs the ` +
              `MaxPoolWithArgmax kernel, which backend '${tf.getBackend()}' does not register`,
          );
        }
        return gatherAtArgmax(dd, x, a);
      },
      input: () => tf.zerosLike(x),
      output: () => tf.zerosLike(y),
    };
  },
};
