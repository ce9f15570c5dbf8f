// The training pipeline's targets for analyses that measure the training loss as the authors do (the
// Hessian's "NLL + L2 on augmented data", the loss landscape): a seeded mixup/CutMix draw per batch and
// label-smoothed soft targets, exactly as train/train.ts builds them (train/mixup.ts).
import { tf } from '../backend/tf.ts';
import { mixSeeds } from '../data/seed-mix.ts';
import { applyMix, drawMix, type MixConfig, type MixedBatch } from './mixup.ts';
import { Rng } from '../util/random.ts';

/** The paper's recipe (configs/cifar100_vit.yaml): mixup α 1.0 and CutMix α 0.8 on every batch, switch 0.5. */
export const PAPER_MIX: MixConfig = { mixupAlpha: 1, cutmixAlpha: 0.8, prob: 1, switchProb: 0.5 };

/** No mixing: label-smoothed one-hot targets only. */
export const NO_MIX: MixConfig = { mixupAlpha: 0, cutmixAlpha: 0, prob: 0, switchProb: 0.5 };

/** Seed stream of analysis mixes (distinct from the training loop's streams). */
const MIX_STREAM = 101;

type MixOptions = { numClasses: number; mix: MixConfig; labelSmoothing: number; seed: number; index: number };

function mixWithSeededDraw(x: tf.Tensor4D, labels: Int32Array, opts: MixOptions): MixedBatch {
  const draw = drawMix(opts.mix, new Rng(mixSeeds(opts.seed, opts.index, MIX_STREAM)), x.shape[1], x.shape[2]);
  return applyMix(x, labels, draw, opts.numClasses, opts.labelSmoothing);
}

/**
 * Mixes batch `index` of an analysis with the seeded draw for (seed, index): new images, soft targets
 * [B, K] (rows sum to 1) and the larger-weight labels. The labels are read asynchronously (any backend).
 * The caller disposes the returned tensors.
 */
export async function mixTrainingBatch(x: tf.Tensor4D, labels: tf.Tensor1D, opts: MixOptions): Promise<MixedBatch> {
  return mixWithSeededDraw(x, Int32Array.from(await labels.data()), opts);
}

export interface TargetBatch {
  x: tf.Tensor4D;
  /** The larger-weight label of each (mixed) image. */
  y: Int32Array;
  /** Soft targets [B, K], smoothing applied. */
  targets: tf.Tensor2D;
}

/**
 * Cuts images [N, H, W, C] with labels into batches of `batchSize` (the last may be smaller) and gives each
 * the training pipeline's targets: batch b mixed by the seeded draw (seed, b) when `mix`, label-smoothed.
 * The input stays the caller's; the returned tensors are new (dispose x and targets).
 */
export function trainingTargetBatches(
  x: tf.Tensor4D,
  labels: Int32Array,
  opts: { batchSize: number; numClasses: number; mix: boolean; labelSmoothing: number; seed: number },
): TargetBatch[] {
  const n = x.shape[0];
  if (labels.length !== n) throw new Error(`trainingTargetBatches: ${n} images but ${labels.length} labels`);
  if (!(Number.isInteger(opts.batchSize) && opts.batchSize > 0)) throw new Error(`trainingTargetBatches: batch size must be a positive integer, got ${opts.batchSize}`);
  const out: TargetBatch[] = [];
  for (let s = 0, index = 0; s < n; s += opts.batchSize, index++) {
    const size = Math.min(opts.batchSize, n - s);
    const xb = tfSlice(x, s, size);
    try {
      const m = mixWithSeededDraw(xb, labels.subarray(s, s + size), { numClasses: opts.numClasses, mix: opts.mix ? PAPER_MIX : NO_MIX, labelSmoothing: opts.labelSmoothing, seed: opts.seed, index });
      out.push({ x: m.x, y: m.primary, targets: m.targets });
    } finally {
      xb.dispose();
    }
  }
  return out;
}

function tfSlice(x: tf.Tensor4D, start: number, size: number): tf.Tensor4D {
  return tf.slice(x, [start, 0, 0, 0], [size, -1, -1, -1]) as tf.Tensor4D;
}
