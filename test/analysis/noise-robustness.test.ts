import { test, before } from 'node:test';
import assert from 'node:assert/strict';
import { initBackend } from '../../src/backend/select.ts';
import { tf } from '../../src/backend/tf.ts';
import { noiseRobustness, groupAccuracies } from '../../src/analysis/noise-robustness.ts';
import { meanSignModel } from './stand-ins.ts';

before(async () => {
  await initBackend({ backend: 'cpu', quiet: true });
});

test('a classifier of the image mean ignores noise without frequency 0 and is hurt by noise with it', async () => {
  const n = 60;
  const h = 16;
  // Images whose mean is +-0.2 (label 1 / 0) plus spatial texture; the model is right on all of them.
  const y = Int32Array.from({ length: n }, (_, i) => i % 2);
  const x = tf.tidy(() => {
    const texture = tf.randomNormal([n, h, h, 3], 0, 1, 'float32', 8);
    const centred = tf.sub(texture, tf.mean(texture, [1, 2, 3], true));
    const offset = tf.reshape(tf.tensor1d(Array.from(y, (l) => (l ? 0.2 : -0.2))), [n, 1, 1, 1]);
    return tf.add(centred, offset) as tf.Tensor4D;
  });
  const [r] = await noiseRobustness([{ label: 'mean-sign', model: meanSignModel(h) }], { x, y }, {
    frequencies: [0.1, 0.5, 0.9],
    bandwidth: 0.1,
    scale: 2,
    groups: 4,
    batchSize: 25,
  });
  assert.equal(r!.cleanAccuracy, 100);
  // f = 0.1 with half-width 0.1 includes frequency 0: a large constant offset per image flips many signs.
  assert.ok(r!.accuracyChange[0]! < -10, `drop at 0.1π: ${r!.accuracyChange[0]}`);
  assert.ok(r!.changeLower[0]! <= r!.accuracyChange[0]! && r!.changeUpper[0]! >= r!.accuracyChange[0]!);
  // Bands away from 0 add zero-mean noise to every image: no prediction changes.
  assert.equal(r!.accuracyChange[1], 0);
  assert.equal(r!.accuracyChange[2], 0);
  assert.equal(r!.groupDrops[0]!.length, 4);
  x.dispose();
});

test('group accuracies split the images into disjoint near-equal groups', () => {
  const flags = Uint8Array.from([1, 1, 0, 0, 1, 0, 1]);
  assert.deepEqual(groupAccuracies(flags, 1), [(100 * 4) / 7]);
  const g = groupAccuracies(flags, 3); // groups [0,2) [2,4) [4,7)
  assert.deepEqual(g, [100, 0, (100 * 2) / 3]);
});
