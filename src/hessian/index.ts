// Hessian spectra: algorithms on a symmetric linear operator (independent of models), the Hessian
// operator of a model, and the paper's analyses. Re-exported as `hessian` from src/index.ts.
export type { LinearOperator } from './linear-operator.ts';
export { lanczos, lanczosDecomposition, type LanczosOptions, type LanczosResult } from './lanczos.ts';
export { slqDensity, densityOnGrid, densityGrid, slqMoment, type SlqRun, type SlqOptions, type DensityOptions } from './slq.ts';
export { hutchinsonTrace, type TraceOptions, type TraceResult } from './trace.ts';
export { powerIteration, POWER_DEFAULTS, type PowerOptions, type PowerResult } from './power.ts';
export { lanczosTopByMagnitude, type MagnitudeLanczosOptions, type MagnitudeLanczosResult } from './lanczos-magnitude.ts';
export { tridiagonalEigen } from './tridiagonal.ts';
export { denseOperator, toDense, asymmetry } from './dense-operator.ts';
export { meanCI, pointwiseCI, studentTQuantile, studentTCdf, type MeanCI } from '../util/stats.ts';
export { gaussianKde, silvermanBandwidth, linspace, sideKde, type KdeResult, type SideKde } from '../util/kde.ts';
export {
  modelHessianOperator, lossHessianOperator, twiceDifferentiableNll,
  type HessianOperator, type HessianBatch, type HessianOperatorOptions, type ModelHessianOptions, type LossOfParams,
} from './model-operator.ts';
export { selectParamNames, countParams, PARAM_GROUPS, isParamGroup, type ParamGroup } from './param-groups.ts';
export {
  maxEigenvalueSpectrum, maxEigenvalueKde, hessianSpectrum, nepApe, splitGroups,
  maxEigenvalueUnit, reduceMaxEigenvalueUnits, lanczosUnit, slqUnit, traceUnit, reduceSpectrumUnits, subsetSeed,
  type LanczosPart, type SlqPart, type TracePart, type SubsetParts, type MaxEigenUnitOptions,
  type MaxEigenOptions, type MaxEigenSolver, type MaxEigenSpectrum, type SpectrumOptions, type HessianSpectrum, type SubsetSpectrum, type BatchEigen,
} from './spectrum.ts';
export { timeHvpVsStep, secondsPerProduct, type StepTiming } from './timing.ts';
export { checkHessianLayout, hessianDataLayout, hessianModelUnits, type HessianDataLayout, type HessianUnitSpec, type HessianUnitKind } from './units-plan.ts';
export { HESSIAN_PROTOCOLS, type HessianSettings, type HessianProtocol, type HessianAugment } from './protocol.ts';
