// BatchNorm's running statistics in one kernel (src/backend/moving-averages.ts): bit-identical to the composite
// tf.add(tf.mul(r, 1 - m), tf.mul(s, w)) on host backends; a model's training step moves them identically.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { tf } from '../../src/backend/tf.ts';
import { initBackend } from '../../src/backend/select.ts';
import { tryRegisterNativeBackend } from '../../src/backend/native/index.ts';
import { MOVING_AVERAGES, movingAverages } from '../../src/backend/moving-averages.ts';
import { Rng } from '../../src/util/random.ts';

const reg = tryRegisterNativeBackend();

for (const backend of ['cpu', 'native'] as const) {
  const skip = backend === 'native' && !reg.registered ? `native backend unavailable: ${reg.reason}` : false;
  test(`${backend}: both statistics equal the composite bit for bit, in one kernel`, { skip }, async () => {
    await initBackend({ backend, quiet: true });
    const rng = new Rng(8);
    for (const [c, momentum, n] of [[16, 0.1, 32 * 32 * 32], [7, 0.01, 5], [64, 0.3, 2]] as const) {
      const vec = (scale: number) => tf.tensor1d(Float32Array.from({ length: c }, () => rng.normal() * scale + scale));
      const [rm, rv, mean, variance] = [vec(1), vec(3), vec(1), vec(3)];
      const unbias = n / (n - 1);
      const names = (await tf.profile(() => tf.dispose(movingAverages(rm, rv, mean, variance, momentum, unbias)))).kernels.map((k) => k.name);
      assert.deepEqual(names, [MOVING_AVERAGES]);
      const [m, v] = movingAverages(rm, rv, mean, variance, momentum, unbias);
      const cm = tf.add(tf.mul(rm, 1 - momentum), tf.mul(mean, momentum));
      const cv = tf.add(tf.mul(rv, 1 - momentum), tf.mul(variance, momentum * unbias));
      assert.deepEqual(Array.from(await m.data()), Array.from(await cm.data()), `mean, C=${c}`);
      assert.deepEqual(Array.from(await v.data()), Array.from(await cv.data()), `variance, C=${c}`);
      tf.dispose([rm, rv, mean, variance, m, v, cm, cv]);
    }
  });
}

test('statistics of different lengths are refused', async () => {
  await initBackend({ backend: 'cpu', quiet: true });
  const a = tf.ones([3]);
  const b = tf.ones([4]);
  assert.throws(() => movingAverages(a, a, b, a, 0.1, 1), /statistics of 3, 3, 4 and 3 entries, expected one length/);
  tf.dispose([a, b]);
});
