// Sum, whose gradient broadcasts dy back to x's shape with one Tile kernel. tfjs-core's multiplies dy by a ones
// tensor that it fills in JavaScript first; a second differentiation runs it for every bias (and every other
// broadcast) gradient of the first backward pass, on activation-sized tensors. Same values (dy * 1 = dy).
import { tf } from './tf-core.ts';

export const sumGradConfig: tf.GradConfig = {
  kernelName: 'Sum',
  inputsToSave: ['x'],
  gradFunc: (dy, saved, attrs) => {
    const [x] = saved;
    const expanded = x.shape.slice();
    for (const a of tf.util.parseAxisParam((attrs as unknown as tf.SumAttrs).axis, x.shape)) expanded[a] = 1;
    return { x: () => tf.broadcastTo(tf.reshape(dy as tf.Tensor, expanded), x.shape) };
  },
};
