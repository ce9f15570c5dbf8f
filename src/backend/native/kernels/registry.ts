// Every kernel the native backend overrides (one per file, as in tfjs-core). Anything not listed runs the
// cpu backend's implementation, re-registered for 'native' by ../index.ts.
import type { tf } from '../../tf.ts';
import { absConfig } from './Abs.ts';
import { addConfig } from './Add.ts';
import { addNConfig } from './AddN.ts';
import { argMaxConfig } from './ArgMax.ts';
import { argMinConfig } from './ArgMin.ts';
import { batchMatMulConfig } from './BatchMatMul.ts';
import { castConfig } from './Cast.ts';
import { ceilConfig } from './Ceil.ts';
import { clipByValueConfig } from './ClipByValue.ts';
import { concatConfig } from './Concat.ts';
import { conv2DConfig } from './Conv2D.ts';
import { conv2DBackpropFilterConfig } from './Conv2DBackpropFilter.ts';
import { conv2DBackpropInputConfig } from './Conv2DBackpropInput.ts';
import { cosConfig } from './Cos.ts';
import { depthwiseConv2dNativeConfig } from './DepthwiseConv2dNative.ts';
import { depthwiseConv2dNativeBackpropFilterConfig } from './DepthwiseConv2dNativeBackpropFilter.ts';
import { depthwiseConv2dNativeBackpropInputConfig } from './DepthwiseConv2dNativeBackpropInput.ts';
import { eluConfig } from './Elu.ts';
import { equalConfig } from './Equal.ts';
import { erfConfig } from './Erf.ts';
import { expConfig } from './Exp.ts';
import { expm1Config } from './Expm1.ts';
import { floorConfig } from './Floor.ts';
import { fusedBatchNormConfig } from './FusedBatchNorm.ts';
import { fusedConv2DConfig } from './FusedConv2D.ts';
import { gatherV2Config } from './GatherV2.ts';
import { greaterConfig } from './Greater.ts';
import { greaterEqualConfig } from './GreaterEqual.ts';
import { leakyReluConfig } from './LeakyRelu.ts';
import { lessConfig } from './Less.ts';
import { lessEqualConfig } from './LessEqual.ts';
import { logConfig } from './Log.ts';
import { log1pConfig } from './Log1p.ts';
import { logSoftmaxConfig } from './LogSoftmax.ts';
import { maxConfig } from './Max.ts';
import { maximumConfig } from './Maximum.ts';
import { meanConfig } from './Mean.ts';
import { minConfig } from './Min.ts';
import { minimumConfig } from './Minimum.ts';
import { multiplyConfig } from './Multiply.ts';
import { negConfig } from './Neg.ts';
import { notEqualConfig } from './NotEqual.ts';
import { oneHotConfig } from './OneHot.ts';
import { packConfig } from './Pack.ts';
import { padV2Config } from './PadV2.ts';
import { powConfig } from './Pow.ts';
import { prodConfig } from './Prod.ts';
import { realDivConfig } from './RealDiv.ts';
import { reciprocalConfig } from './Reciprocal.ts';
import { reluConfig } from './Relu.ts';
import { relu6Config } from './Relu6.ts';
import { rsqrtConfig } from './Rsqrt.ts';
import { selectConfig } from './Select.ts';
import { sigmoidConfig } from './Sigmoid.ts';
import { signConfig } from './Sign.ts';
import { sinConfig } from './Sin.ts';
import { sliceConfig } from './Slice.ts';
import { softmaxConfig } from './Softmax.ts';
import { softplusConfig } from './Softplus.ts';
import { splitVConfig } from './SplitV.ts';
import { sqrtConfig } from './Sqrt.ts';
import { squareConfig } from './Square.ts';
import { squaredDifferenceConfig } from './SquaredDifference.ts';
import { stepConfig } from './Step.ts';
import { subConfig } from './Sub.ts';
import { sumConfig } from './Sum.ts';
import { tanhConfig } from './Tanh.ts';
import { tileConfig } from './Tile.ts';
import { transposeConfig } from './Transpose.ts';
import { unpackConfig } from './Unpack.ts';
import { vitscopeAdamWConfig } from './VitscopeAdamW.ts';
import { vitscopeBatchNormConfig } from './VitscopeBatchNorm.ts';
import { vitscopeBatchNormGradConfig } from './VitscopeBatchNormGrad.ts';
import { vitscopeBatchNormReluConfig } from './VitscopeBatchNormRelu.ts';
import { vitscopeBatchNormReluGradConfig } from './VitscopeBatchNormReluGrad.ts';
import { vitscopeChannelAffineConfig } from './VitscopeChannelAffine.ts';
import { vitscopeChannelAffineGradConfig } from './VitscopeChannelAffineGrad.ts';
import { vitscopeGeluConfig } from './VitscopeGelu.ts';
import { vitscopeGeluGradConfig, vitscopeGeluGradGradConfig } from './VitscopeGeluGrad.ts';
import { vitscopeSoftmaxGradConfig, vitscopeSoftmaxGradGradConfig } from './VitscopeSoftmaxGrad.ts';
import { vitscopeSiluConfig } from './VitscopeSilu.ts';
import { vitscopeSiluGradConfig, vitscopeSiluGradGradConfig } from './VitscopeSiluGrad.ts';
import { vitscopeReluGradConfig } from './VitscopeReluGrad.ts';
import { vitscopeLayerNormConfig } from './VitscopeLayerNorm.ts';
import { vitscopeLayerNormGradConfig, vitscopeLayerNormGradGradConfig } from './VitscopeLayerNormGrad.ts';
import { fusedMatMulConfig } from './_FusedMatMul.ts';

export const NATIVE_KERNELS: tf.KernelConfig[] = [
  absConfig,
  addConfig,
  addNConfig,
  argMaxConfig,
  argMinConfig,
  batchMatMulConfig,
  castConfig,
  ceilConfig,
  clipByValueConfig,
  concatConfig,
  conv2DConfig,
  conv2DBackpropFilterConfig,
  conv2DBackpropInputConfig,
  cosConfig,
  depthwiseConv2dNativeConfig,
  depthwiseConv2dNativeBackpropFilterConfig,
  depthwiseConv2dNativeBackpropInputConfig,
  eluConfig,
  equalConfig,
  erfConfig,
  expConfig,
  expm1Config,
  floorConfig,
  fusedBatchNormConfig,
  fusedConv2DConfig,
  gatherV2Config,
  greaterConfig,
  greaterEqualConfig,
  leakyReluConfig,
  lessConfig,
  lessEqualConfig,
  logConfig,
  log1pConfig,
  logSoftmaxConfig,
  maxConfig,
  maximumConfig,
  meanConfig,
  minConfig,
  minimumConfig,
  multiplyConfig,
  negConfig,
  notEqualConfig,
  oneHotConfig,
  packConfig,
  padV2Config,
  powConfig,
  prodConfig,
  realDivConfig,
  reciprocalConfig,
  reluConfig,
  relu6Config,
  rsqrtConfig,
  selectConfig,
  sigmoidConfig,
  signConfig,
  sinConfig,
  sliceConfig,
  softmaxConfig,
  softplusConfig,
  splitVConfig,
  sqrtConfig,
  squareConfig,
  squaredDifferenceConfig,
  stepConfig,
  subConfig,
  sumConfig,
  tanhConfig,
  tileConfig,
  transposeConfig,
  unpackConfig,
  vitscopeAdamWConfig,
  vitscopeBatchNormConfig,
  vitscopeBatchNormGradConfig,
  vitscopeBatchNormReluConfig,
  vitscopeBatchNormReluGradConfig,
  vitscopeChannelAffineConfig,
  vitscopeChannelAffineGradConfig,
  vitscopeGeluConfig,
  vitscopeGeluGradConfig,
  vitscopeGeluGradGradConfig,
  vitscopeSoftmaxGradConfig,
  vitscopeSoftmaxGradGradConfig,
  vitscopeSiluConfig,
  vitscopeSiluGradConfig,
  vitscopeSiluGradGradConfig,
  vitscopeReluGradConfig,
  vitscopeLayerNormConfig,
  vitscopeLayerNormGradConfig,
  vitscopeLayerNormGradGradConfig,
  fusedMatMulConfig,
];
