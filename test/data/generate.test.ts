import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readFileSync } from 'node:fs';
import * as path from 'node:path';
import { spawnSync } from 'node:child_process';
import { generateImageSet, generatedLabelNames, generatedCoarseOf, makeGeneratedDataset, GENERATED_MARKER } from '../../src/data/generate.ts';
import { readCifarDir } from '../../src/data/cifar-format.ts';
import type { ImageSet } from '../../src/data/types.ts';
import { tempDir } from './helpers.ts';

test('generation is deterministic for a seed, differs across seeds and between train and test', () => {
  const a = generateImageSet(300, 7, 0), b = generateImageSet(300, 7, 0), c = generateImageSet(300, 8, 0), d = generateImageSet(300, 7, 1);
  assert.deepEqual(a.images, b.images);
  assert.deepEqual(a.fineLabels, b.fineLabels);
  assert.notDeepEqual(a.images, c.images);
  assert.notDeepEqual(a.images, d.images);
});

test('classes are balanced, 100 fine in 20 coarse, names unique', () => {
  const set = generateImageSet(1000, 3, 0);
  const counts = new Array(100).fill(0);
  for (let i = 0; i < set.count; i++) {
    counts[set.fineLabels[i]!]++;
    assert.equal(set.coarseLabels[i], generatedCoarseOf(set.fineLabels[i]!));
  }
  assert.ok(counts.every((n) => n === 10), `counts ${counts}`);
  const fineOfCoarse = new Array(20).fill(0);
  for (let f = 0; f < 100; f++) fineOfCoarse[generatedCoarseOf(f)]++;
  assert.ok(fineOfCoarse.every((n) => n === 5));
  const names = generatedLabelNames();
  assert.equal(new Set(names.fine).size, 100);
  assert.equal(new Set(names.coarse).size, 20);
  // the shuffle puts labels in random order, not 0,1,2,...
  assert.notDeepEqual(Array.from(set.fineLabels.slice(0, 100)), Array.from({ length: 100 }, (_, i) => i));
});

/** 8x8 average-pooled RGB features and a nearest-class-mean classifier. */
function nearestMeanAccuracy(train: ImageSet, test: ImageSet, labels: 'fineLabels' | 'coarseLabels', classes: number): number {
  const feats = (s: ImageSet) => {
    const F = new Float64Array(s.count * 192);
    for (let i = 0; i < s.count; i++)
      for (let y = 0; y < 32; y++)
        for (let x = 0; x < 32; x++)
          for (let c = 0; c < 3; c++) F[i * 192 + ((y >> 2) * 8 + (x >> 2)) * 3 + c] += s.images[i * 3072 + (y * 32 + x) * 3 + c]! / 16;
    return F;
  };
  const Ft = feats(train), Fe = feats(test);
  const C = new Float64Array(classes * 192), n = new Float64Array(classes);
  for (let i = 0; i < train.count; i++) {
    const k = train[labels][i]!;
    n[k]!++;
    for (let d = 0; d < 192; d++) C[k * 192 + d]! += Ft[i * 192 + d]!;
  }
  for (let k = 0; k < classes; k++) for (let d = 0; d < 192; d++) C[k * 192 + d]! /= n[k]!;
  let ok = 0;
  for (let i = 0; i < test.count; i++) {
    let best = -1, bd = Infinity;
    for (let k = 0; k < classes; k++) {
      let s = 0;
      for (let d = 0; d < 192; d++) { const z = Fe[i * 192 + d]! - C[k * 192 + d]!; s += z * z; }
      if (s < bd) { bd = s; best = k; }
    }
    if (best === test[labels][i]) ok++;
  }
  return ok / test.count;
}

test('classes are learnable but not trivial: a nearest-class-mean classifier is well above chance and far from perfect', () => {
  const train = generateImageSet(4000, 11, 0), testSet = generateImageSet(1000, 11, 1);
  const fine = nearestMeanAccuracy(train, testSet, 'fineLabels', 100);
  const coarse = nearestMeanAccuracy(train, testSet, 'coarseLabels', 20);
  assert.ok(fine > 0.04, `fine accuracy ${fine} should be well above chance 0.01`);
  assert.ok(coarse > 0.08, `coarse accuracy ${coarse} should be above chance 0.05`);
  assert.ok(fine < 0.6 && coarse < 0.6, `a linear-ish baseline should not solve it: fine ${fine}, coarse ${coarse}`);
});

test('images use the byte range and vary (noise, placement, colour)', () => {
  const set = generateImageSet(200, 2, 0);
  let min = 255, max = 0;
  for (const v of set.images) { if (v < min) min = v; if (v > max) max = v; }
  assert.ok(min < 20 && max > 235, `range ${min}..${max}`);
  // two images of the same class differ
  const f0 = set.fineLabels[0]!;
  const j = set.fineLabels.findIndex((f, i) => i > 0 && f === f0);
  assert.ok(j > 0);
  assert.notDeepEqual(set.images.subarray(0, 3072), set.images.subarray(j * 3072, (j + 1) * 3072));
});

test('makeGeneratedDataset and `npm run make-dataset` write a readable CIFAR-100-format directory with a marker', async () => {
  const { dir, cleanup } = tempDir();
  try {
    const lib = path.join(dir, 'lib');
    const made = await makeGeneratedDataset({ out: lib, train: 150, test: 50, seed: 4 });
    const back = await readCifarDir(lib);
    assert.deepEqual(back.train.images, made.train.images);
    assert.equal(back.test.count, 50);
    assert.equal(JSON.parse(readFileSync(path.join(lib, GENERATED_MARKER), 'utf8')).seed, 4);

    const cli = path.join(dir, 'cli');
    const root = path.resolve(import.meta.dirname, '..', '..');
    const r = spawnSync(process.execPath, ['--import', 'tsx', 'src/cli/make-dataset.ts', '--out', cli, '--train', '150', '--test', '50', '--seed', '4'], { cwd: root, encoding: 'utf8' });
    assert.equal(r.status, 0, r.stderr);
    assert.deepEqual(readFileSync(path.join(cli, 'train.bin')), readFileSync(path.join(lib, 'train.bin')));
    assert.ok(existsSync(path.join(cli, GENERATED_MARKER)));
    const bad = spawnSync(process.execPath, ['--import', 'tsx', 'src/cli/make-dataset.ts', '--out', cli, '--train', '2.5'], { cwd: root, encoding: 'utf8' });
    assert.equal(bad.status, 2);
    assert.match(bad.stderr, /--train: got '2.5'/);
  } finally {
    cleanup();
  }
});
