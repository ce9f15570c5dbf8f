import { test } from 'node:test';
import assert from 'node:assert/strict';
import { initBackend, parseBackendName } from '../../src/backend/select.ts';
import { tf } from '../../src/backend/tf.ts';

test('explicit cpu backend is selected and computes', async () => {
  const info = await initBackend({ backend: 'cpu', quiet: true });
  assert.equal(info.name, 'cpu');
  assert.equal(tf.getBackend(), 'cpu');
  const y = tf.matMul(tf.tensor2d([[1, 2]]), tf.tensor2d([[3], [4]]));
  assert.deepEqual(Array.from(y.dataSync()), [11]);
});

test('gradients are registered (second order too)', async () => {
  await initBackend({ backend: 'cpu', quiet: true });
  const g = tf.grad((a: tf.Tensor) => tf.sum(tf.grad((b: tf.Tensor) => tf.sum(tf.pow(b, 3)))(a)));
  // d/da sum(3a^2) = 6a
  assert.deepEqual(Array.from(g(tf.tensor1d([1, 2])).dataSync()), [6, 12]);
});

test('unknown backend names are rejected with the valid list', () => {
  assert.throws(() => parseBackendName('gpu', '--backend'), /--backend: unknown backend 'gpu', expected one of auto, tensorflow, native, wasm, cpu/);
});
