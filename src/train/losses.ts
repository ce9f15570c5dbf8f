// Losses shared by training, the Hessian and the loss landscape. All are composed of tfjs ops with
// registered gradients, so they are twice differentiable.
import { tf } from '../backend/tf.ts';
import { twiceDifferentiableLogSoftmax } from '../backend/gradients/index.ts';

/** Mean cross-entropy against dense target distributions [B, K] (one-hot, smoothed, mixup/CutMix). */
export function softCrossEntropy(logits: tf.Tensor2D, targets: tf.Tensor2D): tf.Scalar {
  return tf.tidy(() => {
    // Not tf.logSoftmax: its gradient is not differentiable again, which would drop the softmax
    // curvature diag(p) - pp^T from every Hessian-vector product.
    const logProbs = twiceDifferentiableLogSoftmax(logits, -1);
    return tf.neg(tf.mean(tf.sum(tf.mul(targets, logProbs), -1))) as tf.Scalar;
  });
}

/** Label smoothing of target distributions [B, K]: (1 - s) * t + s / K. */
function smoothTargets(targets: tf.Tensor2D, smoothing: number): tf.Tensor2D {
  return tf.add(tf.mul(targets, 1 - smoothing), smoothing / targets.shape[1]) as tf.Tensor2D;
}

/** One-hot targets with label smoothing: (1 - s) on the label, s / K spread over all K classes. */
export function smoothedOneHot(labels: tf.Tensor1D, numClasses: number, smoothing = 0): tf.Tensor2D {
  if (smoothing < 0 || smoothing >= 1) throw new Error(`label smoothing must be in [0, 1), got ${smoothing}`);
  return tf.tidy(() => {
    const oneHot = tf.cast(tf.oneHot(tf.cast(labels, 'int32'), numClasses), 'float32') as tf.Tensor2D;
    return smoothing === 0 ? oneHot : smoothTargets(oneHot, smoothing);
  });
}

/** Mean negative log-likelihood of integer labels (optionally label-smoothed). */
export function crossEntropy(logits: tf.Tensor2D, labels: tf.Tensor1D, opts: { labelSmoothing?: number } = {}): tf.Scalar {
  return tf.tidy(() => softCrossEntropy(logits, smoothedOneHot(labels, logits.shape[1], opts.labelSmoothing ?? 0)));
}

/**
 * Mean cross-entropy against integer labels [B] (as crossEntropy) or target distributions [B, K]
 * (as softCrossEntropy; a positive smoothing mixes them with the uniform distribution, unchecked).
 */
export function labelOrSoftCrossEntropy(logits: tf.Tensor2D, y: tf.Tensor1D | tf.Tensor2D, opts: { labelSmoothing?: number } = {}): tf.Scalar {
  if (y.rank === 1) return crossEntropy(logits, y as tf.Tensor1D, opts);
  const smoothing = opts.labelSmoothing ?? 0;
  return tf.tidy(() => softCrossEntropy(logits, smoothing > 0 ? smoothTargets(y as tf.Tensor2D, smoothing) : (y as tf.Tensor2D)));
}

/**
 * L2 penalty (coefficient / 2) * sum ||p||^2 — the weight-decay term added to the NLL in the paper's
 * Hessian protocol. The paper does not state its exact form; this is the form whose gradient is
 * coefficient * p, i.e. what SGD weight decay adds.
 */
export function l2Penalty(params: readonly tf.Tensor[], coefficient: number): tf.Scalar {
  return tf.tidy(() => {
    if (params.length === 0 || coefficient === 0) return tf.scalar(0);
    const sums = params.map((p) => tf.sum(tf.square(p)));
    return tf.mul(tf.addN(sums), coefficient / 2) as tf.Scalar;
  });
}
