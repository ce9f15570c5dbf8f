// Settings of the frequency-band noise analysis, by protocol (src/util/protocol.ts).
import type { AnalysisProtocols } from '../util/protocol.ts';
import type { BandMask, NoiseKind } from './noise.ts';

export interface NoiseSettings {
  frequencies: readonly number[];
  /** Band half-width, units of pi. */
  bandwidth: number;
  /** eps of eps·sign(N(0,1)) ('sign') or the noise standard deviation ('rms'), normalised input space. */
  scale: number;
  noise: NoiseKind;
  mask: BandMask;
  images: number;
  groups: number;
  batchSize: number;
}

export type NoiseProtocol = 'paper' | 'vitscope';

const FREQUENCIES = [0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.7, 0.8, 0.9];

export const NOISE_PROTOCOLS: AnalysisProtocols<NoiseSettings, NoiseProtocol> = {
  analysis: 'noise',
  defaultProtocol: 'vitscope',
  why:
    "the paper does not state the eps behind its figure (its code defaults to 0.007, an answer of the authors says 0.7), and with a fixed eps " +
    'the energy that reaches the image grows with the band area (16 of 1024 bins at 0.1π, 224 at 0.9π on 32 x 32), so bands are not comparable; ' +
    "equal-RMS noise isolates the frequency. Run --protocol paper for the authors' masked sign noise",
  protocols: {
    paper: {
      description: "ops/adversarial.py FreqAttack(Random): δ = eps·sign(N(0,1)), square band between sides 2⌊(f ± s)H/2π⌋ with s = 0.2 rad, real part of the inverse FFT; eps 0.7",
      settings: { frequencies: FREQUENCIES, bandwidth: 0.2 / Math.PI, scale: 0.7, noise: 'sign', mask: 'authors', images: 250, groups: 5, batchSize: 125 },
    },
    vitscope: {
      description: 'Gaussian noise band-passed to max(|ky|,|kx|)·2/H within f ± 0.1π, rescaled to standard deviation 0.5 in every band',
      settings: { frequencies: FREQUENCIES, bandwidth: 0.1, scale: 0.5, noise: 'rms', mask: 'chebyshev', images: 250, groups: 5, batchSize: 125 },
    },
  },
  settings: {
    frequencies: { option: 'frequencies', type: 'numbers', help: 'band centres in units of π' },
    bandwidth: { option: 'bandwidth', type: 'number', help: 'band half-width in units of π (the authors: s = 0.2 rad = 0.0637π)' },
    scale: { option: 'scale', type: 'number', help: "eps of eps·sign(N(0,1)) ('sign') or noise std ('rms'), normalised input space" },
    noise: { option: 'noise', type: 'string', choices: ['sign', 'rms'], help: "'sign': the authors' δ = eps·sign(N(0,1)); 'rms': Gaussian, equal energy per band" },
    mask: { option: 'mask', type: 'string', choices: ['authors', 'chebyshev'], help: "'authors': their square annulus on the rolled spectrum; 'chebyshev': symmetric |max(|ky|,|kx|)·2/H − f| <= bandwidth" },
    images: { option: 'images', type: 'integer', help: 'test images (class-balanced seeded subset)' },
    groups: { option: 'groups', type: 'integer', help: 'disjoint image groups for the confidence intervals' },
    batchSize: { option: 'batch-size', type: 'integer', help: 'images per forward pass' },
  },
};
