// Float64 host vectors ⇄ float32 tensors (src/backend/host-vectors.ts): values, bounds, and on the native backend
// pooled storage that is neither lost to reads nor shared with anything the caller keeps.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { tf } from '../../src/backend/tf.ts';
import { initBackend } from '../../src/backend/select.ts';
import { tryRegisterNativeBackend } from '../../src/backend/native/index.ts';
import { pool } from '../../src/backend/native/buffer-pool.ts';
import { readIntoFloat64, tensorsFromFloat64 } from '../../src/backend/host-vectors.ts';

const reg = tryRegisterNativeBackend();
const shapes = [[3, 4], [5], [2, 2, 600]];
const dim = 12 + 5 + 2400;

function vector(n: number, seed: number): Float64Array {
  return Float64Array.from({ length: n }, (_, i) => Math.sin(seed + 0.37 * i) * 10 ** ((i % 7) - 3));
}

for (const backend of ['cpu', 'native'] as const) {
  const skip = backend === 'native' && !reg.registered ? `native backend unavailable: ${reg.reason}` : false;

  test(`${backend}: pieces from an offset have the shapes and float32-rounded values; reading them back restores them`, { skip }, async () => {
    await initBackend({ backend, quiet: true });
    const v = vector(dim + 7, 1);
    const parts = tensorsFromFloat64(v, shapes, 7);
    assert.deepEqual(parts.map((t) => t.shape), shapes);
    const doubled = parts.map((t) => tf.mul(t, 2));
    const out = new Float64Array(dim + 3).fill(-1);
    const back = await readIntoFloat64(doubled, out, 3);
    assert.equal(back, out, 'writes into the given vector');
    assert.deepEqual([out[0], out[1], out[2]], [-1, -1, -1], 'leaves what precedes the offset');
    for (let i = 0; i < dim; i++) assert.equal(out[3 + i], 2 * Math.fround(v[7 + i]!), `entry ${i}`);
    tf.dispose([...parts, ...doubled]);
  });

  test(`${backend}: pieces that do not fit and non-float32 tensors are refused`, { skip }, async () => {
    await initBackend({ backend, quiet: true });
    assert.throws(() => tensorsFromFloat64(new Float64Array(10), [[11]]), /11 values from offset 0 do not fit a vector of length 10/);
    assert.throws(() => tensorsFromFloat64(new Float64Array(10), [[5]], 6), /from offset 6/);
    const t = tf.ones([4]);
    await assert.rejects(readIntoFloat64([t], new Float64Array(3)), /4 values from offset 0 do not fit a vector of length 3/);
    const i = tf.ones([2], 'int32');
    await assert.rejects(readIntoFloat64([i], new Float64Array(3)), /expected float32/);
    tf.dispose([t, i]);
  });
}

test('native: storage comes from the pool and goes back to it, reads included', { skip: reg.registered ? false : `native backend unavailable: ${reg.reason}` }, async () => {
  await initBackend({ backend: 'native', quiet: true });
  const v = vector(dim, 2);
  const out = new Float64Array(dim);
  // warm the pool with these sizes, then every round must be served from it
  for (let r = 0; r < 2; r++) {
    const parts = tensorsFromFloat64(v, shapes);
    const sq = parts.map((t) => tf.square(t));
    await readIntoFloat64(sq, out);
    tf.dispose([...parts, ...sq]);
  }
  const s0 = pool.stats();
  for (let r = 0; r < 3; r++) {
    const parts = tensorsFromFloat64(v, shapes);
    const sq = parts.map((t) => tf.square(t));
    await readIntoFloat64(sq, out);
    tf.dispose([...parts, ...sq]);
  }
  const s1 = pool.stats();
  assert.equal(s1.misses, s0.misses, 'no fresh allocation once the pool holds the sizes (reads do not make buffers escape)');
  assert.ok(s1.hits > s0.hits, 'pool hits');
  // the values read are copies: recycling the tensors' storage does not change them
  const kept = Float64Array.from(out);
  for (let r = 0; r < 2; r++) tf.tidy(() => tensorsFromFloat64(vector(dim, 9 + r), shapes).map((t) => tf.neg(t)));
  assert.deepEqual(out, kept);
});

test('native: a large vector (split across threads) rounds to float32 as JavaScript does, ties and extremes included', { skip: reg.registered ? false : `native backend unavailable: ${reg.reason}` }, async () => {
  await initBackend({ backend: 'native', quiet: true });
  const n = 300_001;
  const v = new Float64Array(n);
  for (let i = 0; i < n; i++) {
    const f = Math.fround(Math.sin(i) * 10 ** ((i % 13) - 6));
    // halfway between two float32 neighbours (round to even), just beside it, overflow to infinity, subnormals
    if (i % 5 === 0) v[i] = f + (Math.fround(f * (1 + 2 ** -23)) - f) / 2;
    else if (i % 5 === 1) v[i] = f * (1 + 2 ** -30);
    else if (i % 5 === 2) v[i] = i % 2 ? 3.5e38 : -1e-46;
    else v[i] = Math.sin(i) * 1e3;
  }
  const [t] = tensorsFromFloat64(v, [[n]]);
  const back = await readIntoFloat64([t!], new Float64Array(n + 1), 1);
  for (let i = 0; i < n; i++) if (!Object.is(back[i + 1], Math.fround(v[i]!))) assert.fail(`entry ${i}: ${v[i]} -> ${back[i + 1]}, expected ${Math.fround(v[i]!)}`);
  t!.dispose();
});
