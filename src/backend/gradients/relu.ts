// Relu, with its mask a constant of the gradient. tfjs-core's gradient is mul(dy, cast(step(x))); recorded for a
// second differentiation, the mask step(x) stays on the tape, so the second backward pass multiplied the adjoint by
// dy for the mask, sent it through Cast and Step (whose gradient is zeros) and added those zeros to x's gradient:
// three full-size kernels per ReLU for an exact zero. step(x) is piecewise constant (derivative zero almost
// everywhere), so it is computed off the tape; the product is the same.
// Where the backend has the fused kernel 'VitscopeReluGrad' (native), dy * step(x) is that one kernel; its x
// input is an off-tape clone of x (the Identity kernel: a shared buffer, no copy), so again only dy is
// differentiated through it.
import { tf, recordingTape, runKernel } from './tf-core.ts';

/** The fused ReLU gradient kernel: inputs { dy, x }, output dy * step(x) (native/src/elementwise.cc). */
export const RELU_GRAD = 'VitscopeReluGrad';

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

/** dy * step(x), with x a constant of any enclosing gradient. */
export function reluGrad(dy: tf.Tensor, x: tf.Tensor): tf.Tensor {
  const recording = recordingTape();
  if (tf.getKernel(RELU_GRAD, tf.getBackend()) !== undefined && dy.dtype === 'float32' && x.dtype === 'float32') {
    const mask = recording ? offTape(() => tf.clone(x)) : x;
    return runKernel<tf.Tensor>(RELU_GRAD, { dy, x: mask }, {});
  }
  const mask = () => tf.cast(tf.step(x), 'float32');
  return tf.mul(dy, recording ? offTape(mask) : mask());
}

export const reluGradConfig: tf.GradConfig = {
  kernelName: 'Relu',
  inputsToSave: ['x'],
  gradFunc: (dy, saved) => {
    const [x] = saved;
    return { x: () => reluGrad(dy as tf.Tensor, x!) };
  },
};

/** The fused gradient's own gradient: linear in dy with the same mask; x (a mask, off the tape) gets zeros. */
export const reluGradGradConfig: tf.GradConfig = {
  kernelName: RELU_GRAD,
  inputsToSave: ['x'],
  gradFunc: (ddx, saved) => {
    const [x] = saved;
    return { dy: () => reluGrad(ddx as tf.Tensor, x!), x: () => tf.zerosLike(x!) };
  },
};
