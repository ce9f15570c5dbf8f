// Representation analyses (Park & Kim 2022, Section 3): Fourier analysis of feature maps,
// frequency-band noise, feature-map variance, loss landscapes. NHWC tensors in, plain arrays out.
export { fourierLogAmplitude, relativeLogAmplitude, relativeFromLogAmplitude, relativeFrequencies } from './fourier.ts';
export { frequencyNoise, frequencyBandMask, binFrequency, type FrequencyNoiseOptions } from './noise.ts';
export { featureMapVariance } from './variance.ts';
export { dft2d, dftLastAxis, dftMatrix } from './dft.ts';
