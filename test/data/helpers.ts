// Shared by the data tests: temporary directories and small hand-made image sets.
import { mkdtempSync, rmSync, readdirSync, readFileSync, statSync } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { createHash } from 'node:crypto';
import type { ImageSet } from '../../src/data/types.ts';

export function tempDir(prefix = 'vitscope-data-'): { dir: string; cleanup: () => void } {
  const dir = mkdtempSync(path.join(os.tmpdir(), prefix));
  return { dir, cleanup: () => rmSync(dir, { recursive: true, force: true }) };
}

/** Relative path → sha256 of every file under dir (to prove nothing was deleted or changed). */
export function snapshot(dir: string): Record<string, string> {
  const out: Record<string, string> = {};
  const walk = (d: string) => {
    for (const name of readdirSync(d)) {
      const p = path.join(d, name);
      if (statSync(p).isDirectory()) walk(p);
      else out[path.relative(dir, p)] = createHash('sha256').update(readFileSync(p)).digest('hex');
    }
  };
  walk(dir);
  return out;
}

/** A set whose pixel values encode (image, y, x, channel), with the given labels. */
export function patternSet(fine: number[], coarseOf = (f: number) => f % 20): ImageSet {
  const count = fine.length;
  const images = new Uint8Array(count * 3072);
  for (let i = 0; i < count; i++)
    for (let y = 0; y < 32; y++)
      for (let x = 0; x < 32; x++)
        for (let c = 0; c < 3; c++) images[i * 3072 + (y * 32 + x) * 3 + c] = (i * 37 + y * 7 + x * 3 + c * 101) & 255;
  return {
    count,
    height: 32,
    width: 32,
    channels: 3,
    images,
    fineLabels: Int32Array.from(fine),
    coarseLabels: Int32Array.from(fine.map(coarseOf)),
  };
}

export function pixel(set: ImageSet, i: number, y: number, x: number, c: number): number {
  return set.images[i * 3072 + (y * 32 + x) * 3 + c]!;
}
