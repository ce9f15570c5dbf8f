// Gradient of AvgPoolGrad (dx = avgPoolGrad(dy, x)); not in tfjs-core.
// dx is linear in dy and independent of x's values. The adjoint is taken of what the kernel computes:
// tfjs's AvgPoolGrad spreads every dy over its whole window with weight 1 / (fh * fw), padding included,
// so the adjoint sums ddx over each window (padding contributes zeros) times 1 / (fh * fw): a depthwise
// convolution with a constant filter. (This equals avgPool(ddx) whenever no window overlaps padding.)
import { tf, runKernel } from './tf-core.ts';

function pair(v: number | [number, number]): [number, number] {
  return typeof v === 'number' ? [v, v] : v;
}

export const avgPoolGradGradConfig: tf.GradConfig = {
  kernelName: 'AvgPoolGrad',
  inputsToSave: ['input'],
  gradFunc: (ddx, saved, attrs) => {
    const [x] = saved;
    const { filterSize, strides, pad } = attrs as unknown as tf.AvgPoolGradAttrs;
    const [fh, fw] = pair(filterSize);
    const dd = ddx as tf.Tensor4D;
    return {
      dy: () => {
        const channels = dd.shape[3];
        const filter = tf.fill([fh, fw, channels, 1], 1 / (fh * fw)) as tf.Tensor4D;
        return runKernel('DepthwiseConv2dNative', { x: dd, filter }, { strides, pad, dilations: 1, dataFormat: 'NHWC' });
      },
      input: () => tf.zerosLike(x),
    };
  },
};
