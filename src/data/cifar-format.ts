// The CIFAR-100 binary format: records of 1 coarse-label byte, 1 fine-label byte and 3072 pixel bytes
// (1024 red, 1024 green, 1024 blue, each plane row-major). We hold images as NHWC bytes.
import { promises as fs } from 'node:fs';
import * as path from 'node:path';
import { writeFileAtomic } from '../io/atomic.ts';
import { DataError } from './errors.ts';
import {
  CIFAR100_COARSE_CLASSES,
  CIFAR100_FINE_CLASSES,
  CIFAR100_RECORD_BYTES,
  CIFAR_CHANNELS,
  CIFAR_IMAGE_SIZE,
  CIFAR_PIXELS,
  type ImageSet,
} from './types.ts';

export const CIFAR100_FILES = {
  train: 'train.bin',
  test: 'test.bin',
  fineNames: 'fine_label_names.txt',
  coarseNames: 'coarse_label_names.txt',
} as const;

const PLANE = CIFAR_IMAGE_SIZE * CIFAR_IMAGE_SIZE; // 1024

export interface ParseOptions {
  fineClasses?: number;
  coarseClasses?: number;
}

/** Parses a CIFAR-100 binary file into NHWC bytes and label arrays; `file` names it in errors. */
export function parseCifar100Bin(buf: Uint8Array, file: string, opts: ParseOptions = {}): ImageSet {
  const fineClasses = opts.fineClasses ?? CIFAR100_FINE_CLASSES;
  const coarseClasses = opts.coarseClasses ?? CIFAR100_COARSE_CLASSES;
  if (buf.length % CIFAR100_RECORD_BYTES !== 0) {
    throw new DataError(
      file,
      `size ${buf.length} bytes (${Math.floor(buf.length / CIFAR100_RECORD_BYTES)} records and ${buf.length % CIFAR100_RECORD_BYTES} bytes left over)`,
      `a multiple of ${CIFAR100_RECORD_BYTES} bytes (records of 1 coarse-label byte, 1 fine-label byte, ${CIFAR_PIXELS} pixel bytes)`,
    );
  }
  const count = buf.length / CIFAR100_RECORD_BYTES;
  if (count === 0) throw new DataError(file, 'an empty file (0 records)', `at least one ${CIFAR100_RECORD_BYTES}-byte record`);
  const images = new Uint8Array(count * CIFAR_PIXELS);
  const fineLabels = new Int32Array(count);
  const coarseLabels = new Int32Array(count);
  for (let r = 0; r < count; r++) {
    const o = r * CIFAR100_RECORD_BYTES;
    const coarse = buf[o]!;
    const fine = buf[o + 1]!;
    if (coarse >= coarseClasses) {
      throw new DataError(file, `coarse label ${coarse} in record ${r} (byte offset ${o})`, `a coarse label in 0..${coarseClasses - 1}`);
    }
    if (fine >= fineClasses) {
      throw new DataError(file, `fine label ${fine} in record ${r} (byte offset ${o + 1})`, `a fine label in 0..${fineClasses - 1}`);
    }
    coarseLabels[r] = coarse;
    fineLabels[r] = fine;
    const src = o + 2;
    let d = r * CIFAR_PIXELS;
    for (let p = 0; p < PLANE; p++, d += 3) {
      images[d] = buf[src + p]!;
      images[d + 1] = buf[src + PLANE + p]!;
      images[d + 2] = buf[src + 2 * PLANE + p]!;
    }
  }
  return { count, height: CIFAR_IMAGE_SIZE, width: CIFAR_IMAGE_SIZE, channels: CIFAR_CHANNELS, images, fineLabels, coarseLabels };
}

/** Encodes an ImageSet in the CIFAR-100 binary format (the inverse of parseCifar100Bin). */
export function encodeCifar100Bin(set: ImageSet): Uint8Array {
  if (set.height !== CIFAR_IMAGE_SIZE || set.width !== CIFAR_IMAGE_SIZE || set.channels !== CIFAR_CHANNELS) {
    throw new Error(`encodeCifar100Bin: images are ${set.height}x${set.width}x${set.channels}, the format holds 32x32x3`);
  }
  const out = new Uint8Array(set.count * CIFAR100_RECORD_BYTES);
  for (let r = 0; r < set.count; r++) {
    const o = r * CIFAR100_RECORD_BYTES;
    out[o] = set.coarseLabels[r]!;
    out[o + 1] = set.fineLabels[r]!;
    const dst = o + 2;
    let s = r * CIFAR_PIXELS;
    for (let p = 0; p < PLANE; p++, s += 3) {
      out[dst + p] = set.images[s]!;
      out[dst + PLANE + p] = set.images[s + 1]!;
      out[dst + 2 * PLANE + p] = set.images[s + 2]!;
    }
  }
  return out;
}

/** One name a line; blank lines (CIFAR's files end with some) are ignored. */
export function parseLabelNames(text: string, file: string, expectedCount: number): string[] {
  const names = text
    .split(/\r?\n/)
    .map((s) => s.trim())
    .filter((s) => s.length > 0);
  if (names.length !== expectedCount) {
    throw new DataError(file, `${names.length} names`, `${expectedCount} names, one a line`);
  }
  return names;
}

function describeFsError(err: NodeJS.ErrnoException): string {
  switch (err.code) {
    case 'ENOENT':
      return 'nothing there (ENOENT)';
    case 'EACCES':
    case 'EPERM':
      return `no permission to read it (${err.code})`;
    case 'ENOTDIR':
      return 'a path through a file, not a directory (ENOTDIR)';
    case 'EISDIR':
      return 'a directory (EISDIR)';
    default:
      return `an unreadable entry (${err.code ?? err.message})`;
  }
}

async function readFileOrThrow(file: string, expected: string): Promise<Buffer> {
  try {
    return await fs.readFile(file);
  } catch (err) {
    throw new DataError(file, describeFsError(err as NodeJS.ErrnoException), expected, { cause: err });
  }
}

export interface CifarDirContents {
  train: ImageSet;
  test: ImageSet;
  fineLabelNames: string[];
  coarseLabelNames: string[];
}

const DIR_EXPECTED = `a readable directory holding ${Object.values(CIFAR100_FILES).join(', ')}`;

/** Checks that `dir` is a readable directory; throws a DataError naming it otherwise. */
export async function checkReadableDir(dir: string): Promise<void> {
  let stat;
  try {
    stat = await fs.stat(dir);
  } catch (err) {
    throw new DataError(dir, describeFsError(err as NodeJS.ErrnoException), DIR_EXPECTED, { cause: err });
  }
  if (!stat.isDirectory()) throw new DataError(dir, 'a file, not a directory', DIR_EXPECTED);
  try {
    await fs.readdir(dir);
  } catch (err) {
    throw new DataError(dir, describeFsError(err as NodeJS.ErrnoException), DIR_EXPECTED, { cause: err });
  }
}

/** Reads a CIFAR-100-format directory (train.bin, test.bin and the two names files). */
export async function readCifarDir(dir: string, opts: { expectCounts?: { train: number; test: number } } = {}): Promise<CifarDirContents> {
  await checkReadableDir(dir);
  const fineFile = path.join(dir, CIFAR100_FILES.fineNames);
  const coarseFile = path.join(dir, CIFAR100_FILES.coarseNames);
  const fineLabelNames = parseLabelNames(
    (await readFileOrThrow(fineFile, `${CIFAR100_FINE_CLASSES} fine label names, one a line`)).toString('utf8'),
    fineFile,
    CIFAR100_FINE_CLASSES,
  );
  const coarseLabelNames = parseLabelNames(
    (await readFileOrThrow(coarseFile, `${CIFAR100_COARSE_CLASSES} coarse label names, one a line`)).toString('utf8'),
    coarseFile,
    CIFAR100_COARSE_CLASSES,
  );
  const splits: Record<'train' | 'test', ImageSet> = {} as Record<'train' | 'test', ImageSet>;
  for (const split of ['train', 'test'] as const) {
    const file = path.join(dir, CIFAR100_FILES[split]);
    const buf = await readFileOrThrow(file, `CIFAR-100 binary records of ${CIFAR100_RECORD_BYTES} bytes`);
    const set = parseCifar100Bin(buf, file);
    const want = opts.expectCounts?.[split];
    if (want !== undefined && set.count !== want) {
      throw new DataError(file, `${set.count} records`, `${want} records (${want * CIFAR100_RECORD_BYTES} bytes)`);
    }
    splits[split] = set;
  }
  return { train: splits.train, test: splits.test, fineLabelNames, coarseLabelNames };
}

/** Writes a CIFAR-100-format directory, each file atomically. */
export async function writeCifarDir(dir: string, data: CifarDirContents): Promise<void> {
  await fs.mkdir(dir, { recursive: true });
  await writeFileAtomic(path.join(dir, CIFAR100_FILES.train), encodeCifar100Bin(data.train));
  await writeFileAtomic(path.join(dir, CIFAR100_FILES.test), encodeCifar100Bin(data.test));
  await writeFileAtomic(path.join(dir, CIFAR100_FILES.fineNames), data.fineLabelNames.join('\n') + '\n');
  await writeFileAtomic(path.join(dir, CIFAR100_FILES.coarseNames), data.coarseLabelNames.join('\n') + '\n');
}
