import { test } from 'node:test';
import assert from 'node:assert/strict';
import { subset, subsetIndices } from '../../src/data/subset.ts';
import { generateImageSet } from '../../src/data/generate.ts';
import { patternSet } from './helpers.ts';

function classCounts(labels: Int32Array, classes: number): number[] {
  const c = new Array(classes).fill(0);
  for (const l of labels) c[l]++;
  return c;
}

const train = generateImageSet(3000, 9, 0); // 30 per class
const testSet = generateImageSet(1000, 9, 1); // 10 per class

test('subset is class-balanced (sizes divisible by the classes, and not)', () => {
  for (const size of [100, 600, 1500]) {
    const s = subset(train, { size, seed: 1 });
    assert.equal(s.count, size);
    const counts = classCounts(s.fineLabels, 100);
    assert.ok(counts.every((n) => n === size / 100), `size ${size}: ${counts}`);
  }
  const odd = subset(train, { size: 250, seed: 1 });
  const counts = classCounts(odd.fineLabels, 100);
  assert.equal(odd.count, 250);
  assert.ok(Math.max(...counts) - Math.min(...counts) <= 1, `${counts}`);
  const coarse = subset(train, { size: 200, seed: 1, balanceBy: 'coarse' });
  assert.ok(classCounts(coarse.coarseLabels, 20).every((n) => n === 10));
});

test('subset is deterministic for a seed, differs across seeds, and smaller subsets nest in larger ones', () => {
  const a = subsetIndices(train, { fraction: 0.1, seed: 5 });
  const b = subsetIndices(train, { fraction: 0.1, seed: 5 });
  const c = subsetIndices(train, { fraction: 0.1, seed: 6 });
  assert.deepEqual(a, b);
  assert.notDeepEqual(a, c);
  assert.equal(a.length, 300);
  const small = new Set(subsetIndices(train, { size: 200, seed: 5 }));
  const large = new Set(subsetIndices(train, { size: 1000, seed: 5 }));
  for (const i of small) assert.ok(large.has(i), `index ${i} of the small subset missing from the large one`);
});

test('subset copies the right images and labels, indices ascending and unique; works on the test split', () => {
  const s = subset(testSet, { fraction: 0.3, seed: 2 });
  assert.equal(s.count, 300);
  assert.ok(classCounts(s.fineLabels, 100).every((n) => n === 3));
  for (let k = 1; k < s.indices.length; k++) assert.ok(s.indices[k]! > s.indices[k - 1]!);
  for (let k = 0; k < s.count; k += 37) {
    const i = s.indices[k]!;
    assert.equal(s.fineLabels[k], testSet.fineLabels[i]);
    assert.equal(s.coarseLabels[k], testSet.coarseLabels[i]);
    assert.deepEqual(s.images.subarray(k * 3072, (k + 1) * 3072), testSet.images.subarray(i * 3072, (i + 1) * 3072));
  }
});

test('a class with too few images gives its shortfall to the others', () => {
  // class 0 has 2 images, classes 1 and 2 have 10 each
  const set = patternSet([0, 0, ...new Array(10).fill(1), ...new Array(10).fill(2)]);
  const s = subset(set, { size: 12, seed: 3 });
  assert.deepEqual(classCounts(s.fineLabels, 3), [2, 5, 5]);
});

test('subset rejects impossible requests', () => {
  assert.throws(() => subset(train, { size: 0, seed: 1 }), /size/);
  assert.throws(() => subset(train, { size: 3001, seed: 1 }), /size/);
  assert.throws(() => subset(train, { fraction: 1.5, seed: 1 }), /fraction/);
  assert.throws(() => subset(train, { seed: 1 }), /size or fraction/);
});
