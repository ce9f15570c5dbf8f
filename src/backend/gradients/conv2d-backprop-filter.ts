// Gradient of Conv2DBackpropFilter (dW = conv2dBackpropFilter(x, dy)), which tfjs-core does not register.
// dW is bilinear in (x, dy): <ddW, dW(x, dy)> = <dy, conv2d(x, ddW)> = <x, conv2dBackpropInput(dy, ddW)>.
import { tf, runKernel } from './tf-core.ts';

export const conv2DBackpropFilterGradConfig: tf.GradConfig = {
  kernelName: 'Conv2DBackpropFilter',
  inputsToSave: ['x', 'dy'],
  gradFunc: (ddw, saved, attrs) => {
    const [x, dy] = saved;
    const { strides, pad, dataFormat, dimRoundingMode } = attrs as unknown as tf.Conv2DBackpropFilterAttrs;
    const ddW = ddw as tf.Tensor4D;
    return {
      x: () =>
        runKernel('Conv2DBackpropInput', { dy, filter: ddW }, { strides, pad, dataFormat, dimRoundingMode, inputShape: x.shape }),
      dy: () =>
        runKernel('Conv2D', { x, filter: ddW }, { strides, pad, dataFormat, dilations: 1, dimRoundingMode }),
    };
  },
};
