// Gradient of DepthwiseConv2dNativeBackpropFilter (dW = depthwiseBackpropFilter(x, dy)); not in tfjs-core.
// Bilinear in (x, dy): the adjoint in dy is the depthwise convolution of x with ddW, in x its input-backprop.
import { tf, runKernel } from './tf-core.ts';

export const depthwiseBackpropFilterGradConfig: tf.GradConfig = {
  kernelName: 'DepthwiseConv2dNativeBackpropFilter',
  inputsToSave: ['x', 'dy'],
  gradFunc: (ddw, saved, attrs) => {
    const [x, dy] = saved;
    const { strides, pad, dilations, dimRoundingMode } = attrs as unknown as tf.DepthwiseConv2dNativeBackpropFilterAttrs;
    const ddW = ddw as tf.Tensor4D;
    const d = dilations ?? 1;
    return {
      x: () =>
        runKernel('DepthwiseConv2dNativeBackpropInput', { dy, filter: ddW }, { strides, pad, dilations: d, dimRoundingMode, inputShape: x.shape }),
      dy: () => runKernel('DepthwiseConv2dNative', { x, filter: ddW }, { strides, pad, dilations: d, dimRoundingMode, dataFormat: 'NHWC' }),
    };
  },
};
