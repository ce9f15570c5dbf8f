// Representation analyses (Park & Kim 2022, Section 3): Fourier analysis of feature maps,
// frequency-band noise, feature-map variance, loss landscapes. NHWC tensors in, plain arrays out.
export { fourierLogAmplitude, relativeLogAmplitude, relativeFromLogAmplitude, relativeFrequencies, LOG_AMPLITUDE_EPS } from './fourier.ts';
export { frequencyNoise, frequencyBandMask, binFrequency, type FrequencyNoiseOptions } from './noise.ts';
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
  evaluateAt,
  randomDirection,
  normalizeDirection,
  isIgnoredParam,
  type DirectionNormalization,
  type LandscapeBatch,
  type LossLandscape,
  type LossLandscapeOptions,
} from './landscape.ts';
