// Class-balanced, seeded subsets (the data-size study trains on 2%..100% of CIFAR-100).
import { Rng } from '../util/random.ts';
import { mixSeeds, STREAM } from './seed-mix.ts';
import type { ImageSet, LabelKind } from './types.ts';

export interface SubsetOptions {
  /** Number of images; or */
  size?: number;
  /** share of the set, rounded to the nearest image. */
  fraction?: number;
  seed: number;
  /** Labels to balance (default fine). */
  balanceBy?: LabelKind;
}

/**
 * A class-balanced subset: every class gets floor(size / classes) images, and the remainder goes one each to
 * classes chosen at random; a class with too few images gives its shortfall to the others. Within a class the
 * images are the first of a seeded permutation, so for one seed a smaller subset (of a size divisible by the
 * number of classes) is contained in a larger one. Indices are returned in ascending order.
 */
export function subsetIndices(set: ImageSet, opts: SubsetOptions): Int32Array {
  let size: number;
  if (opts.size !== undefined && opts.fraction !== undefined) throw new Error('subset: give size or fraction, not both');
  if (opts.size !== undefined) size = opts.size;
  else if (opts.fraction !== undefined) {
    if (!(opts.fraction > 0 && opts.fraction <= 1)) throw new Error(`subset: fraction must be in (0, 1], got ${opts.fraction}`);
    size = Math.round(opts.fraction * set.count);
  } else throw new Error('subset: give size or fraction');
  if (!Number.isInteger(size) || size < 1 || size > set.count) throw new Error(`subset: size must be an integer in 1..${set.count}, got ${size}`);

  const labels = opts.balanceBy === 'coarse' ? set.coarseLabels : set.fineLabels;
  let classes = 0;
  for (let i = 0; i < set.count; i++) if (labels[i]! + 1 > classes) classes = labels[i]! + 1;
  const byClass: number[][] = Array.from({ length: classes }, () => []);
  for (let i = 0; i < set.count; i++) byClass[labels[i]!]!.push(i);
  const rng = new Rng(mixSeeds(opts.seed, STREAM.subset));
  for (const members of byClass) rng.shuffle(members);
  const present = byClass.map((m, c) => (m.length > 0 ? c : -1)).filter((c) => c >= 0);

  const quota = new Array<number>(classes).fill(0);
  let remaining = size;
  // Fill level by level: each round gives every class that still has images an equal share.
  let open = present.filter((c) => byClass[c]!.length > quota[c]!);
  while (remaining > 0 && open.length > 0) {
    const share = Math.floor(remaining / open.length);
    if (share === 0) {
      const lucky = rng.shuffle(open.slice()).slice(0, remaining);
      for (const c of lucky) quota[c]!++;
      remaining = 0;
      break;
    }
    for (const c of open) {
      const take = Math.min(share, byClass[c]!.length - quota[c]!);
      quota[c]! += take;
      remaining -= take;
    }
    open = open.filter((c) => byClass[c]!.length > quota[c]!);
  }
  const out: number[] = [];
  for (let c = 0; c < classes; c++) for (let k = 0; k < quota[c]!; k++) out.push(byClass[c]![k]!);
  const result = Int32Array.from(out);
  result.sort();
  return result;
}

/** Copies images `indices` of `set` into a new ImageSet. */
export function selectImages(set: ImageSet, indices: ArrayLike<number>): ImageSet {
  const per = set.height * set.width * set.channels;
  const images = new Uint8Array(indices.length * per);
  const fineLabels = new Int32Array(indices.length);
  const coarseLabels = new Int32Array(indices.length);
  for (let i = 0; i < indices.length; i++) {
    const s = indices[i]!;
    images.set(set.images.subarray(s * per, (s + 1) * per), i * per);
    fineLabels[i] = set.fineLabels[s]!;
    coarseLabels[i] = set.coarseLabels[s]!;
  }
  return { count: indices.length, height: set.height, width: set.width, channels: set.channels, images, fineLabels, coarseLabels };
}

/** A class-balanced, seeded subset of `set` with the indices it was drawn from. */
export function subset(set: ImageSet, opts: SubsetOptions): ImageSet & { indices: Int32Array } {
  const indices = subsetIndices(set, opts);
  return { ...selectImages(set, indices), indices };
}
