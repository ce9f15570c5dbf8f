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
      const batch = batchFor(model.config.imageSize);
      const replay = modelHessianOperator(model, [batch]);
      const fresh = modelHessianOperator(model, [batch], { reuseGraph: false });
      const rng = new Rng(4);
      for (let i = 0; i < 3; i++) {
        const v = normalVector(rng, replay.dim);
        assert.deepEqual(Array.from(await replay.matvec(v)), Array.from(await fresh.matvec(v)), `direction ${i}`);
      }
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
