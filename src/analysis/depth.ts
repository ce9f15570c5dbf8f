// Per-model analyses over `model.features(x)`: the relative log amplitude and the feature-map
// variance of every block, against normalised depth (block index / (number of blocks - 1)).
// Batches are processed one at a time and averaged, weighted by size, so memory stays bounded;
// both quantities are means over the batch, so the result equals one pass over all images.
import { tf } from '../backend/tf.ts';
import type { BlockKind, FeatureMap, Model } from '../models/model.ts';
import { centredLogAmplitude, meanLogAmplitudeTensor, plotFrequencies, relativeFromLogAmplitude, relativeFrequencies, type FourierDiagonal } from './fourier.ts';
import { featureMapVarianceTensor } from './variance.ts';

export interface BlockInfo {
  name: string;
  kind: BlockKind;
  /** Block index among the analysed blocks / (count - 1); 0 for a single block. */
  depth: number;
  height: number;
  width: number;
  channels: number;
}

export interface FourierBlock extends BlockInfo {
  /** Centred log amplitude (H x W), mean over images and channels. */
  logAmplitude: number[][];
  /** Frequencies of `relative`, units of pi (2k/H). */
  frequency: number[];
  /** Where the figure draws `relative` (the authors: evenly over 0 ... 1; 'nyquist': = frequency). */
  plotFrequency: number[];
  /** Relative log amplitude from frequency 0 outwards (FourierOptions.diagonal). */
  relative: number[];
  /** The last entry of `relative`: Δ log amplitude at the highest frequency (the paper's "at pi"). */
  deltaAtHighest: number;
  /** The frequency of that last entry, units of pi: 1 - 2/H for 'authors', 1 for 'nyquist' (even H). */
  highestFrequency: number;
}

export interface VarianceBlock extends BlockInfo {
  variance: number;
}

export interface DepthAnalysisOptions {
  /** Kinds left out (default: ['head'], the pooled pre-logit output). */
  excludeKinds?: readonly BlockKind[];
  /** Called after each batch with the number of images done. */
  onBatch?: (done: number) => void;
  signal?: AbortSignal;
}

/** Image batches: NHWC normalised inputs (labels unused here). */
export type ImageBatches = Iterable<tf.Tensor4D> | AsyncIterable<tf.Tensor4D>;

/** Which feature maps are analysed: not excluded kinds, and at least 2 x 2 (1 x 1 maps have no spectrum or spatial variance). */
export function analysedMaps(maps: readonly FeatureMap[], exclude: readonly BlockKind[] = ['head']): FeatureMap[] {
  return maps.filter((m) => !exclude.includes(m.kind) && m.tensor.shape[1] >= 2 && m.tensor.shape[2] >= 2);
}

/** Normalised depth of index i among n blocks, as the authors plot it. */
export function normalisedDepth(i: number, n: number): number {
  return n > 1 ? i / (n - 1) : 0;
}

interface Accumulated {
  info: Omit<BlockInfo, 'depth'>[];
  /** Per block: size-weighted sums of the per-batch results. */
  sums: number[][][];
  variances: number[];
  images: number;
}

async function accumulate(
  model: Model,
  batches: ImageBatches,
  opts: DepthAnalysisOptions,
  what: { fourier: boolean; variance: boolean },
): Promise<Accumulated> {
  const exclude = opts.excludeKinds ?? ['head'];
  const acc: Accumulated = { info: [], sums: [], variances: [], images: 0 };
  for await (const x of batches as AsyncIterable<tf.Tensor4D>) {
    opts.signal?.throwIfAborted();
    const all = model.features(x, { training: false });
    try {
      const maps = analysedMaps(all, exclude);
      const b = x.shape[0];
      if (acc.images === 0) {
        acc.info = maps.map((m) => ({ name: m.name, kind: m.kind, height: m.tensor.shape[1], width: m.tensor.shape[2], channels: m.tensor.shape[3] }));
        acc.sums = maps.map((m) => Array.from({ length: m.tensor.shape[1] }, () => new Array<number>(m.tensor.shape[2]).fill(0)));
        acc.variances = maps.map(() => 0);
      } else if (maps.length !== acc.info.length || maps.some((m, i) => m.name !== acc.info[i]!.name)) {
        throw new Error(`model ${model.config.preset}: features() returned different blocks for different batches`);
      }
      // Every block's result in one tensor, read once per batch (one device synchronisation, not one per block).
      const parts = tf.tidy(() => {
        const flat: tf.Tensor[] = [];
        for (const m of maps) {
          if (what.fourier) flat.push(tf.reshape(meanLogAmplitudeTensor(m.tensor), [-1]));
          if (what.variance) flat.push(tf.reshape(featureMapVarianceTensor(m.tensor)!, [1]));
        }
        return flat.length > 0 ? tf.concat(flat) : tf.zeros([0]);
      });
      let values: Float32Array;
      try {
        values = (await parts.data()) as Float32Array;
      } finally {
        parts.dispose();
      }
      let off = 0;
      maps.forEach((m, i) => {
        const [, h, w] = m.tensor.shape;
        if (what.fourier) {
          const a = centredLogAmplitude(values.subarray(off, off + h * w), h, w);
          off += h * w;
          const s = acc.sums[i]!;
          for (let r = 0; r < a.length; r++) for (let c = 0; c < a[r]!.length; c++) s[r]![c]! += b * a[r]![c]!;
        }
        if (what.variance) acc.variances[i]! += b * values[off++]!;
      });
      acc.images += b;
    } finally {
      for (const m of all) m.tensor.dispose();
    }
    opts.onBatch?.(acc.images);
  }
  if (acc.images === 0) throw new Error(`model ${model.config.preset}: no images to analyse`);
  if (acc.info.length === 0) throw new Error(`model ${model.config.preset}: features() gave no map of at least 2 x 2 to analyse`);
  return acc;
}

export interface FourierOptions extends DepthAnalysisOptions {
  /** Which half-diagonal (fourier.ts FourierDiagonal); default 'authors', as fourier_analysis.ipynb. */
  diagonal?: FourierDiagonal;
}

/** Fourier analysis of every block: log amplitude maps, relative log amplitude curves and Δ at the highest frequency. */
export async function fourierByDepth(model: Model, batches: ImageBatches, opts: FourierOptions = {}): Promise<FourierBlock[]> {
  const diagonal = opts.diagonal ?? 'authors';
  const acc = await accumulate(model, batches, opts, { fourier: true, variance: false });
  const n = acc.info.length;
  return acc.info.map((info, i) => {
    const logAmplitude = acc.sums[i]!.map((row) => row.map((v) => v / acc.images));
    const square = info.height === info.width;
    const relative = square ? relativeFromLogAmplitude(logAmplitude, diagonal) : [];
    const frequency = square ? relativeFrequencies(info.height, diagonal) : [];
    return {
      ...info,
      depth: normalisedDepth(i, n),
      logAmplitude,
      frequency,
      plotFrequency: square ? plotFrequencies(info.height, diagonal) : [],
      relative,
      deltaAtHighest: square ? relative[relative.length - 1]! : Number.NaN,
      highestFrequency: square ? frequency[frequency.length - 1]! : Number.NaN,
    };
  });
}

/** Feature-map variance of every block against normalised depth. */
export async function varianceByDepth(model: Model, batches: ImageBatches, opts: DepthAnalysisOptions = {}): Promise<VarianceBlock[]> {
  const acc = await accumulate(model, batches, opts, { fourier: false, variance: true });
  const n = acc.info.length;
  return acc.info.map((info, i) => ({ ...info, depth: normalisedDepth(i, n), variance: acc.variances[i]! / acc.images }));
}

/** Splits an NHWC tensor into batches of at most `size` images (slices; the caller disposes them). */
export function* sliceBatches(x: tf.Tensor4D, size: number): Generator<tf.Tensor4D> {
  const n = x.shape[0];
  for (let start = 0; start < n; start += size) {
    const s = tf.slice(x, [start, 0, 0, 0], [Math.min(size, n - start), -1, -1, -1]) as tf.Tensor4D;
    try {
      yield s;
    } finally {
      s.dispose();
    }
  }
}
