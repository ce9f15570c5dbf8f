// Exp, twice differentiable. tfjs-core's gradient multiplies dy by the saved output y, but an output is
// saved (cloned) before its own tape node is recorded, so a gradient of that gradient sees y as a constant:
// d2/dx2 exp(x) came out 0 and a Hessian-vector product through exp failed. When the tape is recording
// (a gradient that will be differentiated again) we recompute exp(x) from the saved input instead;
// otherwise we use the saved output as before (no extra work for ordinary training).
import { tf, recordingTape } from './tf-core.ts';

export const expGradConfig: tf.GradConfig = {
  kernelName: 'Exp',
  inputsToSave: ['x'],
  outputsToSave: [true],
  gradFunc: (dy, saved) => {
    const [x, y] = saved;
    return { x: () => tf.mul(dy as tf.Tensor, recordingTape() ? tf.exp(x) : y) };
  },
};
