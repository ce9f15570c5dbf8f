// Noise restricted to a band of spatial frequencies (Park & Kim 2022, Fig. 2c; ops/adversarial.py):
// the DFT of a noise image is masked to a centred square annulus around `frequency` and the real part of
// the inverse transform is kept. ViTs are hurt most by low-frequency noise, ResNets by high-frequency noise.
import { tf } from '../backend/tf.ts';
import { Rng } from '../util/random.ts';
import { dft2d, mapsToNhwc, signedBin } from './dft.ts';

/**
 * Which bins a band holds. 'authors' (FreqAttack._fourier_mask): on the spectrum rolled by H/2, the centred
 * square of side 2⌊(f + s)H/2π⌋ minus the one of side 2⌊(f − s)H/2π⌋ (f, s in radians); the squares span
 * signed bins −L/2 … L/2 − 1, so the mask is not symmetric and the real part of the inverse halves the
 * one-sided bins. 'chebyshev': every bin whose max(|ky|, |kx|)·2/H lies within f ± s (symmetric).
 */
export type BandMask = 'authors' | 'chebyshev';

/**
 * 'sign': δ = scale · sign(N(0, 1)), masked (as the authors' Random attack inside FreqAttack), so wider
 * bands carry more energy. 'rms': Gaussian noise masked, then rescaled to standard deviation `scale`, so
 * every band carries the same energy.
 */
export type NoiseKind = 'sign' | 'rms';

export interface FrequencyNoiseOptions {
  /** Centre of the band, in units of pi (0 ... 1). */
  frequency: number;
  /** Half-width of the band, in units of pi (the authors' s = 0.2 rad is 0.2/π ≈ 0.0637). */
  bandwidth: number;
  /** 'rms': standard deviation of the returned noise. 'sign': eps of δ = eps · sign(N(0, 1)). */
  scale: number;
  seed: number;
  /** Default 'rms'. */
  noise?: NoiseKind;
  /** Default 'chebyshev'. */
  mask?: BandMask;
}

/** Tolerance on band edges, so that a bin lying exactly on an edge (in exact arithmetic) counts as inside. */
const EDGE_TOLERANCE = 1e-9;

/**
 * The frequency of DFT bin (ky, kx) of an H x W map, in units of pi, as the Chebyshev (square) norm
 * max(|ky| 2/H, |kx| 2/W): the square annuli of the authors' mask are its level sets.
 */
export function binFrequency(ky: number, kx: number, h: number, w: number): number {
  return Math.max((Math.abs(signedBin(ky, h)) * 2) / h, (Math.abs(signedBin(kx, w)) * 2) / w);
}

/**
 * 0/1 mask over the unshifted DFT bins [ky * W + kx] of an H x W map: 1 where |f - frequency| <= bandwidth.
 * It is symmetric under (ky, kx) -> (-ky, -kx), so a masked real signal stays real.
 */
export function frequencyBandMask(h: number, w: number, frequency: number, bandwidth: number): Float32Array {
  const mask = new Float32Array(h * w);
  for (let ky = 0; ky < h; ky++) {
    for (let kx = 0; kx < w; kx++) {
      if (Math.abs(binFrequency(ky, kx, h, w) - frequency) <= bandwidth + EDGE_TOLERANCE) mask[ky * w + kx] = 1;
    }
  }
  return mask;
}

/** Python's int() of a float: truncation toward zero. */
const pyInt = (v: number): number => Math.trunc(v);

/**
 * The authors' mask over the unshifted DFT bins [ky * W + kx] of an H x H map (H even): the difference of
 * two centred squares on the rolled spectrum, side 2·int((f ± s)H/2π) clamped to [0, H] (f, s in radians).
 */
export function authorsBandMask(h: number, w: number, frequency: number, bandwidth: number): Float32Array {
  if (h !== w || h % 2 !== 0) throw new Error(`frequencyNoise: the authors' band mask needs a square map of even size, got ${h} x ${w}`);
  const f = frequency * Math.PI;
  const s = bandwidth * Math.PI;
  const side = (rad: number): number => Math.min(h, Math.max(0, pyInt((rad * h) / (2 * Math.PI)) * 2));
  const outer = side(f + s);
  const inner = side(f - s);
  const shift = pyInt(h / 2);
  // rolled index r holds bin (r - shift) mod h; a centred square of side L covers rolled indices pad ... pad + L - 1
  const inSquare = (r: number, c: number, l: number): boolean => {
    const pad = pyInt((h - l) / 2);
    return r >= pad && r < pad + l && c >= pad && c < pad + l;
  };
  const mask = new Float32Array(h * w);
  for (let r = 0; r < h; r++) {
    for (let c = 0; c < w; c++) {
      const m = (inSquare(r, c, outer) ? 1 : 0) - (inSquare(r, c, inner) ? 1 : 0);
      if (m !== 0) mask[((r - shift + h) % h) * w + ((c - shift + w) % w)] = m;
    }
  }
  return mask;
}

function check(field: string, value: unknown, ok: boolean, expected: string): void {
  if (!ok) throw new Error(`frequencyNoise: option '${field}' is ${JSON.stringify(value)}, expected ${expected}`);
}

/**
 * Noise of NHWC shape [B, H, W, C] whose 2D spectrum (per image and channel) lies in the band. 'rms' reads the
 * band-limited noise's standard deviation once (asynchronously: any backend).
 */
export async function frequencyNoise(shape: [number, number, number, number], opts: FrequencyNoiseOptions): Promise<tf.Tensor4D> {
  check('shape', shape, Array.isArray(shape) && shape.length === 4 && shape.every((d) => Number.isInteger(d) && d > 0), 'four positive integers [B, H, W, C]');
  const { frequency, bandwidth, scale, seed } = opts;
  const kind = opts.noise ?? 'rms';
  const maskKind = opts.mask ?? 'chebyshev';
  check('frequency', frequency, Number.isFinite(frequency) && frequency >= 0 && frequency <= 1, 'a number in [0, 1] (units of pi)');
  check('bandwidth', bandwidth, Number.isFinite(bandwidth) && bandwidth >= 0, 'a non-negative number (units of pi)');
  check('scale', scale, Number.isFinite(scale) && scale >= 0, 'a non-negative number');
  check('seed', seed, Number.isFinite(seed), 'a number');
  check('noise', kind, kind === 'rms' || kind === 'sign', "'rms' or 'sign'");
  check('mask', maskKind, maskKind === 'authors' || maskKind === 'chebyshev', "'authors' or 'chebyshev'");
  const [b, h, w, c] = shape;
  const maskValues = maskKind === 'authors' ? authorsBandMask(h, w, frequency, bandwidth) : frequencyBandMask(h, w, frequency, bandwidth);
  if (!maskValues.some((m) => m > 0)) {
    throw new Error(
      `frequencyNoise: the band ${frequency} ± ${bandwidth} (units of pi) holds no DFT bin of a ${h} x ${w} map ` +
        `(bins are ${(2 / h).toFixed(4)} pi apart); widen 'bandwidth'`,
    );
  }
  const rng = new Rng(seed);
  const n = b * c;
  const base = new Float32Array(n * h * w);
  if (kind === 'rms') for (let i = 0; i < base.length; i++) base[i] = rng.normal();
  else for (let i = 0; i < base.length; i++) base[i] = scale * Math.sign(rng.normal());

  const noise = tf.tidy(() => {
    const maps = tf.tensor3d(base, [n, h, w]);
    const spectrum = dft2d(maps);
    const mask = tf.tensor2d(maskValues, [h, w]);
    // |F| * M * exp(i angle F) = M * F for a 0/1 mask: masking the amplitude and keeping the phase
    // is masking the complex spectrum. The real part is kept, as the authors do (their mask is asymmetric).
    return dft2d(tf.mul(spectrum.re, mask) as tf.Tensor3D, tf.mul(spectrum.im, mask) as tf.Tensor3D, true).re;
  });
  try {
    if (kind !== 'rms') return mapsToNhwc(noise, b, c);
    const variance = tf.tidy(() => tf.moments(noise).variance);
    const std = Math.sqrt((await variance.data())[0]!);
    variance.dispose();
    return tf.tidy(() => mapsToNhwc(std > 0 ? (tf.mul(noise, scale / std) as tf.Tensor3D) : (tf.zerosLike(noise) as tf.Tensor3D), b, c));
  } finally {
    noise.dispose();
  }
}
