// Relu, with its mask a constant of the gradient. tfjs-core's gradient is mul(dy, cast(step(x))); recorded for a
// second differentiation, the mask step(x) stays on the tape, so the second backward pass multiplied the adjoint by
// dy for the mask, sent it through Cast and Step (whose gradient is zeros) and added those zeros to x's gradient:
// three full-size kernels per ReLU for an exact zero. step(x) is piecewise constant (derivative zero almost
// everywhere), so it is computed off the tape; the product is the same.
import { tf, recordingTape } from './tf-core.ts';

/** f() with the tape paused: its ops are not recorded, so their results are constants to an enclosing gradient. */
export function offTape<T>(f: () => T): T {
  const state = (tf.engine() as unknown as { state: { kernelDepth: number } }).state;
  state.kernelDepth++; // the engine records only at kernel depth 0 (isTapeOn)
  try {
    return f();
  } finally {
    state.kernelDepth--;
  }
}

export const reluGradConfig: tf.GradConfig = {
  kernelName: 'Relu',
  inputsToSave: ['x'],
  gradFunc: (dy, saved) => {
    const [x] = saved;
    const mask = () => tf.cast(tf.step(x), 'float32');
    return { x: () => tf.mul(dy as tf.Tensor, recordingTape() ? offTape(mask) : mask()) };
  },
};
