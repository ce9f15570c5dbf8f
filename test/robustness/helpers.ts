// Helpers for the robustness tests: a tiny CIFAR-100-format dataset on disk, a CLI child process, file hashes.
import { spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import { readdirSync, readFileSync, statSync } from 'node:fs';
import * as path from 'node:path';
import { fileURLToPath } from 'node:url';
import { writeCifarDir } from '../../src/data/cifar-format.ts';
import type { ImageSet } from '../../src/data/types.ts';
import { Rng } from '../../src/util/random.ts';

export const REPO = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');
export const MAIN = path.join(REPO, 'src', 'cli', 'main.ts');

/** `count` random 32×32 images; fine label r mod 100, coarse r mod 20. */
export function randomSet(count: number, seed: number): ImageSet {
  const rng = new Rng(seed);
  const images = new Uint8Array(count * 32 * 32 * 3);
  for (let i = 0; i < images.length; i++) images[i] = rng.int(256);
  const fine = new Int32Array(count).map((_, i) => i % 100);
  const coarse = new Int32Array(count).map((_, i) => i % 20);
  return { count, height: 32, width: 32, channels: 3, images, fineLabels: fine, coarseLabels: coarse };
}

/** Writes a CIFAR-100-format folder (train.bin, test.bin and the two label-name files). */
export async function writeTinyCifar(dir: string, train = 200, test = 40, seed = 1): Promise<void> {
  await writeCifarDir(dir, {
    train: randomSet(train, seed),
    test: randomSet(test, seed + 1),
    fineLabelNames: Array.from({ length: 100 }, (_, i) => `fine${i}`),
    coarseLabelNames: Array.from({ length: 20 }, (_, i) => `coarse${i}`),
  });
}

export interface Child {
  pid: number;
  /** Everything written to stderr so far. */
  stderr(): string;
  /** Resolves once stderr holds `text`; rejects if the process ends first. */
  waitFor(text: string): Promise<void>;
  /** Exit code (null when killed) and signal. */
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  kill(signal: NodeJS.Signals): void;
}

/** Runs `npm run experiment <args>` as `node --import tsx src/cli/main.ts <args>`. */
export function runCli(args: string[], env: Record<string, string> = {}): Child {
  const proc = spawn(process.execPath, ['--import', 'tsx', MAIN, ...args], {
    cwd: REPO,
    env: { ...process.env, ...env },
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  let err = '';
  const waiters: { text: string; resolve(): void; reject(e: Error): void }[] = [];
  const check = (): void => {
    for (const w of [...waiters])
      if (err.includes(w.text)) {
        waiters.splice(waiters.indexOf(w), 1);
        w.resolve();
      }
  };
  proc.stderr!.on('data', (d: Buffer) => {
    err += d.toString();
    check();
  });
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) =>
    proc.on('close', (code, signal) => {
      for (const w of waiters.splice(0)) w.reject(new Error(`process ended (code ${code}, signal ${signal}) before writing '${w.text}'; stderr:\n${err}`));
      resolve({ code, signal });
    }),
  );
  return {
    pid: proc.pid!,
    stderr: () => err,
    waitFor: (text) =>
      new Promise<void>((resolve, reject) => {
        waiters.push({ text, resolve, reject });
        check();
      }),
    exited,
    kill: (signal) => proc.kill(signal),
  };
}

/** path → sha256 of every file under `dir` (recursively), for "nothing was changed" checks. */
export function treeHashes(dir: string): Map<string, string> {
  const out = new Map<string, string>();
  const walk = (d: string): void => {
    for (const e of readdirSync(d)) {
      const p = path.join(d, e);
      if (statSync(p).isDirectory()) walk(p);
      else out.set(path.relative(dir, p), createHash('sha256').update(readFileSync(p)).digest('hex'));
    }
  };
  walk(dir);
  return out;
}
