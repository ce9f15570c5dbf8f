// loadDataset: one entry point for every kind of data an experiment reads — CIFAR-format binaries (CIFAR-100 or
// the generated stand-in, through loadCifar), an image folder (class subfolders = labels, or flat), a list file of
// image paths, or one image file. Image files are listed, not decoded: images are decoded (decode-image.ts) and
// transformed (preprocess.ts) only when a subset or a batch of them is asked for, so a 50,000-image folder is
// never held in memory.
import { promises as fs } from 'node:fs';
import * as path from 'node:path';
import { tf } from '../backend/tf.ts';
import { Rng } from '../util/random.ts';
import { normalizeImages } from './batches.ts';
import { DataError } from './errors.ts';
import { decodeImageFile, type RgbImage } from './image-decode.ts';
import { isImageFileName, listImageFolder, listImageListFile, type ImageListing } from './image-folder.ts';
import { loadCifar, type LoadCifarOptions } from './load.ts';
import { transformImage, type Preprocessing } from './preprocess.ts';
import { mixSeeds, STREAM } from './seed-mix.ts';
import { subsetIndices } from './subset.ts';
import { CIFAR100_FILES } from './cifar-format.ts';
import type { ImageSet } from './types.ts';

export type DatasetKind = 'cifar-100' | 'generated' | 'image-folder' | 'image-list' | 'image';

/** What loadDataset reads: a path (CIFAR-format folder, image folder, list file, image file) or nothing (data/). */
export interface DatasetSpec extends Omit<LoadCifarOptions, 'dir'> {
  /** undefined: loadCifar's default (data/cifar-100-binary, else the generated set). */
  path?: string;
}

/** Images of one split, decoded on demand. */
export interface ImageSource {
  count: number;
  /** Class index of each image, or null (unlabelled). */
  labels: Int32Array | null;
  /** A name for image i in messages: its file, or '<dir> split record i'. */
  describe(i: number): string;
  /** Image i as RGB bytes. */
  image(i: number): Promise<RgbImage>;
  /** CIFAR-format sets: the bytes themselves (fast path when no transform is needed). */
  set?: ImageSet;
}

export interface Dataset {
  kind: DatasetKind;
  /** The folder or file read. */
  dir: string;
  /** Class names, or null when unlabelled. */
  classNames: string[] | null;
  /** The split's images; an image folder has one set of images, which serves as both. */
  split(name: 'train' | 'test'): ImageSource;
  /** True when train and test are the same images (image folders). */
  singleSplit: boolean;
}

function cifarSource(set: ImageSet, dir: string, split: string): ImageSource {
  const per = set.height * set.width * set.channels;
  return {
    count: set.count,
    labels: set.fineLabels,
    set,
    describe: (i) => `${path.join(dir, CIFAR100_FILES[split as 'train' | 'test'])} record ${i}`,
    image: async (i) => ({ width: set.width, height: set.height, data: set.images.slice(i * per, (i + 1) * per) }),
  };
}

function listingSource(listing: ImageListing): ImageSource {
  return {
    count: listing.files.length,
    labels: listing.labels,
    describe: (i) => listing.files[i]!,
    image: (i) => decodeImageFile(listing.files[i]!),
  };
}

async function statOrThrow(p: string): Promise<import('node:fs').Stats> {
  try {
    return await fs.stat(p);
  } catch (err) {
    throw new DataError(p, `nothing there (${(err as NodeJS.ErrnoException).code ?? String(err)})`, 'a CIFAR-format folder, an image folder, a list file of images or an image file', { cause: err });
  }
}

/** Opens the data `spec` names (see the header); images are not decoded here. */
export async function loadDataset(spec: DatasetSpec = {}): Promise<Dataset> {
  const { path: given, ...cifarOptions } = spec;
  let listing: ImageListing | null = null;
  if (given !== undefined) {
    const p = path.resolve(given);
    const st = await statOrThrow(p);
    if (st.isDirectory()) {
      const hasBinaries = await fs.stat(path.join(p, CIFAR100_FILES.train)).then(() => true, () => false);
      if (!hasBinaries) listing = await listImageFolder(p);
    } else if (isImageFileName(p)) listing = { kind: 'image', root: p, files: [p], labels: null, classNames: null };
    else if (/\.(txt|lst)$/i.test(p)) listing = await listImageListFile(p);
    else throw new DataError(p, 'a file that is neither an image nor a list', 'a CIFAR-format folder, an image folder, a list file (.txt, .lst) or an image (.jpg, .jpeg, .png, .webp)');
  }
  if (listing) {
    const source = listingSource(listing);
    return { kind: listing.kind, dir: listing.root, classNames: listing.classNames, split: () => source, singleSplit: true };
  }
  const cifar = await loadCifar({ ...cifarOptions, dir: given });
  const sources = { train: cifarSource(cifar.train, cifar.dir, 'train'), test: cifarSource(cifar.test, cifar.dir, 'test') };
  return { kind: cifar.source, dir: cifar.dir, classNames: cifar.fineLabelNames, split: (name) => sources[name], singleSplit: false };
}

/**
 * `size` images of a source (all when size >= count, in order): a class-balanced seeded subset when labelled
 * (subset.ts), a seeded choice when not; ascending indices, or undefined for all.
 */
export function chooseImages(source: ImageSource, size: number, seed: number): Int32Array | undefined {
  if (size >= source.count) return undefined;
  if (source.labels) {
    const set = source.set ?? { count: source.count, height: 0, width: 0, channels: 0, images: new Uint8Array(0), fineLabels: source.labels, coarseLabels: source.labels };
    return subsetIndices(set, { size, seed });
  }
  const chosen = new Rng(mixSeeds(seed, STREAM.subset)).permutation(source.count).slice(0, size);
  return chosen.sort();
}

/** Decodes at most `concurrency` images at a time (sharp decodes on libuv's threads). */
async function decodeAll(source: ImageSource, indices: ArrayLike<number>, p: Preprocessing, out: Uint8Array, concurrency: number): Promise<void> {
  const per = p.size * p.size * 3;
  let next = 0;
  const worker = async (): Promise<void> => {
    while (next < indices.length) {
      const k = next++;
      const i = indices[k]!;
      const bytes = transformImage(await source.image(i), p, source.describe(i));
      out.set(bytes, k * per);
    }
  };
  await Promise.all(Array.from({ length: Math.min(concurrency, indices.length) }, worker));
}

const DECODE_CONCURRENCY = 4;

/**
 * Images `indices` (default: all) transformed by `p` into an ImageSet of p.size x p.size bytes (labels -1 where
 * the source is unlabelled). CIFAR-format data that needs no transform is copied without decoding.
 */
export async function loadImageSet(source: ImageSource, p: Preprocessing, indices?: ArrayLike<number>): Promise<ImageSet> {
  const idx = indices ?? Int32Array.from({ length: source.count }, (_, i) => i);
  const per = p.size * p.size * 3;
  const images = new Uint8Array(idx.length * per);
  const set = source.set;
  if (set && p.geometry === 'none' && set.height === p.size && set.width === p.size && set.channels === 3) {
    for (let k = 0; k < idx.length; k++) images.set(set.images.subarray(idx[k]! * per, (idx[k]! + 1) * per), k * per);
  } else {
    await decodeAll(source, idx, p, images, DECODE_CONCURRENCY);
  }
  const labels = Int32Array.from({ length: idx.length }, (_, k) => source.labels?.[idx[k]!] ?? -1);
  return { count: idx.length, height: p.size, width: p.size, channels: 3, images, fineLabels: labels, coarseLabels: set ? Int32Array.from(idx, (i) => set.coarseLabels[i]!) : labels.slice() };
}

export interface ImageBatch {
  /** float32 [n, size, size, 3], normalised with p's mean/std. The consumer disposes it. */
  x: tf.Tensor4D;
  /** Class indices, -1 where unlabelled. */
  y: Int32Array;
}

/** Batches of images `indices` (default: all), decoded batch by batch: memory stays one batch. */
export async function* imageBatches(source: ImageSource, p: Preprocessing, batchSize: number, indices?: ArrayLike<number>): AsyncGenerator<ImageBatch> {
  const idx = indices ?? Int32Array.from({ length: source.count }, (_, i) => i);
  for (let start = 0; start < idx.length; start += batchSize) {
    const part = Array.prototype.slice.call(idx, start, Math.min(idx.length, start + batchSize)) as number[];
    const set = await loadImageSet(source, p, part);
    const x = tf.tensor4d(normalizeImages(set.images, set.count, undefined, p), [set.count, p.size, p.size, 3], 'float32');
    yield { x, y: set.fineLabels };
  }
}
