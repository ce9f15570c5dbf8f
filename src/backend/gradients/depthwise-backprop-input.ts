// Gradient of DepthwiseConv2dNativeBackpropInput (dx = depthwiseBackpropInput(dy, W)); not in tfjs-core.
// Bilinear in (dy, W): the adjoint in dy is the depthwise convolution of ddx with W, in W the filter-backprop.
import { tf, runKernel } from './tf-core.ts';

export const depthwiseBackpropInputGradConfig: tf.GradConfig = {
  kernelName: 'DepthwiseConv2dNativeBackpropInput',
  inputsToSave: ['dy', 'filter'],
  gradFunc: (ddx, saved, attrs) => {
    const [dy, filter] = saved;
    const { strides, pad, dilations, dimRoundingMode } = attrs as unknown as tf.DepthwiseConv2dNativeBackpropInputAttrs;
    const d = dilations ?? 1;
    const dd = ddx as tf.Tensor4D;
    return {
      dy: () => runKernel('DepthwiseConv2dNative', { x: dd, filter }, { strides, pad, dilations: d, dimRoundingMode, dataFormat: 'NHWC' }),
      filter: () =>
        runKernel('DepthwiseConv2dNativeBackpropFilter', { x: dd, dy }, { strides, pad, dilations: d, dimRoundingMode, filterShape: filter.shape }),
    };
  },
};
