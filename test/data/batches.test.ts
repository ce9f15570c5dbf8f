import { test, before } from 'node:test';
import assert from 'node:assert/strict';
import { tf } from '../../src/backend/tf.ts';
import { initBackend } from '../../src/backend/select.ts';
import { iterateBatches, batchCount, normalizeImages, denormalizeImages, toTensor, epochOrder } from '../../src/data/batches.ts';
import { CIFAR100_MEAN, CIFAR100_STD } from '../../src/data/types.ts';
import { generateImageSet } from '../../src/data/generate.ts';
import { patternSet } from './helpers.ts';

before(async () => {
  await initBackend({ backend: 'cpu', quiet: true });
});

const set = generateImageSet(250, 4, 0);

test('normalizeImages applies (v/255 - mean_c)/std_c per channel; statistics of a uniform byte ramp', () => {
  // every byte value once in every channel
  const bytes = new Uint8Array(256 * 3);
  for (let v = 0; v < 256; v++) for (let c = 0; c < 3; c++) bytes[v * 3 + c] = v;
  const out = normalizeImages(bytes, 1);
  for (let c = 0; c < 3; c++) {
    let s = 0, s2 = 0;
    for (let v = 0; v < 256; v++) {
      const x = out[v * 3 + c]!;
      assert.ok(Math.abs(x - (v / 255 - CIFAR100_MEAN[c]!) / CIFAR100_STD[c]!) < 1e-6);
      s += x;
      s2 += x * x;
    }
    const mean = s / 256, sd = Math.sqrt(s2 / 256 - mean * mean);
    // uniform on {0..255}/255: mean 0.5, sd sqrt((256^2-1)/12)/255
    assert.ok(Math.abs(mean - (0.5 - CIFAR100_MEAN[c]!) / CIFAR100_STD[c]!) < 1e-5, `mean ${mean}`);
    assert.ok(Math.abs(sd - Math.sqrt((256 * 256 - 1) / 12) / 255 / CIFAR100_STD[c]!) < 1e-5, `sd ${sd}`);
  }
  assert.deepEqual(denormalizeImages(out), bytes);
});

test('toTensor gives float32 NHWC whose moments match the bytes', () => {
  const { x, y } = toTensor(set, [0, 1, 2, 3], 'coarse');
  try {
    assert.deepEqual(x.shape, [4, 32, 32, 3]);
    assert.equal(x.dtype, 'float32');
    assert.equal(y.dtype, 'int32');
    assert.deepEqual(Array.from(y.dataSync()), Array.from(set.coarseLabels.subarray(0, 4)));
    const { mean } = tf.moments(x, [0, 1, 2]);
    const m = mean.dataSync();
    for (let c = 0; c < 3; c++) {
      let s = 0;
      for (let i = c; i < 4 * 3072; i += 3) s += set.images[i]!;
      const want = (s / (4 * 1024) / 255 - CIFAR100_MEAN[c]!) / CIFAR100_STD[c]!;
      assert.ok(Math.abs(m[c]! - want) < 1e-4, `channel ${c}: ${m[c]} vs ${want}`);
    }
  } finally {
    tf.dispose([x, y]);
  }
});

test('batchCount and batch shapes, with and without dropLast', () => {
  assert.equal(batchCount(set, 96), 3);
  assert.equal(batchCount(set, 96, true), 2);
  const sizes: number[] = [];
  for (const b of iterateBatches(set, { batchSize: 96, shuffle: true, seed: 1, epoch: 0, augment: false })) {
    sizes.push(b.x.shape[0]);
    assert.equal(b.y.shape[0], b.x.shape[0]);
    assert.equal(b.indices.length, b.x.shape[0]);
    tf.dispose([b.x, b.y]);
  }
  assert.deepEqual(sizes, [96, 96, 58]);
  let n = 0;
  for (const b of iterateBatches(set, { batchSize: 96, shuffle: true, seed: 1, epoch: 0, augment: false, dropLast: true })) {
    n++;
    tf.dispose([b.x, b.y]);
  }
  assert.equal(n, 2);
});

function collect(opts: Parameters<typeof iterateBatches>[1]): { indices: number[][]; x: Float32Array[]; y: number[][] } {
  const out = { indices: [] as number[][], x: [] as Float32Array[], y: [] as number[][] };
  for (const b of iterateBatches(set, opts)) {
    out.indices.push(Array.from(b.indices));
    out.x.push(b.x.dataSync() as Float32Array);
    out.y.push(Array.from(b.y.dataSync()));
    tf.dispose([b.x, b.y]);
  }
  return out;
}

test('an epoch visits every image once; order depends only on (seed, epoch); unshuffled is in order', () => {
  const base = { batchSize: 64, shuffle: true, augment: false, labels: 'fine' as const };
  const a = collect({ ...base, seed: 3, epoch: 2 });
  const all = a.indices.flat().sort((p, q) => p - q);
  assert.deepEqual(all, Array.from({ length: 250 }, (_, i) => i));
  assert.deepEqual(collect({ ...base, seed: 3, epoch: 2 }).indices, a.indices);
  assert.notDeepEqual(collect({ ...base, seed: 3, epoch: 3 }).indices, a.indices);
  assert.notDeepEqual(collect({ ...base, seed: 4, epoch: 2 }).indices, a.indices);
  assert.deepEqual(Array.from(epochOrder(5, false, 1, 1)), [0, 1, 2, 3, 4]);
  // labels follow the indices
  a.indices.forEach((idx, b) => assert.deepEqual(a.y[b], idx.map((i) => set.fineLabels[i]!)));
});

test('a resumed run (startBatch) sees exactly the same data, augmentation included', () => {
  const opts = { batchSize: 50, shuffle: true, seed: 8, epoch: 1, augment: { crop: true, flip: true, randAugment: { ops: 2, magnitude: 9, magnitudeStd: 1 } } };
  const full = collect(opts);
  const resumed = collect({ ...opts, startBatch: 3 });
  assert.equal(resumed.indices.length, full.indices.length - 3);
  for (let b = 0; b < resumed.indices.length; b++) {
    assert.deepEqual(resumed.indices[b], full.indices[b + 3]);
    assert.deepEqual(resumed.x[b], full.x[b + 3]);
  }
  // and a different epoch augments differently even for the same images
  const other = collect({ ...opts, shuffle: false, epoch: 2 });
  const same = collect({ ...opts, shuffle: false, epoch: 2 });
  const third = collect({ ...opts, shuffle: false, epoch: 3 });
  assert.deepEqual(other.x[0], same.x[0]);
  assert.notDeepEqual(other.x[0], third.x[0]);
});

test('coarse labels option', () => {
  const c = collect({ batchSize: 100, shuffle: true, seed: 1, epoch: 0, augment: false, labels: 'coarse' });
  c.indices.forEach((idx, b) => assert.deepEqual(c.y[b], idx.map((i) => set.coarseLabels[i]!)));
});

test('without augmentation a batch holds exactly the normalised images', () => {
  const p = patternSet([1, 2, 3]);
  for (const b of iterateBatches(p, { batchSize: 3, shuffle: false, seed: 0, epoch: 0, augment: false })) {
    assert.deepEqual(b.x.dataSync(), normalizeImages(p.images, 3));
    tf.dispose([b.x, b.y]);
  }
});
