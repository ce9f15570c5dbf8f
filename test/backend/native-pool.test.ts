// The native backend's buffer pool recycles only buffers no one else can see: arrays returned by dataSync/data,
// tensors sharing storage (reshape, clone) and views stay intact after their tensor is disposed.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { tf } from '../../src/backend/tf.ts';
import { initBackend } from '../../src/backend/select.ts';
import { tryRegisterNativeBackend } from '../../src/backend/native/index.ts';
import { pool, BufferPool } from '../../src/backend/native/buffer-pool.ts';

const reg = tryRegisterNativeBackend();
const skip = reg.registered ? false : `native backend unavailable: ${reg.reason}`;
const N = 4096;

/** Churns same-sized tensors so that any wrongly recycled buffer gets overwritten. */
function churn(): void {
  for (let i = 0; i < 8; i++) tf.tidy(() => tf.mul(tf.add(tf.fill([N], 7 + i), 1), 3).dataSync());
}

test('disposed tensors are recycled (pool hits), values read by the user are not', { skip }, async () => {
  await initBackend({ backend: 'native', quiet: true });
  const a = tf.range(0, N, 1, 'float32');
  const hits0 = pool.stats().hits;
  for (let i = 0; i < 4; i++) tf.tidy(() => tf.add(tf.mul(a, 2), 1)); // intermediates disposed inside tidy
  assert.ok(pool.stats().hits > hits0, 'pool is reused');
  const t = tf.add(a, 1);
  const v = t.dataSync();
  const asyncT = tf.sub(a, 1);
  const w = await asyncT.data();
  t.dispose();
  asyncT.dispose();
  churn();
  assert.equal(v[10], 11, 'dataSync result survives disposal');
  assert.equal(w[10], 9, 'data() result survives disposal');
  a.dispose();
});

test('storage shared between tensors is not recycled while one is alive', { skip }, async () => {
  await initBackend({ backend: 'native', quiet: true });
  const a = tf.range(0, N, 1, 'float32');
  const x = tf.add(a, 5);
  const r = tf.reshape(x, [64, 64]);
  const c = tf.clone(x);
  x.dispose();
  churn();
  assert.equal(r.dataSync()[3], 8);
  assert.equal(c.dataSync()[3], 8);
  r.dispose();
  c.dispose();
  a.dispose();
});

test('BufferPool bookkeeping: views and double attachment are never recycled; cap respected', () => {
  const p = new BufferPool(64 * 1024);
  const x = p.take('float32', 1024);
  p.attach(x);
  p.attach(x.subarray(0, 10)); // aliased by a view
  p.release(x);
  assert.equal(p.stats().pooledBytes, 0);
  const y = p.take('float32', 1024);
  p.attach(y);
  p.release(y);
  assert.equal(p.stats().pooledBytes, 4096);
  const z = p.take('float32', 1024, true);
  assert.equal(z.buffer, y.buffer, 'same-size request reuses the buffer');
  assert.ok(z.every((v) => v === 0), 'zeroed on request');
  const big = p.take('float32', 32 * 1024);
  p.attach(big);
  p.release(big);
  assert.equal(p.stats().pooledBytes, 0, 'bigger than the whole cap: dropped');
  // a new working set evicts sizes not requested lately
  const olds = Array.from({ length: 12 }, () => p.take('float32', 1024));
  olds.forEach((o) => { p.attach(o); p.release(o); });
  assert.equal(p.stats().pooledBytes, 12 * 4096);
  const fresh = Array.from({ length: 6 }, () => p.take('float32', 2048));
  fresh.forEach((o) => { p.attach(o); p.release(o); });
  assert.ok(p.stats().pooledBytes <= 64 * 1024, 'cap respected');
  const again = p.take('float32', 2048);
  assert.ok(fresh.some((o) => o.buffer === again.buffer), 'the recent size class survived eviction');
  const before = p.stats().pooledBytes;
  const e = p.take('int32', 700);
  p.attach(e);
  p.escape(e);
  p.release(e);
  assert.equal(p.stats().pooledBytes, before, 'escaped: dropped');
});
