// Standard CIFAR training augmentation on uint8 NHWC images: 4-pixel zero-padded random crop and
// horizontal flip (torchvision RandomCrop(32, padding=4) + RandomHorizontalFlip), then optional RandAugment.
// Order and padding follow the authors' pipeline (ops/datasets.py: crop, flip, timm's RandAugment, normalise).
import type { Rng } from '../util/random.ts';
import type { AugmentOptions } from './types.ts';
import { randAugment } from './augment-randaugment.ts';

export const CROP_PADDING = 4;

/**
 * Copies one h×w×c image from `src` to `dst`, shifted and optionally flipped:
 * out[y][x] = in[y + dy][x' + dx] (0 where outside), x' = w-1-x when flipped, else x.
 * (dx, dy) in [-4, 4] is the crop window's offset from the centre of the 4-pixel zero-padded image.
 */
export function cropFlip(
  src: Uint8Array,
  srcOffset: number,
  dst: Uint8Array,
  dstOffset: number,
  dx: number,
  dy: number,
  flip: boolean,
  h = 32,
  w = 32,
  c = 3,
): void {
  for (let y = 0; y < h; y++) {
    const sy = y + dy;
    const rowOut = dstOffset + y * w * c;
    if (sy < 0 || sy >= h) {
      dst.fill(0, rowOut, rowOut + w * c);
      continue;
    }
    const rowIn = srcOffset + sy * w * c;
    for (let x = 0; x < w; x++) {
      const sx = (flip ? w - 1 - x : x) + dx;
      const o = rowOut + x * c;
      if (sx < 0 || sx >= w) {
        for (let k = 0; k < c; k++) dst[o + k] = 0;
      } else {
        const i = rowIn + sx * c;
        for (let k = 0; k < c; k++) dst[o + k] = src[i + k]!;
      }
    }
  }
}

export interface AppliedAugmentation {
  dx: number;
  dy: number;
  flip: boolean;
  ops: string[];
}

/**
 * Augments one image from `src` into `dst` with randomness from `rng`; draws, in order: crop offsets
 * (two integers in 0..8, if crop), the flip (if flip), then RandAugment's draws.
 */
export function augmentImage(
  src: Uint8Array,
  srcOffset: number,
  dst: Uint8Array,
  dstOffset: number,
  opts: AugmentOptions,
  rng: Rng,
  h = 32,
  w = 32,
  c = 3,
): AppliedAugmentation {
  let dx = 0, dy = 0, flip = false;
  if (opts.crop) {
    dx = rng.int(2 * CROP_PADDING + 1) - CROP_PADDING;
    dy = rng.int(2 * CROP_PADDING + 1) - CROP_PADDING;
  }
  if (opts.flip) flip = rng.uniform() < 0.5;
  cropFlip(src, srcOffset, dst, dstOffset, dx, dy, flip, h, w, c);
  let ops: string[] = [];
  if (opts.randAugment && opts.randAugment.ops > 0) {
    ops = randAugment(dst.subarray(dstOffset, dstOffset + h * w * c), opts.randAugment, rng, h, w);
  }
  return { dx, dy, flip, ops };
}

/** Normalises `augment` (boolean shorthand: true = crop + flip, false = none). */
export function resolveAugment(augment: boolean | AugmentOptions): AugmentOptions | null {
  if (augment === false) return null;
  if (augment === true) return { crop: true, flip: true };
  if (!augment.crop && !augment.flip && !(augment.randAugment && augment.randAugment.ops > 0)) return null;
  return augment;
}

/** The paper's training augmentation (crop, flip, RandAugment 2 ops at magnitude 9, std 1). */
export const PAPER_AUGMENT: AugmentOptions = { crop: true, flip: true, randAugment: { ops: 2, magnitude: 9, magnitudeStd: 1 } };
