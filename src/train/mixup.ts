// Batch-level mixup and CutMix as timm's Mixup (mode 'batch') applies them: with probability `prob` a batch
// is mixed; when both are enabled, CutMix is chosen with probability `switchProb`, else mixup. The partner of
// image i is image B-1-i (the flipped batch). λ ~ Beta(α, α); CutMix pastes a box of area ≈ (1-λ)·H·W from the
// partner and corrects λ to the pasted area. Targets: λ·onehot_s(y) + (1-λ)·onehot_s(y_flipped), where
// onehot_s is the label-smoothed one-hot, so every target row sums to 1.
import { tf } from '../backend/tf.ts';
import type { Rng } from '../util/random.ts';
import { smoothedOneHot } from './losses.ts';

export interface MixConfig {
  /** mixup α (0: off). The paper: 1.0. */
  mixupAlpha: number;
  /** CutMix α (0: off). The paper: 0.8. */
  cutmixAlpha: number;
  /** Probability that a batch is mixed at all (timm's mix_prob; the paper: 1.0). */
  prob: number;
  /** Probability of CutMix instead of mixup when both are on (timm's switch_prob, 0.5). */
  switchProb: number;
}

export interface MixDraw {
  mode: 'none' | 'mixup' | 'cutmix';
  /** Weight of the batch's own labels (after CutMix's area correction). */
  lam: number;
  /** CutMix box, rows y0..y1-1 and columns x0..x1-1 taken from the partner image. */
  box?: { y0: number; y1: number; x0: number; x1: number };
}

export function mixEnabled(c: MixConfig): boolean {
  return c.prob > 0 && (c.mixupAlpha > 0 || c.cutmixAlpha > 0);
}

/** Draws this batch's mix (consumes randomness from `rng` only). */
export function drawMix(c: MixConfig, rng: Rng, height: number, width: number): MixDraw {
  if (!mixEnabled(c) || rng.uniform() >= c.prob) return { mode: 'none', lam: 1 };
  const useCutmix = c.cutmixAlpha > 0 && (c.mixupAlpha <= 0 || rng.uniform() < c.switchProb);
  if (!useCutmix) return { mode: 'mixup', lam: rng.beta(c.mixupAlpha, c.mixupAlpha) };
  const lam0 = rng.beta(c.cutmixAlpha, c.cutmixAlpha);
  // timm rand_bbox: cut size from sqrt(1 - λ), centre uniform, box clipped to the image.
  const ratio = Math.sqrt(1 - lam0);
  const cutH = Math.floor(height * ratio);
  const cutW = Math.floor(width * ratio);
  const cy = rng.int(height);
  const cx = rng.int(width);
  const clampH = (v: number): number => Math.min(height, Math.max(0, v));
  const clampW = (v: number): number => Math.min(width, Math.max(0, v));
  const box = { y0: clampH(cy - Math.floor(cutH / 2)), y1: clampH(cy + Math.floor(cutH / 2)), x0: clampW(cx - Math.floor(cutW / 2)), x1: clampW(cx + Math.floor(cutW / 2)) };
  const lam = 1 - ((box.y1 - box.y0) * (box.x1 - box.x0)) / (height * width);
  return { mode: 'cutmix', lam, box };
}

export interface MixedBatch {
  x: tf.Tensor4D;
  /** Dense targets [B, K]; rows sum to 1. */
  targets: tf.Tensor2D;
  /** The label with the larger weight per image (for training accuracy and calibration). */
  primary: Int32Array;
}

/**
 * Applies a drawn mix to images x [B,H,W,C] and their integer labels (values on the CPU: no read from the device);
 * returns new tensors (the caller disposes them).
 */
export function applyMix(x: tf.Tensor4D, labels: Int32Array, draw: MixDraw, numClasses: number, smoothing: number): MixedBatch {
  const b = labels.length;
  if (b !== x.shape[0]) throw new Error(`applyMix: ${x.shape[0]} images but ${b} labels`);
  const primary = new Int32Array(b);
  for (let i = 0; i < b; i++) primary[i] = draw.mode === 'none' || draw.lam >= 0.5 ? labels[i]! : labels[b - 1 - i]!;
  return tf.tidy(() => {
    const own = smoothedOneHot(tf.tensor1d(labels, 'int32'), numClasses, smoothing);
    if (draw.mode === 'none') return { x: tf.clone(x), targets: own, primary };
    const flippedX = tf.reverse(x, 0);
    const targets = tf.add(tf.mul(own, draw.lam), tf.mul(tf.reverse(own, 0), 1 - draw.lam)) as tf.Tensor2D;
    if (draw.mode === 'mixup') {
      const mixed = tf.add(tf.mul(x, draw.lam), tf.mul(flippedX, 1 - draw.lam)) as tf.Tensor4D;
      return { x: mixed, targets, primary };
    }
    const [, h, w] = x.shape;
    const mask = new Float32Array(h * w);
    const box = draw.box!;
    for (let r = box.y0; r < box.y1; r++) for (let c = box.x0; c < box.x1; c++) mask[r * w + c] = 1;
    const m = tf.tensor4d(mask, [1, h, w, 1]);
    const mixed = tf.add(tf.mul(x, tf.sub(1, m)), tf.mul(flippedX, m)) as tf.Tensor4D;
    return { x: mixed, targets, primary };
  });
}
