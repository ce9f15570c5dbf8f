// Mini-batches as tensors. The dataset stays in bytes; each batch is gathered, augmented on bytes and
// normalised to float32 NHWC with the CIFAR-100 mean/std, or the given statistics (`normalization`). The order depends only on (seed, epoch) and the
// augmentation of batch b only on (seed, epoch, b), so a run resumed at `startBatch` sees the same data.
import { tf } from '../backend/tf.ts';
import { Rng } from '../util/random.ts';
import { augmentImage, resolveAugment } from './augment.ts';
import { mixSeeds, STREAM } from './seed-mix.ts';
import { CIFAR100_MEAN, CIFAR100_STD, type AugmentOptions, type ImageSet, type LabelKind } from './types.ts';

export interface Batch {
  /** float32 [n, h, w, c], normalised with the CIFAR-100 mean/std. The consumer disposes it. */
  x: tf.Tensor4D;
  /** int32 [n] labels (fine or coarse). The consumer disposes it. */
  y: tf.Tensor1D;
  /** Indices into the set of the images in this batch, in batch order. */
  indices: Int32Array;
}

export interface BatchOptions {
  batchSize: number;
  shuffle: boolean;
  seed: number;
  epoch: number;
  /** false for evaluation; true = crop + flip; or the full options (RandAugment included). */
  augment: boolean | AugmentOptions;
  labels?: LabelKind;
  /** Drop the last, incomplete batch (default false). */
  dropLast?: boolean;
  /** First batch to yield (resuming inside an epoch). */
  startBatch?: number;
  /** Stop after this batch index (exclusive), e.g. to draw a few batches only. */
  endBatch?: number;
  /** Per-channel mean/std of the normalisation (default CIFAR-100's). */
  normalization?: Normalization;
}

/** Per-channel statistics: a byte v of channel c becomes (v/255 - mean[c]) / std[c]. */
export interface Normalization {
  mean: readonly [number, number, number];
  std: readonly [number, number, number];
}

export const CIFAR100_NORMALIZATION: Normalization = { mean: CIFAR100_MEAN, std: CIFAR100_STD };

export function batchCount(set: ImageSet | number, batchSize: number, dropLast = false): number {
  const n = typeof set === 'number' ? set : set.count;
  if (!(batchSize >= 1) || !Number.isInteger(batchSize)) throw new Error(`batchCount: batchSize must be a positive integer, got ${batchSize}`);
  return dropLast ? Math.floor(n / batchSize) : Math.ceil(n / batchSize);
}

/** The visiting order of one epoch: a permutation depending only on (seed, epoch), or 0..n-1. */
export function epochOrder(n: number, shuffle: boolean, seed: number, epoch: number): Int32Array {
  if (!shuffle) {
    const order = new Int32Array(n);
    for (let i = 0; i < n; i++) order[i] = i;
    return order;
  }
  return new Rng(mixSeeds(seed, epoch, STREAM.order)).permutation(n);
}

/** The RNG that augments batch `batch` of epoch `epoch`. */
export function augmentRng(seed: number, epoch: number, batch: number): Rng {
  return new Rng(mixSeeds(seed, epoch, batch, STREAM.augment));
}

const NORMALIZE_LUT = buildNormalizeLut(CIFAR100_MEAN, CIFAR100_STD);

function lutOf(stats?: Normalization): Float32Array {
  return !stats || stats === CIFAR100_NORMALIZATION ? NORMALIZE_LUT : buildNormalizeLut(stats.mean, stats.std);
}

export function buildNormalizeLut(mean: readonly number[], std: readonly number[]): Float32Array {
  const lut = new Float32Array(256 * mean.length);
  for (let c = 0; c < mean.length; c++) for (let v = 0; v < 256; v++) lut[c * 256 + v] = (v / 255 - mean[c]!) / std[c]!;
  return lut;
}

/** NHWC bytes of `n` RGB images → float32 normalised with the CIFAR-100 mean/std (or `stats`): (v/255 − mean_c)/std_c. */
export function normalizeImages(bytes: Uint8Array, n: number, out?: Float32Array, stats?: Normalization): Float32Array {
  const len = bytes.length;
  if (len % 3 !== 0 || (n > 0 && len % n !== 0)) throw new Error(`normalizeImages: ${len} bytes do not hold ${n} RGB images`);
  const result = out ?? new Float32Array(len);
  const lut = lutOf(stats);
  for (let i = 0; i < len; i += 3) {
    result[i] = lut[bytes[i]!]!;
    result[i + 1] = lut[256 + bytes[i + 1]!]!;
    result[i + 2] = lut[512 + bytes[i + 2]!]!;
  }
  return result;
}

/** Inverse of normalizeImages (for figures): float32 normalised → bytes, rounded and clamped. */
export function denormalizeImages(values: Float32Array | number[], stats: Normalization = CIFAR100_NORMALIZATION): Uint8Array {
  const out = new Uint8Array(values.length);
  for (let i = 0; i < values.length; i++) {
    const c = i % 3;
    const v = (values[i]! * stats.std[c]! + stats.mean[c]!) * 255;
    out[i] = v < 0 ? 0 : v > 255 ? 255 : Math.round(v);
  }
  return out;
}

/** Gathers images `indices` of `set` into one byte array, augmenting each when `augment` is given. */
export function gatherBytes(set: ImageSet, indices: ArrayLike<number>, augment?: AugmentOptions | null, rng?: Rng): Uint8Array {
  const per = set.height * set.width * set.channels;
  const out = new Uint8Array(indices.length * per);
  for (let i = 0; i < indices.length; i++) {
    const src = indices[i]!;
    if (!(src >= 0 && src < set.count)) throw new RangeError(`gatherBytes: index ${src} outside 0..${set.count - 1}`);
    if (augment) {
      if (!rng) throw new Error('gatherBytes: augmentation needs an rng');
      augmentImage(set.images, src * per, out, i * per, augment, rng, set.height, set.width, set.channels);
    } else {
      out.set(set.images.subarray(src * per, (src + 1) * per), i * per);
    }
  }
  return out;
}

export function gatherLabels(set: ImageSet, indices: ArrayLike<number>, labels: LabelKind = 'fine'): Int32Array {
  const src = labels === 'coarse' ? set.coarseLabels : set.fineLabels;
  const y = new Int32Array(indices.length);
  for (let i = 0; i < indices.length; i++) y[i] = src[indices[i]!]!;
  return y;
}

/** Un-augmented, normalised tensors of images `indices` (default: all) — evaluation, analyses. */
export function toTensor(set: ImageSet, indices?: ArrayLike<number>, labels: LabelKind = 'fine', stats?: Normalization): { x: tf.Tensor4D; y: tf.Tensor1D } {
  const idx = indices ?? Int32Array.from({ length: set.count }, (_, i) => i);
  const bytes = gatherBytes(set, idx);
  const x = tf.tensor4d(normalizeImages(bytes, idx.length, undefined, stats), [idx.length, set.height, set.width, set.channels], 'float32');
  const y = tf.tensor1d(gatherLabels(set, idx, labels), 'int32');
  return { x, y };
}

/** Yields the batches of one epoch, from `startBatch` on. */
export function* iterateBatches(set: ImageSet, opts: BatchOptions): Generator<Batch> {
  const { batchSize, seed, epoch } = opts;
  const total = batchCount(set, batchSize, opts.dropLast ?? false);
  const start = opts.startBatch ?? 0;
  const end = Math.min(total, opts.endBatch ?? total);
  if (!Number.isInteger(start) || start < 0) throw new Error(`iterateBatches: startBatch must be a non-negative integer, got ${start}`);
  const augment = resolveAugment(opts.augment);
  const order = epochOrder(set.count, opts.shuffle, seed, epoch);
  for (let b = start; b < end; b++) {
    const indices = order.slice(b * batchSize, Math.min(set.count, (b + 1) * batchSize));
    const bytes = gatherBytes(set, indices, augment, augment ? augmentRng(seed, epoch, b) : undefined);
    const n = indices.length;
    const x = tf.tensor4d(normalizeImages(bytes, n, undefined, opts.normalization), [n, set.height, set.width, set.channels], 'float32');
    const y = tf.tensor1d(gatherLabels(set, indices, opts.labels ?? 'fine'), 'int32');
    yield { x, y, indices };
  }
}
