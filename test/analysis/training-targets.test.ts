// The analyses' training targets: the training loop's mixup/CutMix and label smoothing, seeded per batch.
import { test, before } from 'node:test';
import assert from 'node:assert/strict';
import { initBackend } from '../../src/backend/select.ts';
import { tf } from '../../src/backend/tf.ts';
import { PAPER_MIX, trainingTargetBatches } from '../../src/train/training-targets.ts';

before(async () => {
  await initBackend({ backend: 'cpu', quiet: true });
});

test('soft targets: rows sum to 1, smoothing floor s/K, a mixed pair of labels per row; seeded; no mix = smoothed one-hot', () => {
  const K = 10;
  const x = tf.randomUniform([6, 8, 8, 3], 0, 1, 'float32', 3) as tf.Tensor4D;
  const y = Int32Array.from([0, 1, 2, 3, 4, 5]);
  const opts = { batchSize: 4, numClasses: K, mix: true, labelSmoothing: 0.1, seed: 7 };
  const a = trainingTargetBatches(x, y, opts);
  const b = trainingTargetBatches(x, y, opts);
  assert.deepEqual(a.map((t) => t.x.shape[0]), [4, 2]);
  a.forEach((batch, i) => {
    const t = batch.targets.arraySync();
    assert.deepEqual(batch.targets.dataSync(), b[i]!.targets.dataSync(), 'same seed, same draw');
    assert.deepEqual(batch.x.dataSync(), b[i]!.x.dataSync());
    const labels = y.subarray(i * 4, i * 4 + t.length);
    t.forEach((row, r) => {
      assert.ok(Math.abs(row.reduce((s, v) => s + v, 0) - 1) < 1e-5);
      assert.ok(row.every((v) => v >= 0.1 / K - 1e-7), 'smoothing spreads s/K on every class');
      // the mass above the floor sits on the image's own label and its partner's (the flipped batch)
      const own = labels[r]!;
      const partner = labels[t.length - 1 - r]!;
      row.forEach((v, k) => { if (k !== own && k !== partner) assert.ok(Math.abs(v - 0.1 / K) < 1e-6); });
      assert.ok([own, partner].includes(batch.y[r]!), 'y is the larger-weight label');
    });
  });
  // PAPER_MIX mixes every batch: at least one batch's images differ from the originals
  assert.equal(PAPER_MIX.prob, 1);
  assert.ok(a.some((batch, i) => tf.max(tf.abs(tf.sub(batch.x, tf.slice(x, [i * 4], [batch.x.shape[0]])))).dataSync()[0]! > 0));
  const plain = trainingTargetBatches(x, y, { ...opts, mix: false });
  plain.forEach((batch, i) => {
    assert.deepEqual(batch.x.dataSync(), tf.slice(x, [i * 4], [batch.x.shape[0]]).dataSync());
    batch.targets.arraySync().forEach((row, r) => assert.ok(Math.abs(row[y[i * 4 + r]!]! - (0.9 + 0.1 / K)) < 1e-6));
  });
  tf.dispose([x, ...[...a, ...b, ...plain].flatMap((t) => [t.x, t.targets])]);
});
