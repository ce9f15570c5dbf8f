// loadCifar: the one entry point that training and every analysis use to get data.
// Order: `dir` if given; else data/cifar-100-binary (verified; downloaded when absent unless download === false);
// else, unless allowGenerated === false, the generated stand-in in data/generated (created when absent),
// announced LOUDLY, because nothing measured on it is a CIFAR-100 result.
import { promises as fs } from 'node:fs';
import * as path from 'node:path';
import { fileURLToPath } from 'node:url';
import { readCifarDir, type CifarDirContents } from './cifar-format.ts';
import { ensureCifar100, CIFAR100_ARCHIVE, CIFAR100_DIRNAME, type ProgressSink } from './download.ts';
import { DataError, DownloadError } from './errors.ts';
import { GENERATED_DEFAULTS, makeGeneratedDataset, readGeneratedMarker } from './generate.ts';
import type { CifarData } from './types.ts';

export interface LoadCifarOptions {
  /** A directory already holding train.bin, test.bin, fine_label_names.txt, coarse_label_names.txt. */
  dir?: string;
  /** Try to download CIFAR-100 when data/cifar-100-binary is absent (default true). */
  download?: boolean;
  /** Fall back to the generated stand-in (default true). */
  allowGenerated?: boolean;
  log?: (msg: string) => void;
  /** The data directory (default: VITSCOPE_DATA, else <repo>/data). */
  dataRoot?: string;
  /** Download URL (default: VITSCOPE_CIFAR100_URL, else the official one). */
  url?: string;
  /** Expected MD5 of the archive (default: VITSCOPE_CIFAR100_MD5, else the official one). */
  md5?: string;
  /** Where the download progress bar goes (default stderr; false: nowhere). */
  progress?: ProgressSink | false;
  /** Sizes and seed of data/generated when it has to be created (default 10,000 / 2,000 / seed 0). */
  generated?: { train?: number; test?: number; seed?: number };
}

export const DEFAULT_DATA_ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..', 'data');
export const GENERATED_DIRNAME = 'generated';

export function dataRoot(root?: string): string {
  return root ?? process.env.VITSCOPE_DATA ?? DEFAULT_DATA_ROOT;
}

export function generatedWarning(dir: string, reason: string): string {
  const bar = '!'.repeat(78);
  return [
    bar,
    '!!! WARNING: USING THE GENERATED STAND-IN DATASET, NOT CIFAR-100',
    `!!!   data:   ${dir}`,
    `!!!   why:    ${reason}`,
    '!!!   These are synthetic shapes (20 shapes x 5 colour/stripe variants), not CIFAR-100.',
    '!!!   Accuracies, losses, Hessian spectra and every other figure computed on them',
    '!!!   say NOTHING about the paper. To use CIFAR-100, put cifar-100-binary/ in data/,',
    '!!!   pass --data DIR, or allow the download (VITSCOPE_CIFAR100_URL sets a mirror).',
    bar,
  ].join('\n');
}

function build(contents: CifarDirContents, source: CifarData['source'], dir: string): CifarData {
  return { ...contents, source, dir };
}

async function present(p: string): Promise<boolean> {
  try {
    await fs.lstat(p);
    return true;
  } catch {
    return false;
  }
}

export async function loadCifar(opts: LoadCifarOptions = {}): Promise<CifarData> {
  const log = opts.log ?? ((m: string) => console.error(m));
  if (opts.dir !== undefined) {
    const dir = path.resolve(opts.dir);
    const contents = await readCifarDir(dir);
    const marker = await readGeneratedMarker(dir);
    if (marker) {
      log(generatedWarning(dir, `${dir} holds a generated dataset (seed ${marker.seed})`));
      return build(contents, 'generated', dir);
    }
    return build(contents, 'cifar-100', dir);
  }

  const root = dataRoot(opts.dataRoot);
  const realDir = path.join(root, CIFAR100_DIRNAME);
  let reason: string;
  if ((await present(realDir)) || (await present(path.join(root, CIFAR100_ARCHIVE))) || opts.download !== false) {
    try {
      const { dir } = await ensureCifar100({ root, url: opts.url, md5: opts.md5, progress: opts.progress, log });
      return build(await readCifarDir(dir), 'cifar-100', dir);
    } catch (err) {
      if (!(err instanceof DownloadError)) throw err;
      if (opts.allowGenerated === false) throw err;
      reason = `CIFAR-100 is not in ${realDir} and ${err.message}`;
    }
  } else {
    reason = `CIFAR-100 is not in ${realDir} and downloading is disabled`;
  }
  if (opts.allowGenerated === false) {
    throw new DataError(realDir, 'no CIFAR-100', 'the four CIFAR-100 files (or allow the download, or pass --data DIR)');
  }

  const genDir = path.join(root, GENERATED_DIRNAME);
  const marker = await readGeneratedMarker(genDir);
  if (marker) {
    const contents = await readCifarDir(genDir);
    log(generatedWarning(genDir, reason));
    return build(contents, 'generated', genDir);
  }
  if (await present(genDir)) {
    throw new DataError(genDir, 'a directory without the generated-dataset marker', 'nothing there, or a dataset written by make-dataset; move it away');
  }
  const g = { train: opts.generated?.train ?? GENERATED_DEFAULTS.train, test: opts.generated?.test ?? GENERATED_DEFAULTS.test, seed: opts.generated?.seed ?? GENERATED_DEFAULTS.seed };
  log(`[vitscope] creating the generated dataset in ${genDir} (${g.train} train + ${g.test} test images, seed ${g.seed})`);
  // Write beside it and rename, so an interrupted run never leaves a half-written data/generated.
  await fs.mkdir(root, { recursive: true });
  const tmp = await fs.mkdtemp(path.join(root, '.tmp-generated-'));
  try {
    const made = await makeGeneratedDataset({ out: tmp, ...g });
    await fs.rename(tmp, genDir);
    log(generatedWarning(genDir, reason));
    const { marker: _marker, ...contents } = made;
    return build(contents, 'generated', genDir);
  } finally {
    await fs.rm(tmp, { recursive: true, force: true });
  }
}
