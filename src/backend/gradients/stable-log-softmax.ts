// A log-softmax whose second derivative is right. tfjs-core 4.22's tf.logSoftmax is a customGrad op: its
// backward pass uses a softmax computed while the tape is off, so a gradient of its gradient treats the
// softmax as a constant and the cross-entropy Hessian diag(p) - p p^T is lost (the Gauss-Newton part of
// every Hessian-vector product). Here it is composed of kernels whose gradients are registered twice
// differentiable: x - max - log(sum(exp(x - max))). The max shift is a constant for the derivative
// (its contributions cancel exactly), and keeps exp from overflowing.
import { tf } from './tf-core.ts';

export function twiceDifferentiableLogSoftmax<T extends tf.Tensor>(logits: T, axis = -1): T {
  return tf.tidy(() => {
    const ax = axis < 0 ? logits.rank + axis : axis;
    const shifted = tf.sub(logits, tf.max(logits, ax, true));
    return tf.sub(shifted, tf.log(tf.sum(tf.exp(shifted), ax, true))) as T;
  });
}
