// Tanh, twice differentiable: dx = dy * (1 - y^2), y recomputed when recorded (see exp.ts).
import { tf, recordingTape } from './tf-core.ts';

export const tanhGradConfig: tf.GradConfig = {
  kernelName: 'Tanh',
  inputsToSave: ['x'],
  outputsToSave: [true],
  gradFunc: (dy, saved) => {
    const [x, savedY] = saved;
    return {
      x: () => {
        const y = recordingTape() ? tf.tanh(x) : savedY;
        return tf.mul(dy as tf.Tensor, tf.sub(1, tf.square(y)));
      },
    };
  },
};
