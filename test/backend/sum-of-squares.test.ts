// One kernel for the global gradient norm (src/backend/sum-of-squares.ts): the same value as the composite
// Σ sum(square(t)) on every backend here, float64 accumulation on host backends, empty and odd sizes included.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { tf } from '../../src/backend/tf.ts';
import { initBackend } from '../../src/backend/select.ts';
import { tryRegisterNativeBackend } from '../../src/backend/native/index.ts';
import { SUM_OF_SQUARES, sumOfSquares } from '../../src/backend/sum-of-squares.ts';
import { globalNorm } from '../../src/train/clip.ts';
import { Rng } from '../../src/util/random.ts';

const reg = tryRegisterNativeBackend();

for (const backend of ['cpu', 'native'] as const) {
  const skip = backend === 'native' && !reg.registered ? `native backend unavailable: ${reg.reason}` : false;
  test(`${backend}: sum of squares of many tensors equals the float64 sum; the global norm uses it`, { skip }, async () => {
    await initBackend({ backend, quiet: true });
    assert.ok(tf.getKernel(SUM_OF_SQUARES, backend), 'kernel registered');
    const rng = new Rng(5);
    const shapes = [[3, 5], [7], [0], [2, 3, 4], [1], [1001]];
    const arrays = shapes.map((s) => Float32Array.from({ length: s.reduce((a, b) => a * b, 1) }, () => rng.normal() * 3));
    const ts = shapes.map((s, i) => tf.tensor(arrays[i]!, s, 'float32'));
    let exact = 0;
    for (const a of arrays) for (const x of a) exact += x * x;
    const got = sumOfSquares(ts);
    assert.equal(got.shape.length, 0);
    assert.equal((await got.data())[0], Math.fround(exact));
    const composite = tf.addN(ts.map((t) => tf.sum(tf.square(t))));
    const c = (await composite.data())[0]!;
    assert.ok(Math.abs(c - exact) <= 1e-5 * exact, `composite ${c} vs ${exact}`);
    const norm = await globalNorm(new Map(ts.map((t, i) => [`p${i}`, t])));
    assert.ok(Math.abs(norm - Math.sqrt(exact)) <= 1e-6 * Math.sqrt(exact), `norm ${norm} vs ${Math.sqrt(exact)}`);
    assert.equal((await sumOfSquares([]).data())[0], 0);
    tf.dispose([...ts, got, composite]);
  });
}

test('int32 tensors fall back to the composite', async () => {
  await initBackend({ backend: 'cpu', quiet: true });
  const t = tf.tensor([1, 2, 3], [3], 'int32');
  const s = sumOfSquares([t]);
  assert.equal((await s.data())[0], 14);
  tf.dispose([t, s]);
});

test("native: the addon's sum spans chunks of several arrays in float64 and gives the same bits on 1 and 2 threads", { skip: reg.registered ? false : `native backend unavailable: ${reg.reason}` }, async () => {
  await initBackend({ backend: 'native', quiet: true });
  const { addon } = await import('../../src/backend/native/addon.ts');
  const native = addon();
  const rng = new Rng(6);
  // several 65,536-entry chunks, a ragged tail, an empty and a one-entry array
  const arrays = [200_003, 0, 1, 70_000].map((n) => Float32Array.from({ length: n }, () => rng.normal() * 2));
  let exact = 0;
  for (const a of arrays) for (const x of a) exact += x * x;
  const threads = native.threads();
  try {
    native.setThreads(1);
    const one = native.sumOfSquares(arrays);
    native.setThreads(2);
    const two = native.sumOfSquares(arrays);
    assert.equal(two, one);
    assert.ok(Math.abs(one - exact) <= 1e-12 * exact, `${one} vs ${exact}`);
  } finally {
    native.setThreads(threads);
  }
  const ts = arrays.map((a) => tf.tensor(a, [a.length], 'float32'));
  const got = sumOfSquares(ts);
  assert.equal((await got.data())[0], Math.fround(native.sumOfSquares(arrays)));
  tf.dispose([...ts, got]);
  assert.throws(() => native.sumOfSquares([new Float64Array(3) as unknown as Float32Array]), /expected an array of Float32Arrays/);
});
