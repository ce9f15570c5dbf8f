// Tile, whose gradient is one reshape and one sum: dy viewed as [r0, s0, r1, s1, ...] (reps r, input shape s) summed
// over the rep axes. tfjs-core's slices dy once per tile and adds the slices (prod(reps) kernels, and only up to
// rank 4); the Sum gradient broadcasts with a Tile, so every Hessian-vector product through a keepDims sum (the
// log-softmax normaliser, K classes) ran K slices and K adds. Same values, twice differentiable (Reshape and Sum).
import { tf } from './tf-core.ts';

export const tileGradConfig: tf.GradConfig = {
  kernelName: 'Tile',
  inputsToSave: ['x'],
  gradFunc: (dy, saved, attrs) => {
    const [x] = saved;
    const { reps } = attrs as unknown as tf.TileAttrs;
    return {
      x: () => {
        const split: number[] = [];
        const repAxes: number[] = [];
        // an input axis of size 1 under reps (a broadcast, e.g. the gradient of a keepDims sum or mean) needs no axis
        // of its own: the view keeps x's rank, within the rank 6 the WebGPU backend's shaders support
        x!.shape.forEach((s, d) => {
          if (reps[d]! > 1) {
            repAxes.push(split.length);
            split.push(reps[d]!);
            if (s !== 1) split.push(s);
          } else split.push(s);
        });
        const d = dy as tf.Tensor;
        if (repAxes.length === 0) return tf.reshape(d, x!.shape);
        return tf.reshape(tf.sum(tf.reshape(d, split), repAxes), x!.shape);
      },
    };
  },
};
