// Feature-map variance (Park & Kim 2022, Fig. 9): spatial variance of each channel, unbiased over
// H x W, averaged over batch and channels. MSAs reduce it; Convs and MLPs increase it.
import { tf } from '../backend/tf.ts';

/** Mean over batch and channels of the unbiased variance over (H, W); NaN for 1 x 1 maps (undefined, as in torch). */
export function featureMapVariance(featureMap: tf.Tensor4D): number {
  if (featureMap.rank !== 4) {
    throw new Error(`featureMapVariance: feature map must be NHWC [B, H, W, C], got shape [${featureMap.shape.join(', ')}]`);
  }
  const [b, h, w, c] = featureMap.shape;
  if (b * h * w * c === 0) throw new Error(`featureMapVariance: feature map is empty, shape [${featureMap.shape.join(', ')}]`);
  const n = h * w;
  if (n < 2) return Number.NaN;
  const v = tf.tidy(() => {
    const x = tf.cast(featureMap, 'float32');
    const mean = tf.mean(x, [1, 2], true);
    const centred = tf.sub(x, mean);
    // sum of squares of deviations / (n - 1), per (b, c); then the mean over b and c.
    return tf.div(tf.mean(tf.sum(tf.square(centred), [1, 2])), n - 1);
  });
  const out = v.dataSync()[0]!;
  v.dispose();
  return out;
}
