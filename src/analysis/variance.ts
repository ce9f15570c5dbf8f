// Feature-map variance (Park & Kim 2022, Fig. 9): spatial variance of each channel, unbiased over
// H x W, averaged over batch and channels. MSAs reduce it; Convs and MLPs increase it.
import { tf } from '../backend/tf.ts';

function checkFeatureMap(featureMap: tf.Tensor): asserts featureMap is tf.Tensor4D {
  if (featureMap.rank !== 4) {
    throw new Error(`featureMapVariance: feature map must be NHWC [B, H, W, C], got shape [${featureMap.shape.join(', ')}]`);
  }
  if (featureMap.size === 0) throw new Error(`featureMapVariance: feature map is empty, shape [${featureMap.shape.join(', ')}]`);
}

/** The variance (below) as a scalar tensor, or null for 1 x 1 maps (no spatial variance); the caller disposes it. */
export function featureMapVarianceTensor(featureMap: tf.Tensor4D): tf.Scalar | null {
  checkFeatureMap(featureMap);
  const [, h, w] = featureMap.shape;
  const n = h * w;
  if (n < 2) return null;
  return tf.tidy(() => {
    const x = tf.cast(featureMap, 'float32');
    const mean = tf.mean(x, [1, 2], true);
    const centred = tf.sub(x, mean);
    // sum of squares of deviations / (n - 1), per (b, c); then the mean over b and c.
    return tf.div(tf.mean(tf.sum(tf.square(centred), [1, 2])), n - 1) as tf.Scalar;
  });
}

/** Mean over batch and channels of the unbiased variance over (H, W); NaN for 1 x 1 maps (undefined, as in torch). */
export async function featureMapVariance(featureMap: tf.Tensor4D): Promise<number> {
  const v = featureMapVarianceTensor(featureMap);
  if (v === null) return Number.NaN;
  try {
    return (await v.data())[0]!;
  } finally {
    v.dispose();
  }
}
