// Accuracy under frequency-band noise (Park & Kim 2022, Fig. 2c): top-1 accuracy on x + noise_f minus
// the clean accuracy, for bands centred at f = 0.1 pi ... 0.9 pi, in normalised input space. The same
// noise (same seed per band) is added for every model, and the images are split into disjoint groups
// whose spread gives a t-based confidence interval.
import { tf } from '../backend/tf.ts';
import type { Model } from '../models/model.ts';
import { meanCI } from '../util/stats.ts';
import { frequencyNoise, type BandMask, type NoiseKind } from './noise.ts';

export const DEFAULT_NOISE_FREQUENCIES: readonly number[] = [0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.7, 0.8, 0.9];

export interface LabelledImages {
  /** Normalised NHWC images. */
  x: tf.Tensor4D;
  /** Integer labels, one per image. */
  y: Int32Array;
}

export interface NoiseRobustnessOptions {
  frequencies?: readonly number[];
  /** Half-width of each band, units of pi (default 0.1). */
  bandwidth?: number;
  /** Noise standard deviation ('rms') or eps ('sign'); default 0.5 (normalised input space). */
  scale?: number;
  /** noise.ts NoiseKind, default 'rms'. */
  noise?: NoiseKind;
  /** noise.ts BandMask, default 'chebyshev'. */
  mask?: BandMask;
  seed?: number;
  /** Disjoint image groups for the confidence interval (default 5). */
  groups?: number;
  batchSize?: number;
  /** Confidence level (default 0.95). */
  level?: number;
  onStep?: (message: string) => void;
  signal?: AbortSignal;
}

export interface NoiseRobustnessResult {
  label: string;
  frequency: number[];
  /** Clean top-1 accuracy, percent. */
  cleanAccuracy: number;
  /** Top-1 accuracy with noise in each band, percent. */
  noisyAccuracy: number[];
  /** Noisy minus clean accuracy, percentage points (negative: hurt), mean over groups — the paper's sign. */
  accuracyChange: number[];
  /** Confidence interval of `accuracyChange` over the groups (t-based; equal to it for one group). */
  changeLower: number[];
  changeUpper: number[];
  /** Per band, the change in each group. */
  groupDrops: number[][];
}

/** Which images were classified correctly (1) or not (0), in batches (one asynchronous read per batch). */
export async function correctFlags(model: Model, x: tf.Tensor4D, y: Int32Array, batchSize: number, noise?: tf.Tensor4D): Promise<Uint8Array> {
  const n = x.shape[0];
  const out = new Uint8Array(n);
  for (let start = 0; start < n; start += batchSize) {
    const size = Math.min(batchSize, n - start);
    const pred = tf.tidy(() => {
      let xb = tf.slice(x, [start, 0, 0, 0], [size, -1, -1, -1]) as tf.Tensor4D;
      if (noise) xb = tf.add(xb, tf.slice(noise, [start, 0, 0, 0], [size, -1, -1, -1])) as tf.Tensor4D;
      return tf.argMax(model.forward(xb, { training: false }), -1);
    });
    let p: Int32Array;
    try {
      p = (await pred.data()) as Int32Array;
    } finally {
      pred.dispose();
    }
    for (let i = 0; i < size; i++) out[start + i] = p[i] === y[start + i] ? 1 : 0;
  }
  return out;
}

/** Accuracy (percent) of each of `groups` contiguous, disjoint, near-equal groups. */
export function groupAccuracies(flags: Uint8Array, groups: number): number[] {
  const n = flags.length;
  const out: number[] = [];
  for (let g = 0; g < groups; g++) {
    const a = Math.floor((g * n) / groups);
    const b = Math.floor(((g + 1) * n) / groups);
    let s = 0;
    for (let i = a; i < b; i++) s += flags[i]!;
    out.push((100 * s) / (b - a));
  }
  return out;
}

/** The settings of noiseRobustness with their defaults applied. */
export function noiseDefaults(opts: NoiseRobustnessOptions = {}): Required<Omit<NoiseRobustnessOptions, 'onStep' | 'signal'>> {
  return {
    frequencies: [...(opts.frequencies ?? DEFAULT_NOISE_FREQUENCIES)],
    bandwidth: opts.bandwidth ?? 0.1,
    scale: opts.scale ?? 0.5,
    noise: opts.noise ?? 'rms',
    mask: opts.mask ?? 'chebyshev',
    seed: opts.seed ?? 0,
    groups: opts.groups ?? 5,
    batchSize: opts.batchSize ?? 100,
    level: opts.level ?? 0.95,
  };
}

/**
 * The noise of band `band` (index into the frequencies) for images of `shape`: one seed per band, shared by all
 * models (they are compared on identical perturbations) and by every unit of the band.
 */
export async function bandNoise(shape: [number, number, number, number], band: number, opts: NoiseRobustnessOptions = {}): Promise<tf.Tensor4D> {
  const o = noiseDefaults(opts);
  return frequencyNoise(shape, { frequency: o.frequencies[band]!, bandwidth: o.bandwidth, scale: o.scale, noise: o.noise, mask: o.mask, seed: o.seed * 7919 + band + 1 });
}

/** One model's result from its correct-flags: clean, and noisy per band (all images, in order). */
export function reduceNoiseFlags(label: string, clean: Uint8Array, noisy: readonly Uint8Array[], opts: NoiseRobustnessOptions = {}): NoiseRobustnessResult {
  const o = noiseDefaults(opts);
  const groups = Math.min(o.groups, clean.length);
  const r: NoiseRobustnessResult = {
    label, frequency: [...o.frequencies], cleanAccuracy: groupAccuracies(clean, 1)[0]!,
    noisyAccuracy: [], accuracyChange: [], changeLower: [], changeUpper: [], groupDrops: [],
  };
  const cleanG = groupAccuracies(clean, groups);
  for (const flags of noisy) {
    const noisyG = groupAccuracies(flags, groups);
    const drops = noisyG.map((v, g) => v - cleanG[g]!);
    const ci = meanCI(drops, o.level);
    r.noisyAccuracy.push(groupAccuracies(flags, 1)[0]!);
    r.accuracyChange.push(ci.mean);
    r.changeLower.push(groups > 1 ? ci.lower : ci.mean);
    r.changeUpper.push(groups > 1 ? ci.upper : ci.mean);
    r.groupDrops.push(drops);
  }
  return r;
}

/** Accuracy change under band-limited noise for each model, on the same images and the same noise. */
export async function noiseRobustness(
  models: readonly { label: string; model: Model }[],
  data: LabelledImages,
  opts: NoiseRobustnessOptions = {},
): Promise<NoiseRobustnessResult[]> {
  const o = noiseDefaults(opts);
  const n = data.x.shape[0];
  if (data.y.length !== n) throw new Error(`noiseRobustness: ${n} images but ${data.y.length} labels`);
  if (!(Math.min(o.groups, n) >= 1)) throw new Error(`noiseRobustness: option 'groups' must be >= 1, got ${opts.groups}`);
  const clean: Uint8Array[] = [];
  for (const { label, model } of models) {
    opts.onStep?.(`${label}: clean accuracy`);
    clean.push(await correctFlags(model, data.x, data.y, o.batchSize));
  }
  const noisy: Uint8Array[][] = models.map(() => []);
  for (let fi = 0; fi < o.frequencies.length; fi++) {
    opts.signal?.throwIfAborted();
    const noise = await bandNoise(data.x.shape, fi, opts);
    try {
      for (const [m, { label, model }] of models.entries()) {
        opts.onStep?.(`${label}: noise at ${o.frequencies[fi]!.toFixed(2)}π`);
        noisy[m]!.push(await correctFlags(model, data.x, data.y, o.batchSize, noise));
      }
    } finally {
      noise.dispose();
    }
  }
  return models.map(({ label }, m) => reduceNoiseFlags(label, clean[m]!, noisy[m]!, opts));
}
