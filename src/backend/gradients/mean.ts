// Mean, whose gradient broadcasts dy / n back to x's shape with one Tile kernel. tfjs-core's multiplies dy by a
// ones tensor of x's shape that it fills in JavaScript (fresh, unpooled memory: page faults on every call) and then
// divides; a Hessian-vector product runs it twice per global average pool. Same values up to the order of the
// float32 operations (dy / n instead of dy * 1 / n, which rounds identically).
import { tf } from './tf-core.ts';

export const meanGradConfig: tf.GradConfig = {
  kernelName: 'Mean',
  inputsToSave: ['x'],
  gradFunc: (dy, saved, attrs) => {
    const [x] = saved;
    const axes = tf.util.parseAxisParam((attrs as unknown as tf.MeanAttrs).axis, x!.shape);
    const expanded = x!.shape.slice();
    let n = 1;
    for (const a of axes) {
      n *= x!.shape[a]!;
      expanded[a] = 1;
    }
    return { x: () => tf.broadcastTo(tf.div(tf.reshape(dy as tf.Tensor, expanded), n), x!.shape) };
  },
};
