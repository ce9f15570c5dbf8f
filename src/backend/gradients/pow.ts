// Pow, twice differentiable in the exponent too: d/db a^b = a^b log a, with a^b recomputed when the
// gradient is recorded (see exp.ts). d/da a^b = b a^(b-1) as in tfjs-core.
import { tf, recordingTape } from './tf-core.ts';

function reduceTo(t: tf.Tensor, shape: number[], outShape: number[]): tf.Tensor {
  const axes = tf.broadcast_util.getReductionAxes(shape, outShape);
  return tf.reshape(axes.length > 0 ? tf.sum(t, axes) : t, shape);
}

export const powGradConfig: tf.GradConfig = {
  kernelName: 'Pow',
  inputsToSave: ['a', 'b'],
  outputsToSave: [true],
  gradFunc: (dy, saved) => {
    const [a, b, savedY] = saved;
    const outShape = tf.broadcast_util.assertAndGetBroadcastShape(a.shape, b.shape);
    return {
      a: () => {
        const bf = tf.cast(b, 'float32');
        return reduceTo(tf.mul(dy as tf.Tensor, tf.mul(bf, tf.pow(a, tf.sub(bf, 1)))), a.shape, outShape);
      },
      b: () => {
        const y = recordingTape() ? tf.pow(a, b) : savedY;
        const logA = tf.where(tf.greater(a, 0), tf.log(a), tf.zerosLike(a));
        return reduceTo(tf.mul(dy as tf.Tensor, tf.mul(y, logA)), b.shape, outShape);
      },
    };
  },
};
