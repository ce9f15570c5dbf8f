// Derives independent 32-bit seeds from tuples of integers (seed, epoch, batch, purpose), so that a stream's
// randomness depends only on its coordinates and never on how much of another stream was consumed.

export function mixSeeds(...parts: number[]): number {
  let h = 0x811c9dc5 >>> 0;
  for (const p of parts) {
    let z = (p | 0) >>> 0;
    z = Math.imul(z ^ (z >>> 16), 0x7feb352d);
    z = Math.imul(z ^ (z >>> 15), 0x846ca68b);
    z = (z ^ (z >>> 16)) >>> 0;
    h = Math.imul(h ^ z, 0x01000193) >>> 0;
    h = (h ^ (h >>> 13)) >>> 0;
  }
  h = Math.imul(h ^ (h >>> 16), 0x85ebca6b);
  h = Math.imul(h ^ (h >>> 13), 0xc2b2ae35);
  return (h ^ (h >>> 16)) >>> 0;
}

/** Purposes, so streams of the same (seed, epoch, batch) differ. */
export const STREAM = { order: 1, augment: 2, subset: 3 } as const;
