// The LogSoftmax kernel, twice differentiable: dx = dy - exp(y) * sum(dy), with y recomputed from the saved
// logits when the gradient is itself recorded (see exp.ts). Note that tfjs-core 4.22's tf.logSoftmax op
// does not run this kernel: it is a customGrad op whose second derivative is lost; use
// twiceDifferentiableLogSoftmax (stable-log-softmax.ts) where a Hessian is needed.
import { tf, recordingTape } from './tf-core.ts';

export const logSoftmaxGradConfig: tf.GradConfig = {
  kernelName: 'LogSoftmax',
  inputsToSave: ['logits'],
  outputsToSave: [true],
  gradFunc: (dy, saved, attrs) => {
    const [logits, savedY] = saved;
    const { axis } = attrs as unknown as tf.LogSoftmaxAttrs;
    return {
      logits: () => {
        const probs = recordingTape() ? tf.softmax(logits, axis) : tf.exp(savedY);
        return tf.sub(dy as tf.Tensor, tf.mul(tf.sum(dy as tf.Tensor, axis, true), probs));
      },
    };
  },
};
