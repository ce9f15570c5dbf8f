// Registers the gradients that make double backpropagation (exact Hessian-vector products) work through
// every op the models use. Imported for its side effect by src/backend/tf.ts; registering twice is harmless.
//
// - new: gradients of gradient kernels tfjs-core 4.22 leaves unregistered: Conv2DBackpropFilter,
//   DepthwiseConv2dNativeBackpropInput/Filter, MaxPoolGrad, AvgPoolGrad, and zero gradients of
//   boolean-valued kernels (Equal, Less, ...);
// - replaced: Exp, Softmax, LogSoftmax, Sigmoid, Tanh, Pow, whose tfjs-core gradients use the saved
//   output, which a second differentiation sees as a constant (see exp.ts); SquaredDifference, whose
//   tfjs-core gradient ignores broadcasting; Relu, whose mask a second differentiation walked through for zeros (and whose product is one fused kernel where the backend has it); Sum and Mean, whose gradients filled a ones tensor; Tile, whose gradient sliced dy once per tile; Multiply, whose gradient cast and reshaped even when
//   nothing needed it.
import { tf } from './tf-core.ts';
import { conv2DBackpropFilterGradConfig } from './conv2d-backprop-filter.ts';
import { depthwiseBackpropFilterGradConfig } from './depthwise-backprop-filter.ts';
import { depthwiseBackpropInputGradConfig } from './depthwise-backprop-input.ts';
import { maxPoolGradGradConfig } from './max-pool-grad.ts';
import { avgPoolGradGradConfig } from './avg-pool-grad.ts';
import { comparisonGradConfigs } from './comparisons.ts';
import { expGradConfig } from './exp.ts';
import { softmaxGradConfig, softmaxGradGradConfig } from './softmax.ts';
import { logSoftmaxGradConfig } from './log-softmax.ts';
import { sigmoidGradConfig } from './sigmoid.ts';
import { tanhGradConfig } from './tanh.ts';
import { powGradConfig } from './pow.ts';
import { squaredDifferenceGradConfig } from './squared-difference.ts';
import { reluGradConfig, reluGradGradConfig } from './relu.ts';
import { sumGradConfig } from './sum.ts';
import { tileGradConfig } from './tile.ts';
import { multiplyGradConfig } from './arithmetic.ts';
import { meanGradConfig } from './mean.ts';
import './saved-tensors.ts';

export { twiceDifferentiableLogSoftmax } from './stable-log-softmax.ts';

/** Every gradient this folder registers, by kernel name. */
export const SECOND_ORDER_GRADIENTS: readonly tf.GradConfig[] = [
  conv2DBackpropFilterGradConfig,
  depthwiseBackpropFilterGradConfig,
  depthwiseBackpropInputGradConfig,
  maxPoolGradGradConfig,
  avgPoolGradGradConfig,
  ...comparisonGradConfigs,
  expGradConfig,
  softmaxGradConfig,
  softmaxGradGradConfig,
  logSoftmaxGradConfig,
  sigmoidGradConfig,
  tanhGradConfig,
  powGradConfig,
  squaredDifferenceGradConfig,
  reluGradConfig,
  reluGradGradConfig,
  sumGradConfig,
  tileGradConfig,
  multiplyGradConfig,
  meanGradConfig,
];

/** Registers (or re-registers) all of them; returns the kernel names. Idempotent. */
export function registerSecondOrderGradients(): string[] {
  for (const config of SECOND_ORDER_GRADIENTS) {
    if (tf.getGradient(config.kernelName) !== config) tf.registerGradient(config);
  }
  return SECOND_ORDER_GRADIENTS.map((c) => c.kernelName);
}

registerSecondOrderGradients();
