import { test, before } from 'node:test';
import assert from 'node:assert/strict';
import { initBackend } from '../../src/backend/select.ts';
import { tf } from '../../src/backend/tf.ts';
import { featureMapVariance } from '../../src/analysis/variance.ts';
import { lcg } from './helpers.ts';

before(async () => {
  await initBackend({ backend: 'cpu', quiet: true });
});

test('a constant map has zero variance', async () => {
  assert.equal(await featureMapVariance(tf.fill([3, 8, 8, 4], 2.5) as tf.Tensor4D), 0);
});

test('equals the unbiased spatial variance per channel averaged over batch and channels', async () => {
  const [b, h, w, c] = [3, 5, 4, 2];
  const rand = lcg(21);
  const data = Float32Array.from({ length: b * h * w * c }, () => 3 * rand() + 1);
  let expected = 0;
  for (let bi = 0; bi < b; bi++) {
    for (let ci = 0; ci < c; ci++) {
      const vals: number[] = [];
      for (let p = 0; p < h * w; p++) vals.push(data[(bi * h * w + p) * c + ci]!);
      const m = vals.reduce((s, v) => s + v, 0) / vals.length;
      expected += vals.reduce((s, v) => s + (v - m) ** 2, 0) / (vals.length - 1);
    }
  }
  expected /= b * c;
  const got = await featureMapVariance(tf.tensor4d(data, [b, h, w, c]));
  assert.ok(Math.abs(got - expected) < 1e-5 * expected, `got ${got}, expected ${expected}`);
});

test('variance is spatial: a map constant in space but varying over channels and batch has zero variance', async () => {
  const x = tf.tile(tf.reshape(tf.tensor1d([1, -4, 9]), [1, 1, 1, 3]), [2, 6, 6, 1]).mul(tf.reshape(tf.tensor1d([1, 3]), [2, 1, 1, 1]));
  assert.equal(await featureMapVariance(x as tf.Tensor4D), 0);
});

test('scaling a map by a scales its variance by a^2; 1 x 1 maps give NaN', async () => {
  const x = tf.randomNormal([2, 6, 6, 3], 0, 1, 'float32', 2) as tf.Tensor4D;
  const v = await featureMapVariance(x);
  assert.ok(v > 0.5 && v < 1.5, `unit normal variance ${v}`);
  assert.ok(Math.abs((await featureMapVariance(tf.mul(x, 3) as tf.Tensor4D)) / v - 9) < 1e-4);
  assert.ok(Number.isNaN(await featureMapVariance(tf.ones([2, 1, 1, 4]) as tf.Tensor4D)));
  await assert.rejects(featureMapVariance(tf.ones([2, 4]) as unknown as tf.Tensor4D), /NHWC/);
});
