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

test('auto selection never lands on a backend that cannot train convolutions', async () => {
  const { spawnSync } = await import('node:child_process');
  // A fresh process with the native backend disabled: auto must skip wasm (no Conv2DBackpropFilter) and say why.
  const script = `
    import { initBackend } from './src/backend/select.ts';
    const info = await initBackend({ backend: 'auto', quiet: true, exclude: ['native', 'tensorflow'] });
    console.log(JSON.stringify(info));`;
  const r = spawnSync(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', script], { encoding: 'utf8' });
  assert.equal(r.status, 0, r.stderr);
  const info = JSON.parse(r.stdout.trim().split('\n').pop()!);
  assert.equal(info.name, 'cpu');
  assert.match(info.skipped.find((s: { name: string }) => s.name === 'wasm').reason, /Conv2DBackpropFilter/);
});
