// Exact products from a recorded graph (src/backend/recorded-graph.ts, the operator's reuseGraph): the forward and
// first backward pass recorded once, the last backward pass replayed per product. Same products to the bit as
// recomputing everything, for five model families on cpu and native; rebuilt when the point or a BatchNorm buffer
// changes; the recorded tensors are freed by dispose().
import { test } from 'node:test';
import assert from 'node:assert/strict';
import '../support/presets.ts';
import { tf } from '../../src/backend/tf.ts';
import { initBackend } from '../../src/backend/select.ts';
import { tryRegisterNativeBackend } from '../../src/backend/native/index.ts';
import { recordGraph } from '../../src/backend/recorded-graph.ts';
import { createModel } from '../../src/models/index.ts';
import { modelHessianOperator } from '../../src/hessian/model-operator.ts';
import { Rng, normalVector } from '../../src/util/random.ts';
import { randomiseHead } from '../support/away-from-init.ts';

const reg = tryRegisterNativeBackend();

function batchFor(size: number): { x: tf.Tensor4D; y: tf.Tensor1D } {
  return { x: tf.randomNormal([3, size, size, 3], 0, 1, 'float32', 5) as tf.Tensor4D, y: tf.tensor1d([1, 0, 2], 'int32') };
}

for (const backend of ['cpu', 'native'] as const) {
  const skip = backend === 'native' && !reg.registered ? `native backend unavailable: ${reg.reason}` : false;
  for (const preset of ['vit-tiny-test', 'resnet-tiny-test', 'swin-tiny-test', 'alternet-tiny-test', 'mobilevit-tiny-test', 'pit-tiny-test', 'mixer-tiny-test']) {
    test(`${backend} ${preset}: replayed products equal recomputed ones bit for bit, three directions`, { skip }, async () => {
      await initBackend({ backend, quiet: true });
      const model = createModel(preset, { seed: 3 });
      const head = randomiseHead(model, 30);
      const batch = batchFor(model.config.imageSize);
      const replay = modelHessianOperator(model, [batch]);
      const fresh = modelHessianOperator(model, [batch], { reuseGraph: false });
      const rng = new Rng(4);
      for (let i = 0; i < 3; i++) {
        const v = normalVector(rng, replay.dim);
        assert.deepEqual(Array.from(await replay.matvec(v)), Array.from(await fresh.matvec(v)), `direction ${i}`);
      }
      // the body's own block is not zero (with a zero head, mixer's would be): the comparison covers its second derivatives
      const body = modelHessianOperator(model, [batch], { names: replay.names.filter((n) => !head.includes(n)) });
      const hv = await body.matvec(normalVector(rng, body.dim));
      assert.ok(hv.some((x) => x !== 0), 'the body block of the Hessian is zero');
      body.dispose();
      replay.dispose();
      fresh.dispose();
      model.dispose();
      tf.dispose([batch.x, batch.y]);
    });
  }
}

test('the recorded graph is rebuilt when a parameter or a BatchNorm buffer changes, and freed by dispose()', async () => {
  await initBackend({ backend: 'cpu', quiet: true });
  const model = createModel('resnet-tiny-test', { seed: 8 });
  const batch = batchFor(model.config.imageSize);
  const before = tf.memory().numTensors;
  const op = modelHessianOperator(model, [batch]);
  const v = normalVector(new Rng(9), op.dim);
  const first = await op.matvec(v);
  assert.ok(tf.memory().numTensors > before, 'the graph holds tensors between products');
  const held = tf.memory().numTensors;
  await op.matvec(v);
  assert.equal(tf.memory().numTensors, held, 'a replayed product frees what it made');
  const expectFresh = async (what: string) => {
    const fresh = modelHessianOperator(model, [batch], { reuseGraph: false });
    const want = await fresh.matvec(v);
    fresh.dispose();
    const got = await op.matvec(v);
    assert.deepEqual(Array.from(got), Array.from(want), what);
    assert.notDeepEqual(Array.from(got), Array.from(first), `${what}: the product changed`);
  };
  const [pname, p] = [...model.params.entries()][0]!;
  tf.tidy(() => p.assign(tf.mul(p, 1.5)));
  await expectFresh(`after assigning ${pname}`);
  const [bname, buf] = [...model.buffers.entries()].find(([n]) => n.endsWith('running_var'))!;
  tf.tidy(() => buf.assign(tf.add(buf, 0.5)));
  await expectFresh(`after assigning ${bname}`);
  op.dispose();
  assert.equal(tf.memory().numTensors, before, 'dispose() frees the recorded graph');
  model.dispose();
  tf.dispose([batch.x, batch.y]);
});

test('recordGraph: backprop from several outputs with given adjoints equals tf.grads of the weighted sum', async () => {
  await initBackend({ backend: 'cpu', quiet: true });
  const a = tf.tensor1d([0.3, -1.2, 2]);
  const b = tf.tensor1d([1.5, 0.5, -0.7]);
  const f = () => [tf.mul(tf.sin(a), b), tf.sum(tf.exp(tf.mul(a, b)))];
  const g = recordGraph([a, b], f);
  const s0 = tf.tensor1d([1, 2, 3]);
  const s1 = tf.scalar(0.5);
  for (let i = 0; i < 2; i++) {
    const got = g.backprop([s0, s1]);
    const want = tf.grads((p: tf.Tensor, q: tf.Tensor) => tf.add(tf.sum(tf.mul(tf.mul(tf.sin(p), q), s0)), tf.mul(tf.sum(tf.exp(tf.mul(p, q))), s1)))([a, b]);
    for (let k = 0; k < 2; k++) assert.deepEqual(Array.from(await got[k]!.data()), Array.from(await want[k]!.data()));
    tf.dispose([...got, ...want]);
  }
  assert.ok(!s0.isDisposed && !s1.isDisposed, "the caller's seeds are left alone");
  assert.throws(() => g.backprop([s0]), /1 seeds for 2 outputs/);
  g.dispose();
  assert.throws(() => g.backprop([s0, s1]), /disposed/);
  assert.throws(() => tf.grad((z: tf.Tensor) => { recordGraph([z], () => [z]); return tf.sum(z); })(a), /inside a gradient computation/);
  tf.dispose([a, b, s0, s1]);
});

test('a recorded graph over the memory budget serves its product and is dropped; later products recompute', async () => {
  await initBackend({ backend: 'cpu', quiet: true });
  const model = createModel('vit-tiny-test', { seed: 2 });
  const batch = batchFor(model.config.imageSize);
  const before = tf.memory().numTensors;
  const small = modelHessianOperator(model, [batch], { graphBudgetBytes: 1 });
  const fresh = modelHessianOperator(model, [batch], { reuseGraph: false });
  const rng = new Rng(3);
  for (let i = 0; i < 2; i++) {
    const v = normalVector(rng, small.dim);
    assert.deepEqual(Array.from(await small.matvec(v)), Array.from(await fresh.matvec(v)), `product ${i}`);
    assert.equal(tf.memory().numTensors, before, `nothing held after product ${i}`);
  }
  small.dispose();
  fresh.dispose();
  model.dispose();
  tf.dispose([batch.x, batch.y]);
});

test('a recorded graph counts each data buffer once, however many reshaped views hold it', async () => {
  await initBackend({ backend: 'cpu', quiet: true });
  const n = 1000;
  const x = tf.randomNormal([n], 0, 1, 'float32', 9);
  const before = tf.memory().numBytes;
  // one n-float intermediate (2x), seen through two reshapes that Reshape's gradient saves as separate tensors
  const graph = recordGraph([x], () => [tf.sum(tf.square(tf.reshape(tf.reshape(tf.mul(x, 2), [10, n / 10]), [n])))]);
  const counted = tf.memory().numBytes - before;
  // x, 2x and (2x)² are the only n-float buffers; numBytes counts 2x once per view as well
  assert.ok(graph.bytes >= 3 * 4 * n && graph.bytes < 4 * 4 * n, `graph bytes ${graph.bytes}`);
  assert.ok(counted >= graph.bytes + 2 * 4 * n, `numBytes counted ${counted}, graph bytes ${graph.bytes}`);
  graph.dispose();
  x.dispose();
});

test('a replayed backward pass frees each adjoint once its producer has used it', async () => {
  await initBackend({ backend: 'cpu', quiet: true });
  const n = 10_000;
  const depth = 40;
  const x = tf.randomNormal([n], 0, 1, 'float32', 8);
  // the probe's gradient runs last in the backward pass and reads how many bytes that pass holds by then
  let heldAtEnd = Number.NaN;
  let start = 0;
  const probe = tf.customGrad((...args: (tf.Tensor | tf.GradSaveFunc)[]) => ({
    value: tf.clone(args[0] as tf.Tensor),
    gradFunc: (dy: tf.Tensor | tf.Tensor[]) => {
      heldAtEnd = tf.memory().numBytes - start;
      return tf.clone(dy as tf.Tensor);
    },
  }));
  const graph = recordGraph([x], () => {
    let y = probe(x) as tf.Tensor;
    for (let i = 0; i < depth; i++) y = tf.tanh(y);
    return [tf.sum(y)];
  });
  start = tf.memory().numBytes;
  const seed = tf.scalar(1);
  const [g] = graph.backprop([seed]);
  // a chain keeps about one adjoint alive at a time; holding every one would be depth x n floats
  assert.ok(heldAtEnd < 8 * 4 * n, `the pass held ${heldAtEnd} bytes at its end (${depth} adjoints of ${4 * n} bytes would be ${depth * 4 * n})`);
  assert.equal(g!.shape[0], n);
  tf.dispose([g!, seed]);
  graph.dispose();
  x.dispose();
});

test('several batches: graphs held while they fit the budget, the rest recorded per product; all equal the reference bit for bit', async () => {
  await initBackend({ backend: 'cpu', quiet: true });
  const model = createModel('vit-tiny-test', { seed: 2 });
  const batches = [0, 1, 2].map((i) => ({ x: tf.randomNormal([3, model.config.imageSize, model.config.imageSize, 3], 0, 1, 'float32', 20 + i) as tf.Tensor4D, y: tf.tensor1d([i, 1, 2], 'int32') }));
  const reference = modelHessianOperator(model, batches, { reuseGraph: false });
  const rng = new Rng(5);
  const vs = [normalVector(rng, reference.dim), normalVector(rng, reference.dim)];
  const expected = await Promise.all(vs.map(async (v) => Array.from(await reference.matvec(v))));
  reference.dispose();
  const before = tf.memory().numTensors;
  for (const budget of [1, 2 ** 40]) {
    const op = modelHessianOperator(model, batches, { graphBudgetBytes: budget });
    for (let i = 0; i < vs.length; i++) assert.deepEqual(Array.from(await op.matvec(vs[i]!)), expected[i], `budget ${budget}, direction ${i}`);
    const held = tf.memory().numTensors - before;
    if (budget === 1) assert.equal(held, 0, 'nothing held under a 1-byte budget');
    else assert.ok(held > 0, 'graphs held under an ample budget');
    op.dispose();
    assert.equal(tf.memory().numTensors, before, `budget ${budget}: dispose frees the graphs`);
  }
  model.dispose();
  tf.dispose(batches.flatMap((b) => [b.x, b.y]));
});

test('a batch larger than graphImages is split into chunks: the same products, loss and gradient, float32 rounding apart', async () => {
  await initBackend({ backend: 'cpu', quiet: true });
  const model = createModel('vit-tiny-test', { seed: 4 });
  const size = model.config.imageSize;
  const batch = { x: tf.randomNormal([5, size, size, 3], 0, 1, 'float32', 31) as tf.Tensor4D, y: tf.tensor1d([0, 1, 2, 1, 0], 'int32') };
  const before = tf.memory().numTensors;
  const whole = modelHessianOperator(model, [batch], { graphImages: 0 });
  const split = modelHessianOperator(model, [batch], { graphImages: 2 });
  const v = normalVector(new Rng(6), whole.dim);
  const a = await whole.matvec(v);
  const b = await split.matvec(v);
  let num = 0;
  let den = 0;
  for (let i = 0; i < a.length; i++) {
    num += (a[i]! - b[i]!) ** 2;
    den += a[i]! ** 2;
  }
  assert.ok(den > 0 && Math.sqrt(num / den) < 1e-5, `relative difference ${Math.sqrt(num / den)}`);
  assert.ok(Array.from(a).some((x, i) => x !== b[i]), 'the split really sums in another order (else this test checks nothing)');
  const ga = await whole.lossAndGradient();
  const gb = await split.lossAndGradient();
  assert.ok(Math.abs(ga.loss - gb.loss) < 1e-6 * Math.abs(ga.loss), `loss ${ga.loss} vs ${gb.loss}`);
  whole.dispose();
  split.dispose();
  assert.equal(tf.memory().numTensors, before, 'the chunks are freed with the operator');
  assert.throws(() => modelHessianOperator(model, [batch], { graphImages: 1.5 }), /graphImages must be a whole number/);
  model.dispose();
  tf.dispose([batch.x, batch.y]);
});
