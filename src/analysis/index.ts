// Representation analyses (Park & Kim 2022, Section 3): Fourier analysis of feature maps,
// frequency-band noise, feature-map variance, loss landscapes. NHWC tensors in, plain arrays out.
export {
  fourierLogAmplitude, relativeLogAmplitude, relativeFromLogAmplitude, relativeFrequencies, plotFrequencies, LOG_AMPLITUDE_EPS, type FourierDiagonal,
} from './fourier.ts';
export { frequencyNoise, frequencyBandMask, authorsBandMask, binFrequency, type FrequencyNoiseOptions, type BandMask, type NoiseKind } from './noise.ts';
export { protocolOptions, resolveProtocol, type AnalysisProtocols, type ResolvedSettings, type SettingSpec, type SettingValue } from '../util/protocol.ts';
export { FOURIER_PROTOCOLS, type FourierSettings, type FourierProtocol } from './fourier-protocol.ts';
export { NOISE_PROTOCOLS, type NoiseSettings, type NoiseProtocol } from './noise-protocol.ts';
export { VARIANCE_PROTOCOLS, type VarianceSettings, type VarianceProtocol } from './variance-protocol.ts';
export { LANDSCAPE_PROTOCOLS, type LandscapeSettings, type LandscapeProtocol, type LandscapeAugment } from './landscape-protocol.ts';
export { PAPER_MIX, NO_MIX, mixTrainingBatch, trainingTargetBatches, type TargetBatch } from '../train/training-targets.ts';
export { featureMapVariance } from './variance.ts';
export { dft2d, dftLastAxis, dftMatrix } from './dft.ts';
export {
  fourierByDepth,
  varianceByDepth,
  analysedMaps,
  normalisedDepth,
  sliceBatches,
  type BlockInfo,
  type FourierBlock,
  type VarianceBlock,
  type DepthAnalysisOptions,
  type FourierOptions,
  type ImageBatches,
} from './depth.ts';
export {
  noiseRobustness,
  correctFlags,
  groupAccuracies,
  DEFAULT_NOISE_FREQUENCIES,
  type LabelledImages,
  type NoiseRobustnessOptions,
  type NoiseRobustnessResult,
} from './noise-robustness.ts';
export {
  lossLandscape,
  clipLandscape,
  pytorchDim0Axis,
  pytorchDim0Axes,
  filterAxes,
  evaluateAt,
  randomDirection,
  normalizeDirection,
  isIgnoredParam,
  type DirectionNormalization,
  type LandscapeBatch,
  type LossLandscape,
  type LossLandscapeOptions,
} from './landscape.ts';
