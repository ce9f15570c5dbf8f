import { test } from 'node:test';
import assert from 'node:assert/strict';
import { tf } from '../../src/backend/tf.ts';
import { crossEntropy, l2Penalty, smoothedOneHot } from '../../src/train/losses.ts';

test('cross-entropy equals -log softmax of the label, computed by hand', () => {
  const logits = [[1, 2, 3], [0, 0, 5]];
  const labels = [2, 0];
  const nll = logits.map((row, i) => {
    const lse = Math.log(row.reduce((s, v) => s + Math.exp(v), 0));
    return lse - row[labels[i]!]!;
  });
  const expected = (nll[0]! + nll[1]!) / 2;
  const got = crossEntropy(tf.tensor2d(logits), tf.tensor1d(labels, 'int32')).dataSync()[0]!;
  assert.ok(Math.abs(got - expected) < 1e-5, `${got} vs ${expected}`);
});

test('label smoothing puts 1 - s + s/K on the label and s/K elsewhere', () => {
  const t = smoothedOneHot(tf.tensor1d([1], 'int32'), 4, 0.1).arraySync()[0]!;
  assert.ok(Math.abs(t[1]! - (0.9 + 0.025)) < 1e-6);
  assert.ok(Math.abs(t[0]! - 0.025) < 1e-6);
  assert.ok(Math.abs(t.reduce((a, b) => a + b, 0) - 1) < 1e-6);
});

test('l2 penalty is coefficient/2 times the sum of squares', () => {
  const v = l2Penalty([tf.tensor1d([1, 2]), tf.tensor2d([[3]])], 0.1).dataSync()[0]!;
  assert.ok(Math.abs(v - 0.05 * 14) < 1e-6);
});
