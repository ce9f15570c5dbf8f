import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Rng } from '../../src/util/random.ts';

test('Rng is deterministic for a seed and differs across seeds', () => {
  const a = new Rng(42), b = new Rng(42), c = new Rng(43);
  const xa = Array.from({ length: 5 }, () => a.nextUint32());
  const xb = Array.from({ length: 5 }, () => b.nextUint32());
  const xc = Array.from({ length: 5 }, () => c.nextUint32());
  assert.deepEqual(xa, xb);
  assert.notDeepEqual(xa, xc);
});

test('Rng state round-trips so a checkpoint resumes the same stream', () => {
  const a = new Rng(7);
  for (let i = 0; i < 10; i++) a.uniform();
  const b = new Rng(a.state());
  assert.deepEqual([a.uniform(), a.uniform()], [b.uniform(), b.uniform()]);
});

test('normal draws have mean 0 and variance 1 within sampling error', () => {
  const r = new Rng(1);
  const n = 200000;
  let s = 0, s2 = 0;
  for (let i = 0; i < n; i++) { const x = r.normal(); s += x; s2 += x * x; }
  const mean = s / n, variance = s2 / n - mean * mean;
  assert.ok(Math.abs(mean) < 5 / Math.sqrt(n), `mean ${mean}`);
  assert.ok(Math.abs(variance - 1) < 0.02, `variance ${variance}`);
});

test('beta draws have the right mean', () => {
  const r = new Rng(3);
  const n = 50000;
  let s = 0;
  for (let i = 0; i < n; i++) s += r.beta(0.8, 0.8);
  assert.ok(Math.abs(s / n - 0.5) < 0.01);
  let t = 0;
  for (let i = 0; i < n; i++) t += r.beta(2, 6);
  assert.ok(Math.abs(t / n - 0.25) < 0.01, `${t / n}`);
});

test('permutation contains every index once', () => {
  const p = new Rng(5).permutation(1000);
  assert.deepEqual([...p].sort((x, y) => x - y), Array.from({ length: 1000 }, (_, i) => i));
});
