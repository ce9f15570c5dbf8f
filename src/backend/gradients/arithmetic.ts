// Multiply without the bookkeeping kernels. tfjs-core 4.22's gradient casts the other operand to float32 and
// reshapes the product to the input's shape even when it already is float32 and already has that shape: a Cast and
// a Reshape kernel per input, which a second differentiation records and differentiates again (a Hessian-vector
// product of resnet-20 ran ~300 of them). Same values, fewer kernels.
// (Add and Sub keep tfjs-core's gradients: their Reshape is also what gives each input a tensor of its own — the
// tape disposes accumulated gradients, so handing back dy itself would free it while still in use.)
import { tf } from './tf-core.ts';

/** A fresh product summed over the broadcast axes and reshaped to `shape` where needed. */
function reduceTo(t: tf.Tensor, shape: number[]): tf.Tensor {
  if (tf.util.arraysEqual(t.shape, shape)) return t;
  const axes = tf.broadcast_util.getReductionAxes(shape, t.shape);
  const summed = axes.length > 0 ? tf.sum(t, axes) : t;
  return tf.util.arraysEqual(summed.shape, shape) ? summed : tf.reshape(summed, shape);
}

function asFloat(t: tf.Tensor): tf.Tensor {
  return t.dtype === 'float32' ? t : tf.cast(t, 'float32');
}

export const multiplyGradConfig: tf.GradConfig = {
  kernelName: 'Multiply',
  inputsToSave: ['a', 'b'],
  gradFunc: (dy, saved) => {
    const [a, b] = saved;
    const d = dy as tf.Tensor;
    // tf.mul always returns a new tensor, so each input's gradient is its own even when no reduction is needed
    return { a: () => reduceTo(tf.mul(d, asFloat(b!)), a!.shape), b: () => reduceTo(tf.mul(d, asFloat(a!)), b!.shape) };
  },
};
