// RandAugment (Cubuk et al. 2020) on one uint8 h×w×3 image, in JavaScript, following timm's
// rand_augment_transform as the authors used it ("rand-m9-mstd1"): N ops drawn uniformly with replacement,
// each applied with probability 0.5, magnitude per op ~ N(M, std) clipped to [0, 10].
// Choices (documented, as they differ from timm in small ways):
//  - the op list is the original paper's (identity, autocontrast, equalize, rotate, solarize, color, posterize,
//    contrast, brightness, sharpness, shear x/y, translate x/y); timm adds invert and solarize-add;
//  - every op gets stronger with magnitude (timm's "increasing" variants): enhance factor 1 ± 0.9·m/10,
//    solarize threshold 256 − 256·m/10, posterize to 8 − round(4·m/10) bits (4..8);
//  - rotate ±30°·m/10, shear ±0.3·m/10, translate ±0.45·m/10 of the image size, bilinear sampling
//    (timm picks bilinear or bicubic at random), outside filled with the CIFAR-100 mean colour (timm's img_mean).
import type { Rng } from '../util/random.ts';
import { CIFAR100_MEAN, type RandAugmentOptions } from './types.ts';

export const RAND_AUGMENT_OPS = [
  'identity', 'autocontrast', 'equalize', 'rotate', 'solarize', 'color', 'posterize',
  'contrast', 'brightness', 'sharpness', 'shearX', 'shearY', 'translateX', 'translateY',
] as const;
export type RandAugmentOp = (typeof RAND_AUGMENT_OPS)[number];

export const MAX_MAGNITUDE = 10;
export const DEFAULT_OP_PROBABILITY = 0.5;
const FILL: readonly number[] = CIFAR100_MEAN.map((m) => Math.round(m * 255));

function clampByte(v: number): number {
  return v < 0 ? 0 : v > 255 ? 255 : Math.round(v);
}

function applyLut(img: Uint8Array, lut: Uint8Array[] | Uint8Array): void {
  const n = img.length;
  if (lut instanceof Uint8Array) {
    for (let i = 0; i < n; i++) img[i] = lut[img[i]!]!;
  } else {
    for (let i = 0; i < n; i += 3) {
      img[i] = lut[0]![img[i]!]!;
      img[i + 1] = lut[1]![img[i + 1]!]!;
      img[i + 2] = lut[2]![img[i + 2]!]!;
    }
  }
}

function histograms(img: Uint8Array): Uint32Array[] {
  const h = [new Uint32Array(256), new Uint32Array(256), new Uint32Array(256)];
  for (let i = 0; i < img.length; i += 3) {
    h[0]![img[i]!]!++;
    h[1]![img[i + 1]!]!++;
    h[2]![img[i + 2]!]!++;
  }
  return h;
}

/** Per-channel stretch of [min, max] to [0, 255] (PIL ImageOps.autocontrast, cutoff 0). */
export function autocontrast(img: Uint8Array): void {
  const luts = histograms(img).map((h) => {
    let lo = 0, hi = 255;
    while (lo < 256 && h[lo] === 0) lo++;
    while (hi >= 0 && h[hi] === 0) hi--;
    const lut = new Uint8Array(256);
    for (let i = 0; i < 256; i++) lut[i] = hi <= lo ? i : clampByte(((i - lo) * 255) / (hi - lo));
    return lut;
  });
  applyLut(img, luts);
}

/** Per-channel histogram equalisation (PIL ImageOps.equalize). */
export function equalize(img: Uint8Array): void {
  const luts = histograms(img).map((h) => {
    const lut = new Uint8Array(256);
    for (let i = 0; i < 256; i++) lut[i] = i;
    let total = 0, last = 0, nonzero = 0;
    for (let i = 0; i < 256; i++) if (h[i]! > 0) { total += h[i]!; last = h[i]!; nonzero++; }
    if (nonzero <= 1) return lut;
    const step = Math.floor((total - last) / 255);
    if (step === 0) return lut;
    let n = Math.floor(step / 2);
    for (let i = 0; i < 256; i++) {
      lut[i] = Math.min(255, Math.floor(n / step));
      n += h[i]!;
    }
    return lut;
  });
  applyLut(img, luts);
}

/** Inverts every value >= threshold. */
export function solarize(img: Uint8Array, threshold: number): void {
  for (let i = 0; i < img.length; i++) if (img[i]! >= threshold) img[i] = 255 - img[i]!;
}

/** Keeps the `bits` most significant bits. */
export function posterize(img: Uint8Array, bits: number): void {
  const mask = (0xff << (8 - bits)) & 0xff;
  for (let i = 0; i < img.length; i++) img[i] = img[i]! & mask;
}

function luma(r: number, g: number, b: number): number {
  return (r * 19595 + g * 38470 + b * 7471 + 0x8000) >> 16; // PIL's RGB→L
}

/** out = degenerate + factor·(img − degenerate), clamped (PIL ImageEnhance). */
function blend(img: Uint8Array, degenerate: Uint8Array | number, factor: number): void {
  for (let i = 0; i < img.length; i++) {
    const d = typeof degenerate === 'number' ? degenerate : degenerate[i]!;
    img[i] = clampByte(d + factor * (img[i]! - d));
  }
}

export function enhanceColor(img: Uint8Array, factor: number): void {
  const gray = new Uint8Array(img.length);
  for (let i = 0; i < img.length; i += 3) {
    const l = luma(img[i]!, img[i + 1]!, img[i + 2]!);
    gray[i] = l; gray[i + 1] = l; gray[i + 2] = l;
  }
  blend(img, gray, factor);
}

export function enhanceContrast(img: Uint8Array, factor: number): void {
  let sum = 0;
  for (let i = 0; i < img.length; i += 3) sum += luma(img[i]!, img[i + 1]!, img[i + 2]!);
  blend(img, Math.floor(sum / (img.length / 3) + 0.5), factor);
}

export function enhanceBrightness(img: Uint8Array, factor: number): void {
  blend(img, 0, factor);
}

/** Blend with PIL's SMOOTH filter ([[1,1,1],[1,5,1],[1,1,1]]/13), borders unchanged. */
export function enhanceSharpness(img: Uint8Array, factor: number, h = 32, w = 32): void {
  const smooth = Uint8Array.from(img);
  for (let y = 1; y < h - 1; y++) {
    for (let x = 1; x < w - 1; x++) {
      for (let c = 0; c < 3; c++) {
        let s = 4 * img[(y * w + x) * 3 + c]!;
        for (let ky = -1; ky <= 1; ky++) for (let kx = -1; kx <= 1; kx++) s += img[((y + ky) * w + x + kx) * 3 + c]!;
        smooth[(y * w + x) * 3 + c] = clampByte(s / 13);
      }
    }
  }
  blend(img, smooth, factor);
}

/**
 * Resamples with an inverse affine map given in pixel-centre coordinates:
 * source = (a·x + b·y + c, d·x + e·y + f) for output point (x, y); bilinear; outside → fill.
 */
export function affineWarp(img: Uint8Array, m: readonly number[], h = 32, w = 32, fill: readonly number[] = FILL): void {
  const src = Uint8Array.from(img);
  const [a, b, c, d, e, f] = m as [number, number, number, number, number, number];
  for (let y = 0; y < h; y++) {
    for (let x = 0; x < w; x++) {
      const px = x + 0.5, py = y + 0.5;
      const fx = a * px + b * py + c - 0.5;
      const fy = d * px + e * py + f - 0.5;
      const o = (y * w + x) * 3;
      if (fx < -0.5 || fy < -0.5 || fx > w - 0.5 || fy > h - 0.5) {
        img[o] = fill[0]!; img[o + 1] = fill[1]!; img[o + 2] = fill[2]!;
        continue;
      }
      let x0 = Math.floor(fx), y0 = Math.floor(fy);
      const tx = fx - x0, ty = fy - y0;
      let x1 = x0 + 1, y1 = y0 + 1;
      if (x0 < 0) x0 = 0;
      if (y0 < 0) y0 = 0;
      if (x1 > w - 1) x1 = w - 1;
      if (y1 > h - 1) y1 = h - 1;
      for (let k = 0; k < 3; k++) {
        const v00 = src[(y0 * w + x0) * 3 + k]!, v01 = src[(y0 * w + x1) * 3 + k]!;
        const v10 = src[(y1 * w + x0) * 3 + k]!, v11 = src[(y1 * w + x1) * 3 + k]!;
        const top = v00 + (v01 - v00) * tx, bottom = v10 + (v11 - v10) * tx;
        img[o + k] = clampByte(top + (bottom - top) * ty);
      }
    }
  }
}

/** Rotates counter-clockwise by `degrees` about the image centre (as PIL's Image.rotate). */
export function rotate(img: Uint8Array, degrees: number, h = 32, w = 32): void {
  const t = (degrees * Math.PI) / 180;
  const cos = Math.cos(t), sin = Math.sin(t);
  const cx = w / 2, cy = h / 2;
  // source = R(-θ)·(p − c) + c in image coordinates (y down): a counter-clockwise turn on screen.
  affineWarp(img, [cos, -sin, cx - cos * cx + sin * cy, sin, cos, cy - sin * cx - cos * cy], h, w);
}

/**
 * Applies one op at magnitude `magnitude` (0..10) with direction `sign` (±1, for signed ops) in place;
 * returns the op's parameter (degrees, factor, threshold, bits, pixels), or null for parameterless ops.
 */
export function applyRandAugmentOp(img: Uint8Array, op: RandAugmentOp, magnitude: number, sign: 1 | -1, h = 32, w = 32): number | null {
  const level = Math.max(0, Math.min(MAX_MAGNITUDE, magnitude)) / MAX_MAGNITUDE;
  switch (op) {
    case 'identity':
      return null;
    case 'autocontrast':
      autocontrast(img);
      return null;
    case 'equalize':
      equalize(img);
      return null;
    case 'rotate': {
      const deg = sign * 30 * level;
      rotate(img, deg, h, w);
      return deg;
    }
    case 'solarize': {
      const threshold = Math.round(256 - 256 * level);
      solarize(img, threshold);
      return threshold;
    }
    case 'posterize': {
      const bits = 8 - Math.round(4 * level);
      posterize(img, bits);
      return bits;
    }
    case 'color':
    case 'contrast':
    case 'brightness':
    case 'sharpness': {
      const factor = 1 + sign * 0.9 * level;
      if (op === 'color') enhanceColor(img, factor);
      else if (op === 'contrast') enhanceContrast(img, factor);
      else if (op === 'brightness') enhanceBrightness(img, factor);
      else enhanceSharpness(img, factor, h, w);
      return factor;
    }
    case 'shearX': {
      const s = sign * 0.3 * level;
      affineWarp(img, [1, s, 0, 0, 1, 0], h, w);
      return s;
    }
    case 'shearY': {
      const s = sign * 0.3 * level;
      affineWarp(img, [1, 0, 0, s, 1, 0], h, w);
      return s;
    }
    case 'translateX': {
      const p = sign * 0.45 * level * w;
      affineWarp(img, [1, 0, p, 0, 1, 0], h, w);
      return p;
    }
    case 'translateY': {
      const p = sign * 0.45 * level * h;
      affineWarp(img, [1, 0, 0, 0, 1, p], h, w);
      return p;
    }
  }
}

/**
 * RandAugment in place on one image; draws per op: the op, whether it applies, its magnitude, its sign.
 * Returns the names of the ops applied (for logs and tests).
 */
export function randAugment(img: Uint8Array, opts: RandAugmentOptions, rng: Rng, h = 32, w = 32): string[] {
  const p = opts.probability ?? DEFAULT_OP_PROBABILITY;
  const std = opts.magnitudeStd ?? 0;
  const applied: string[] = [];
  for (let i = 0; i < opts.ops; i++) {
    const op = RAND_AUGMENT_OPS[rng.int(RAND_AUGMENT_OPS.length)]!;
    const apply = rng.uniform() < p;
    const noise = rng.normal();
    const sign = rng.sign() as 1 | -1;
    if (!apply) continue;
    const m = std > 0 ? Math.max(0, Math.min(MAX_MAGNITUDE, opts.magnitude + std * noise)) : opts.magnitude;
    applyRandAugmentOp(img, op, m, sign, h, w);
    applied.push(op);
  }
  return applied;
}
