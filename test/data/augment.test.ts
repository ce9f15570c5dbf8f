import { test, before } from 'node:test';
import assert from 'node:assert/strict';
import { tf } from '../../src/backend/tf.ts';
import { initBackend } from '../../src/backend/select.ts';
import { cropFlip, augmentImage } from '../../src/data/augment.ts';
import {
  applyRandAugmentOp,
  randAugment,
  RAND_AUGMENT_OPS,
  solarize,
  posterize,
  equalize,
  autocontrast,
  rotate,
  type RandAugmentOp,
} from '../../src/data/augment-randaugment.ts';
import { iterateBatches, denormalizeImages } from '../../src/data/batches.ts';
import { generateImageSet } from '../../src/data/generate.ts';
import { Rng } from '../../src/util/random.ts';
import { patternSet, pixel } from './helpers.ts';

before(async () => {
  await initBackend({ backend: 'cpu', quiet: true });
});

const src = patternSet([0]);
const px = (y: number, x: number, c: number) => pixel(src, 0, y, x, c);

test('cropFlip: shifted crop with zero padding, as specified', () => {
  const out = new Uint8Array(3072);
  for (const [dx, dy] of [[0, 0], [3, -2], [-4, 4], [4, -4]] as const) {
    cropFlip(src.images, 0, out, 0, dx, dy, false);
    for (let y = 0; y < 32; y++)
      for (let x = 0; x < 32; x++)
        for (let c = 0; c < 3; c++) {
          const sy = y + dy, sx = x + dx;
          const want = sy < 0 || sy > 31 || sx < 0 || sx > 31 ? 0 : px(sy, sx, c);
          assert.equal(out[(y * 32 + x) * 3 + c], want, `dx ${dx} dy ${dy} at (${y},${x},${c})`);
        }
  }
});

test('cropFlip: flip mirrors columns and keeps channels', () => {
  const out = new Uint8Array(3072);
  cropFlip(src.images, 0, out, 0, 0, 0, true);
  for (let y = 0; y < 32; y++) for (let x = 0; x < 32; x++) for (let c = 0; c < 3; c++) assert.equal(out[(y * 32 + x) * 3 + c], px(y, 31 - x, c));
  // flip then shift: out[y][x] = in[y+dy][(31-x)+dx]
  cropFlip(src.images, 0, out, 0, 2, 1, true);
  assert.equal(out[(5 * 32 + 10) * 3 + 1], px(6, 31 - 10 + 2, 1));
  assert.equal(out[(5 * 32 + 0) * 3 + 1], 0); // column 31 + 2 is padding
});

/** Which (dx, dy, flip) reproduces `img` from `orig`, or null. */
function findCropFlip(orig: Uint8Array, img: Uint8Array): { dx: number; dy: number; flip: boolean } | null {
  const out = new Uint8Array(3072);
  for (const flip of [false, true])
    for (let dy = -4; dy <= 4; dy++)
      for (let dx = -4; dx <= 4; dx++) {
        cropFlip(orig, 0, out, 0, dx, dy, flip);
        if (out.every((v, i) => v === img[i])) return { dx, dy, flip };
      }
  return null;
}

test('training batches are crops/flips of the originals within ±4 pixels, with varied offsets; evaluation batches are not augmented', () => {
  const set = generateImageSet(64, 1, 0);
  const seen = new Set<string>();
  let flips = 0;
  for (const b of iterateBatches(set, { batchSize: 64, shuffle: true, seed: 2, epoch: 0, augment: { crop: true, flip: true } })) {
    const bytes = denormalizeImages(b.x.dataSync() as Float32Array);
    for (let k = 0; k < b.indices.length; k++) {
      const i = b.indices[k]!;
      const found = findCropFlip(set.images.subarray(i * 3072, (i + 1) * 3072), bytes.subarray(k * 3072, (k + 1) * 3072));
      assert.ok(found, `image ${k} is not a ±4 crop/flip of image ${i}`);
      seen.add(`${found.dx},${found.dy}`);
      if (found.flip) flips++;
    }
    tf.dispose([b.x, b.y]);
  }
  assert.ok(seen.size > 20, `only ${seen.size} distinct offsets in 64 images`);
  assert.ok(flips > 15 && flips < 49, `${flips} of 64 flipped`);
  for (const b of iterateBatches(set, { batchSize: 64, shuffle: false, seed: 2, epoch: 0, augment: false })) {
    assert.deepEqual(denormalizeImages(b.x.dataSync() as Float32Array), set.images);
    tf.dispose([b.x, b.y]);
  }
});

test('flip-only augmentation leaves each image either unchanged or mirrored', () => {
  const set = generateImageSet(32, 2, 0);
  const out = new Uint8Array(3072);
  const rng = new Rng(5);
  let mirrored = 0;
  for (let i = 0; i < 32; i++) {
    const a = augmentImage(set.images, i * 3072, out, 0, { crop: false, flip: true }, rng);
    assert.equal(a.dx, 0);
    assert.equal(a.dy, 0);
    const orig = set.images.subarray(i * 3072, (i + 1) * 3072);
    const flipped = new Uint8Array(3072);
    cropFlip(orig, 0, flipped, 0, 0, 0, true);
    assert.deepEqual(out, a.flip ? flipped : orig);
    if (a.flip) mirrored++;
  }
  assert.ok(mirrored > 4 && mirrored < 28);
});

test('RandAugment is deterministic for an rng state and changes images at the paper settings', () => {
  const set = generateImageSet(40, 3, 0);
  const opts = { ops: 2, magnitude: 9, magnitudeStd: 1 };
  const run = (seed: number) => {
    const rng = new Rng(seed);
    const imgs = Uint8Array.from(set.images);
    const ops: string[][] = [];
    for (let i = 0; i < 40; i++) ops.push(randAugment(imgs.subarray(i * 3072, (i + 1) * 3072), opts, rng));
    return { imgs, ops };
  };
  const a = run(1), b = run(1), c = run(2);
  assert.deepEqual(a.imgs, b.imgs);
  assert.deepEqual(a.ops, b.ops);
  assert.notDeepEqual(a.imgs, c.imgs);
  const applied = a.ops.flat();
  // 2 ops with probability 0.5 each: about 40 applied of 80 drawn
  assert.ok(applied.length > 20 && applied.length < 60, `${applied.length} ops applied`);
  assert.ok(new Set(applied).size >= 8, `only ${new Set(applied).size} distinct ops`);
  let changed = 0;
  for (let i = 0; i < 40; i++) {
    const same = a.imgs.subarray(i * 3072, (i + 1) * 3072).every((v, k) => v === set.images[i * 3072 + k]);
    if (!same) changed++;
    if (a.ops[i]!.length === 0) assert.ok(same, `image ${i} changed with no op applied`);
  }
  assert.ok(changed > 15, `${changed} images changed`);
});

test('every RandAugment op: magnitude 0 is the identity (geometric/enhance/solarize/posterize), magnitude 10 changes the image, values stay bytes', () => {
  const set = generateImageSet(4, 6, 0);
  const img0 = set.images.subarray(0, 3072);
  for (const op of RAND_AUGMENT_OPS) {
    const a = Uint8Array.from(img0);
    applyRandAugmentOp(a, op, 0, 1);
    if (!['autocontrast', 'equalize'].includes(op)) assert.deepEqual(a, img0, `${op} at magnitude 0`);
    for (const sign of [1, -1] as const) {
      const b = Uint8Array.from(img0);
      applyRandAugmentOp(b, op as RandAugmentOp, 10, sign);
      assert.ok(b instanceof Uint8Array && b.length === 3072);
      if (op !== 'identity') assert.notDeepEqual(b, img0, `${op} at magnitude 10, sign ${sign}`);
      else assert.deepEqual(b, img0);
    }
  }
});

test('geometric ops move pixels as specified', () => {
  const img = Uint8Array.from(src.images);
  // translateX at magnitude m shifts content by -sign*0.45*32*m/10: source x = x + p
  const m = 10 * (4 / (0.45 * 32)); // p = 4 pixels exactly
  const t = Uint8Array.from(img);
  const p = applyRandAugmentOp(t, 'translateX', m, 1)!;
  assert.ok(Math.abs(p - 4) < 1e-9);
  for (let y = 0; y < 32; y++)
    for (let x = 0; x < 28; x++) assert.equal(t[(y * 32 + x) * 3], px(y, x + 4, 0), `translate at (${y},${x})`);
  assert.equal(t[(0 * 32 + 31) * 3], Math.round(0.5071 * 255)); // filled with the mean colour
  // rotate: magnitude is clipped to 10, i.e. 30°
  assert.equal(applyRandAugmentOp(Uint8Array.from(img), 'rotate', 25, -1), -30);
  // 90° counter-clockwise: the top-right corner goes to the top-left
  const r90 = Uint8Array.from(img);
  rotate(r90, 90);
  for (let y = 0; y < 32; y++) for (let x = 0; x < 32; x++) assert.equal(r90[(y * 32 + x) * 3 + 2], px(x, 31 - y, 2), `rot90 at (${y},${x})`);
});

test('colour ops: solarize, posterize, equalize, autocontrast', () => {
  const ramp = new Uint8Array(3 * 256);
  for (let v = 0; v < 256; v++) for (let c = 0; c < 3; c++) ramp[v * 3 + c] = v;
  const s = Uint8Array.from(ramp);
  solarize(s, 128);
  for (let v = 0; v < 256; v++) assert.equal(s[v * 3], v >= 128 ? 255 - v : v);
  const p = Uint8Array.from(ramp);
  posterize(p, 4);
  for (let v = 0; v < 256; v++) assert.equal(p[v * 3 + 1], v & 0xf0);
  // a low-contrast image spans 0..255 after autocontrast, and equalize spreads a skewed histogram
  const low = new Uint8Array(3072);
  for (let i = 0; i < 3072; i++) low[i] = 100 + ((i * 7) % 50);
  const ac = Uint8Array.from(low);
  autocontrast(ac);
  assert.equal(Math.min(...ac), 0);
  assert.equal(Math.max(...ac), 255);
  const eq = Uint8Array.from(low);
  equalize(eq);
  assert.ok(Math.max(...eq) - Math.min(...eq) > 200, `equalized range ${Math.min(...eq)}..${Math.max(...eq)}`);
  // order preserved
  for (let i = 3; i < 3072; i += 3) if (low[i]! > low[i - 3]!) assert.ok(eq[i]! >= eq[i - 3]!);
});

test('RandAugment batches stay inside the normalised byte range', () => {
  const set = generateImageSet(48, 8, 0);
  const lo = [0, 1, 2].map((c) => (0 - [0.5071, 0.4867, 0.4408][c]!) / [0.2675, 0.2565, 0.2761][c]!);
  const hi = [0, 1, 2].map((c) => (1 - [0.5071, 0.4867, 0.4408][c]!) / [0.2675, 0.2565, 0.2761][c]!);
  for (const b of iterateBatches(set, { batchSize: 48, shuffle: true, seed: 1, epoch: 0, augment: { crop: true, flip: true, randAugment: { ops: 2, magnitude: 9, magnitudeStd: 1 } } })) {
    const v = b.x.dataSync();
    for (let i = 0; i < v.length; i++) {
      const c = i % 3;
      assert.ok(v[i]! >= lo[c]! - 1e-5 && v[i]! <= hi[c]! + 1e-5);
    }
    tf.dispose([b.x, b.y]);
  }
});
