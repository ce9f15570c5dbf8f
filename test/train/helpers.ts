// Test helpers: a tiny learnable image set.
import type { CifarData, ImageSet } from '../../src/data/types.ts';
import { Rng } from '../../src/util/random.ts';

/** `count` 8x8 RGB images of `classes` classes: class c is a bright square in one of 4 quadrants plus a colour. */
export function tinySet(count: number, classes: number, seed: number, size = 8): ImageSet {
  const rng = new Rng(seed);
  const images = new Uint8Array(count * size * size * 3);
  const fine = new Int32Array(count);
  for (let i = 0; i < count; i++) {
    const c = i % classes;
    fine[i] = c;
    const qy = (c >> 1) & 1;
    const qx = c & 1;
    for (let y = 0; y < size; y++)
      for (let x = 0; x < size; x++) {
        const inside = Math.floor((y * 2) / size) === qy && Math.floor((x * 2) / size) === qx;
        for (let ch = 0; ch < 3; ch++) {
          const base = inside ? (ch === c % 3 ? 230 : 160) : 40;
          images[((i * size + y) * size + x) * 3 + ch] = Math.max(0, Math.min(255, base + Math.round(rng.normal() * 20)));
        }
      }
  }
  return { count, height: size, width: size, channels: 3, images, fineLabels: fine, coarseLabels: fine.slice() };
}

export function tinyData(train = 64, test = 32, classes = 4): Pick<CifarData, 'train' | 'test' | 'fineLabelNames' | 'coarseLabelNames'> {
  return {
    train: tinySet(train, classes, 1),
    test: tinySet(test, classes, 2),
    fineLabelNames: Array.from({ length: classes }, (_, i) => `c${i}`),
    coarseLabelNames: Array.from({ length: classes }, (_, i) => `c${i}`),
  };
}
