// A generated stand-in for CIFAR-100 (used when the real data cannot be had, and by the tests).
// Each image is a coloured, striped shape on a noisy gradient background with a distractor blob.
//  - coarse class c (0..19) = the shape (disk, square, triangle, ...);
//  - fine class f = c + 20·k, k (0..4) = the variant: foreground hue and stripe orientation/frequency.
// Placement, scale, rotation, colour, stripe phase/contrast, background and noise are random, so the
// classes are learnable (a small CNN is well above chance after one epoch) yet not trivial.
import { promises as fs } from 'node:fs';
import * as path from 'node:path';
import { Rng } from '../util/random.ts';
import { writeJsonAtomic } from '../io/atomic.ts';
import { writeCifarDir, type CifarDirContents } from './cifar-format.ts';
import { CIFAR100_COARSE_CLASSES, CIFAR100_FINE_CLASSES, CIFAR_PIXELS, type ImageSet } from './types.ts';

export const GENERATED_MARKER = 'vitscope-generated.json';
export const GENERATOR_VERSION = 1;
/** Default sizes of data/generated: 10,000 training and 2,000 test images (100 and 20 per class). */
export const GENERATED_DEFAULTS = { train: 10000, test: 2000, seed: 0 } as const;

export const GENERATED_SHAPES = [
  'disk', 'square', 'triangle', 'diamond', 'ring', 'xcross', 'plus', 'bar', 'ellipse', 'halfdisk',
  'lshape', 'twodisks', 'frame', 'crescent', 'hexagon', 'dots', 'checker', 'tshape', 'target', 'wedge',
] as const;
export const GENERATED_VARIANTS = ['red', 'yellow', 'green', 'blue', 'purple'] as const;

/** Fine class f belongs to coarse class f mod 20 (its shape); floor(f / 20) is its variant (colour, stripes). */
export function generatedCoarseOf(fine: number): number {
  return fine % CIFAR100_COARSE_CLASSES;
}

export function generatedLabelNames(): { fine: string[]; coarse: string[] } {
  const coarse = [...GENERATED_SHAPES];
  const fine: string[] = [];
  for (let f = 0; f < CIFAR100_FINE_CLASSES; f++) {
    fine.push(`${GENERATED_SHAPES[generatedCoarseOf(f)]}_${GENERATED_VARIANTS[Math.floor(f / CIFAR100_COARSE_CLASSES)]}`);
  }
  return { fine, coarse };
}

function inside(shape: number, u: number, v: number): boolean {
  const au = u < 0 ? -u : u;
  const av = v < 0 ? -v : v;
  const r2 = u * u + v * v;
  const m = au > av ? au : av;
  switch (shape) {
    case 0: return r2 < 1;
    case 1: return m < 0.8;
    case 2: return v < 0.75 && v > -0.85 && au < (v + 0.85) * 0.6;
    case 3: return au + av < 1;
    case 4: return r2 < 1 && r2 > 0.4;
    case 5: return m < 0.95 && ((u - v < 0.3 && v - u < 0.3) || (u + v < 0.3 && u + v > -0.3));
    case 6: return m < 0.95 && (au < 0.28 || av < 0.28);
    case 7: return av < 0.3 && au < 1;
    case 8: return u * u + 3.5 * v * v < 1;
    case 9: return r2 < 1 && v > 0;
    case 10: return (u > -0.8 && u < -0.3 && av < 0.9) || (v > 0.4 && v < 0.9 && u > -0.8 && u < 0.8);
    case 11: return (u - 0.5) * (u - 0.5) + v * v < 0.2 || (u + 0.5) * (u + 0.5) + v * v < 0.2;
    case 12: return m < 0.95 && m > 0.6;
    case 13: return r2 < 1 && (u - 0.45) * (u - 0.45) + v * v > 0.55;
    case 14: return av < 0.85 && au * 0.866 + av * 0.5 < 0.85;
    case 15: {
      if (m > 0.95) return false;
      const fu = (u + 1) * 1.5 - Math.floor((u + 1) * 1.5) - 0.5;
      const fv = (v + 1) * 1.5 - Math.floor((v + 1) * 1.5) - 0.5;
      return fu * fu + fv * fv < 0.09;
    }
    case 16: return m < 0.9 && ((Math.floor((u + 1) * 2) + Math.floor((v + 1) * 2)) & 1) === 1;
    case 17: return (v > -0.9 && v < -0.45 && au < 0.9) || (au < 0.25 && v > -0.9 && v < 0.9);
    case 18: return r2 < 0.12 || (r2 > 0.5 && r2 < 1);
    case 19: return r2 < 1 && v < 0 && au < -v * 1.2;
    default: return false;
  }
}

function hsvToRgb(h: number, s: number, v: number, out: Float64Array): void {
  h = ((h % 1) + 1) % 1;
  const i = Math.floor(h * 6);
  const f = h * 6 - i;
  const p = v * (1 - s), q = v * (1 - f * s), t = v * (1 - (1 - f) * s);
  const k = i % 6;
  out[0] = k === 0 || k === 5 ? v : k === 1 ? q : k === 2 || k === 3 ? p : t;
  out[1] = k === 0 ? t : k === 1 || k === 2 ? v : k === 3 ? q : p;
  out[2] = k === 0 || k === 1 ? p : k === 2 ? t : k === 3 || k === 4 ? v : q;
}

const SIN_TABLE_SIZE = 1024;
const SIN_TABLE = (() => {
  const t = new Float64Array(SIN_TABLE_SIZE);
  for (let i = 0; i < SIN_TABLE_SIZE; i++) t[i] = Math.sin((2 * Math.PI * i) / SIN_TABLE_SIZE);
  return t;
})();

/** Draws one image of fine class `fine` into `out` (32×32×3 NHWC bytes at `offset`). */
export function drawGeneratedImage(fine: number, rng: Rng, out: Uint8Array, offset: number): void {
  const shape = generatedCoarseOf(fine);
  const variant = Math.floor(fine / CIFAR100_COARSE_CLASSES);
  const fg = new Float64Array(3), bg0 = new Float64Array(3), bg1 = new Float64Array(3), blob = new Float64Array(3);
  // foreground: hue by variant (5 hues 0.2 apart), jittered; saturation and value vary
  hsvToRgb(variant * 0.2 + shape * 0.013 + (rng.uniform() - 0.5) * 0.1, 0.55 + 0.45 * rng.uniform(), 0.55 + 0.45 * rng.uniform(), fg);
  // background: a gradient between two random dull colours
  hsvToRgb(rng.uniform(), 0.35 * rng.uniform(), 0.2 + 0.6 * rng.uniform(), bg0);
  hsvToRgb(rng.uniform(), 0.35 * rng.uniform(), 0.2 + 0.6 * rng.uniform(), bg1);
  const gAngle = rng.uniform() * 2 * Math.PI;
  const gx = Math.cos(gAngle) / 32, gy = Math.sin(gAngle) / 32;
  // distractor blob of a random colour
  hsvToRgb(rng.uniform(), rng.uniform(), 0.3 + 0.7 * rng.uniform(), blob);
  const bx = rng.uniform() * 32, by = rng.uniform() * 32, br2 = (1.5 + 3 * rng.uniform()) ** 2;
  // shape pose
  const cx = 15.5 + (rng.uniform() - 0.5) * 10, cy = 15.5 + (rng.uniform() - 0.5) * 10;
  const radius = 7 + 6 * rng.uniform();
  const rot = (rng.uniform() - 0.5) * 0.6;
  const cr = Math.cos(rot) / radius, sr = Math.sin(rot) / radius;
  // stripes: orientation and frequency by variant, jittered; random phase and contrast
  const theta = (variant * Math.PI) / 5 + (rng.uniform() - 0.5) * 0.3;
  const freq = (variant % 2 === 0 ? 2.2 : 3.4) * (0.9 + 0.2 * rng.uniform());
  const sx = (Math.cos(theta) * freq * SIN_TABLE_SIZE) / 2, sy = (Math.sin(theta) * freq * SIN_TABLE_SIZE) / 2;
  const phase = Math.floor(rng.uniform() * SIN_TABLE_SIZE) + 64 * SIN_TABLE_SIZE;
  const contrast = 0.25 + 0.35 * rng.uniform();
  const noise = 6 + 18 * rng.uniform(); // amplitude in grey levels
  let h = rng.nextUint32() | 1; // xorshift32 state for per-pixel noise
  let o = offset;
  for (let y = 0; y < 32; y++) {
    for (let x = 0; x < 32; x++, o += 3) {
      const dx = x - cx, dy = y - cy;
      const u = dx * cr + dy * sr;
      const v = dy * cr - dx * sr;
      let r: number, g: number, b: number;
      if (inside(shape, u, v)) {
        const s = SIN_TABLE[((phase + u * sx + v * sy) | 0) & (SIN_TABLE_SIZE - 1)]!;
        const k = 1 - contrast + contrast * s;
        r = fg[0]! * k; g = fg[1]! * k; b = fg[2]! * k;
      } else {
        const bxq = x - bx, byq = y - by;
        if (bxq * bxq + byq * byq < br2) {
          r = blob[0]!; g = blob[1]!; b = blob[2]!;
        } else {
          const t = 0.5 + (x - 15.5) * gx + (y - 15.5) * gy;
          r = bg0[0]! + (bg1[0]! - bg0[0]!) * t; g = bg0[1]! + (bg1[1]! - bg0[1]!) * t; b = bg0[2]! + (bg1[2]! - bg0[2]!) * t;
        }
      }
      h ^= h << 13; h ^= h >>> 17; h ^= h << 5;
      const n1 = ((h >>> 0) / 4294967296 - 0.5) * noise;
      h ^= h << 13; h ^= h >>> 17; h ^= h << 5;
      const n2 = ((h >>> 0) / 4294967296 - 0.5) * noise;
      h ^= h << 13; h ^= h >>> 17; h ^= h << 5;
      const n3 = ((h >>> 0) / 4294967296 - 0.5) * noise;
      // Uint8Array stores clamp nothing: clamp by hand, then round
      const R = r * 255 + n1, G = g * 255 + n2, B = b * 255 + n3;
      out[o] = R < 0 ? 0 : R > 255 ? 255 : R + 0.5;
      out[o + 1] = G < 0 ? 0 : G > 255 ? 255 : G + 0.5;
      out[o + 2] = B < 0 ? 0 : B > 255 ? 255 : B + 0.5;
    }
  }
}

/** Mixes seed, split and index into one 32-bit seed (splitmix-style). */
function mixSeed(seed: number, split: number, index: number): number {
  let z = (seed >>> 0) ^ Math.imul(split + 1, 0x9e3779b9) ^ Math.imul(index + 1, 0x85ebca6b);
  z = Math.imul(z ^ (z >>> 16), 0x7feb352d);
  z = Math.imul(z ^ (z >>> 15), 0x846ca68b);
  return (z ^ (z >>> 16)) >>> 0;
}

/** `count` generated images, classes as balanced as `count` allows, in random order. split 0 = train, 1 = test. */
export function generateImageSet(count: number, seed: number, split: 0 | 1): ImageSet {
  if (!Number.isInteger(count) || count < 1) throw new Error(`generateImageSet: count must be a positive integer, got ${count}`);
  const fineLabels = new Int32Array(count);
  const coarseLabels = new Int32Array(count);
  const order = new Rng(mixSeed(seed, split, -1)).permutation(count);
  for (let i = 0; i < count; i++) fineLabels[order[i]!] = i % CIFAR100_FINE_CLASSES;
  const images = new Uint8Array(count * CIFAR_PIXELS);
  for (let i = 0; i < count; i++) {
    coarseLabels[i] = generatedCoarseOf(fineLabels[i]!);
    drawGeneratedImage(fineLabels[i]!, new Rng(mixSeed(seed, split, i)), images, i * CIFAR_PIXELS);
  }
  return { count, height: 32, width: 32, channels: 3, images, fineLabels, coarseLabels };
}

export interface GeneratedDatasetOptions {
  out: string;
  train?: number;
  test?: number;
  seed?: number;
}

export interface GeneratedMarker {
  generator: 'vitscope-shapes';
  version: number;
  seed: number;
  train: number;
  test: number;
  note: string;
}

/** Generates a dataset in memory (no files). */
export function generateDataset(opts: { train?: number; test?: number; seed?: number } = {}): CifarDirContents {
  const seed = opts.seed ?? GENERATED_DEFAULTS.seed;
  const names = generatedLabelNames();
  return {
    train: generateImageSet(opts.train ?? GENERATED_DEFAULTS.train, seed, 0),
    test: generateImageSet(opts.test ?? GENERATED_DEFAULTS.test, seed, 1),
    fineLabelNames: names.fine,
    coarseLabelNames: names.coarse,
  };
}

/** Writes a CIFAR-100-format directory of generated images to `out`, plus a marker file saying it is generated. */
export async function makeGeneratedDataset(opts: GeneratedDatasetOptions): Promise<CifarDirContents & { marker: GeneratedMarker }> {
  const seed = opts.seed ?? GENERATED_DEFAULTS.seed;
  const data = generateDataset({ train: opts.train, test: opts.test, seed });
  await writeCifarDir(opts.out, data);
  const marker: GeneratedMarker = {
    generator: 'vitscope-shapes',
    version: GENERATOR_VERSION,
    seed,
    train: data.train.count,
    test: data.test.count,
    note: 'Generated by vitscope (src/data/generate.ts): synthetic shapes, NOT CIFAR-100.',
  };
  await writeJsonAtomic(path.join(opts.out, GENERATED_MARKER), marker);
  return { ...data, marker };
}

/** The marker of a generated directory, or null when `dir` has none. */
export async function readGeneratedMarker(dir: string): Promise<GeneratedMarker | null> {
  try {
    return JSON.parse(await fs.readFile(path.join(dir, GENERATED_MARKER), 'utf8')) as GeneratedMarker;
  } catch {
    return null;
  }
}
