// SquaredDifference with broadcasting. tfjs-core 4.22's gradient returns 2 (a - b) dy at the broadcast
// shape for both inputs, so squaredDifference(x, mean) with a smaller b failed already at first order
// ("The gradient of input 'b' has shape ..."). Here each gradient is summed back to its input's shape.
import { tf } from './tf-core.ts';

function reduceTo(t: tf.Tensor, shape: number[]): tf.Tensor {
  const axes = tf.broadcast_util.getReductionAxes(shape, t.shape);
  return tf.reshape(axes.length > 0 ? tf.sum(t, axes) : t, shape);
}

export const squaredDifferenceGradConfig: tf.GradConfig = {
  kernelName: 'SquaredDifference',
  inputsToSave: ['a', 'b'],
  gradFunc: (dy, saved) => {
    const [a, b] = saved;
    return {
      a: () => reduceTo(tf.mul(dy as tf.Tensor, tf.mul(tf.sub(a, b), 2)), a.shape),
      b: () => reduceTo(tf.mul(dy as tf.Tensor, tf.mul(tf.sub(b, a), 2)), b.shape),
    };
  },
};
