// Softmax, twice differentiable: dx = y * (dy - sum(dy * y)). See exp.ts for why the saved output y
// cannot be used when the gradient itself is recorded; then y is recomputed from the saved logits.
import { tf, recordingTape } from './tf-core.ts';

export const softmaxGradConfig: tf.GradConfig = {
  kernelName: 'Softmax',
  inputsToSave: ['logits'],
  outputsToSave: [true],
  gradFunc: (dy, saved, attrs) => {
    const [logits, savedY] = saved;
    const { dim } = attrs as unknown as tf.SoftmaxAttrs;
    return {
      logits: () => {
        const y = recordingTape() ? tf.softmax(logits, dim) : savedY;
        const dyTimesY = tf.mul(dy as tf.Tensor, y);
        return tf.sub(dyTimesY, tf.mul(tf.sum(dyTimesY, [dim], true), y));
      },
    };
  },
};
