// Sigmoid, twice differentiable: dx = dy * y * (1 - y), y recomputed when recorded (see exp.ts).
import { tf, recordingTape } from './tf-core.ts';

export const sigmoidGradConfig: tf.GradConfig = {
  kernelName: 'Sigmoid',
  inputsToSave: ['x'],
  outputsToSave: [true],
  gradFunc: (dy, saved) => {
    const [x, savedY] = saved;
    return {
      x: () => {
        const y = recordingTape() ? tf.sigmoid(x) : savedY;
        return tf.mul(dy as tf.Tensor, tf.mul(y, tf.sub(1, y)));
      },
    };
  },
};
