// Gradients and exact Hessian-vector products (nested tf.grads through lossOfParams) of a tiny
// model of every family agree with central finite differences; on cpu and, when it initialises,
// on the native backend. Each model also trains one step.
import { test } from 'node:test';
import { TEST_PRESETS } from '../support/presets.ts';
import assert from 'node:assert/strict';
import { tf } from '../../src/backend/tf.ts';
import { createModel, flatSize, getFlatParams, selectParams, setFlatParams, unflatten } from '../../src/models/index.ts';
import { lossOfParams } from '../../src/train/loss-of-params.ts';
import type { Model } from '../../src/models/model.ts';
import { availableBackends, pseudoRandom, randomImages, relDiff, useBackend } from './helpers.ts';

const FAMILIES = TEST_PRESETS;

/** Loss as a function of a flat Tensor1D of all parameters. */
function flatLoss(model: Model, x: tf.Tensor4D, y: tf.Tensor1D, l2: number) {
  const names = selectParams(model);
  const f = lossOfParams(model, x, y, { names, l2, labelSmoothing: 0.1 });
  return (theta: tf.Tensor): tf.Scalar => {
    const m = unflatten(model, theta as tf.Tensor1D, names);
    return f(names.map((n) => m.get(n)!));
  };
}

async function checkModel(name: string): Promise<void> {
  const model = createModel(name, { numClasses: 5, seed: 7 });
  try {
    const s = model.config.imageSize;
    const x = randomImages(3, s, 21);
    const y = tf.tensor1d([0, 3, 4], 'int32');
    // BatchNorm models: give the running statistics non-trivial values first (one training pass)
    if (model.buffers.size > 0) model.forward(randomImages(4, s, 99), { training: true, updateStats: true, seed: 1 }).dispose();
    const f = flatLoss(model, x, y, 0.05);
    const n = flatSize(model);
    const theta0 = await getFlatParams(model);
    const theta = tf.tensor1d(Float32Array.from(theta0));
    const v = pseudoRandom(n, 5);
    const vn = Math.sqrt(v.reduce((a, b) => a + b * b, 0));
    for (let i = 0; i < n; i++) v[i]! /= vn;
    const vt = tf.tensor1d(v);

    // Finite differences: ReLU kinks make the gradient jump (and the loss bend), and with BatchNorm
    // many pre-activations lie near a kink, so some steps cross one. The exact derivatives must agree
    // with the central or a one-sided difference at one of a few small steps; a wrong or missing term
    // disagrees with all of them.
    const steps = [1e-3, 3e-4, 1e-4];
    const at = (e: number) => tf.add(theta, tf.mul(vt, e)) as tf.Tensor1D;
    const loss = (e: number) => f(at(e)).dataSync()[0]!;

    // first order: directional derivative vs differences of the loss
    const grad = tf.grad(f);
    const g = grad(theta);
    const gv = tf.sum(tf.mul(g, vt)).dataSync()[0]!;
    const l0 = loss(0);
    let err1 = Infinity;
    // also a larger step: the loss's float32 rounding over 2e (|loss| ~ 9 with the L2 term of MobileViT's many
    // BatchNorm scales: ~5e-4 at e = 1e-3) swamps a small directional derivative at the smaller steps
    for (const e of [...steps, 3e-3]) {
      const lp = loss(e);
      const lm = loss(-e);
      for (const d of [(lp - lm) / (2 * e), (lp - l0) / e, (l0 - lm) / e]) err1 = Math.min(err1, Math.abs(gv - d));
    }
    assert.ok(err1 <= 0.02 * Math.abs(gv) + 1e-4, `${name}: g.v ${gv} vs finite differences, error ${err1}`);

    // second order: Hv by nested tf.grads vs differences of the gradient
    const hvp = tf.grad((t: tf.Tensor) => tf.sum(tf.mul(grad(t), vt)) as tf.Scalar);
    const hv = hvp(theta).dataSync();
    const g0 = g.dataSync();
    let err = Infinity;
    for (const e of steps) {
      const gp = grad(at(e)).dataSync();
      const gm = grad(at(-e)).dataSync();
      const central = new Float32Array(n);
      const fwd = new Float32Array(n);
      const bwd = new Float32Array(n);
      for (let i = 0; i < n; i++) {
        central[i] = (gp[i]! - gm[i]!) / (2 * e);
        fwd[i] = (gp[i]! - g0[i]!) / e;
        bwd[i] = (g0[i]! - gm[i]!) / e;
      }
      err = Math.min(err, relDiff(hv, central), relDiff(hv, fwd), relDiff(hv, bwd));
    }
    assert.ok(err < 0.03, `${name}: Hv vs finite differences, relative error ${err}`);
    // the L2 term contributes l2 * v exactly; Hv is more than that
    assert.ok(relDiff(hv, v.map((a) => 0.05 * a)) > 0.1, `${name}: Hv should include curvature beyond the L2 term`);
    assert.ok(hv.every(Number.isFinite));
    // lossOfParams leaves the model's parameters untouched
    assert.deepEqual(await getFlatParams(model), theta0);

    // one training step (training mode, SGD) lowers the loss on the batch
    const names = selectParams(model);
    const lossNow = async () => f(tf.tensor1d(Float32Array.from(await getFlatParams(model)))).dataSync()[0]!;
    const before = await lossNow();
    const { value, grads } = tf.variableGrads(() => {
      const logits = model.forward(x, { training: true, seed: 3 });
      return tf.losses.softmaxCrossEntropy(tf.oneHot(y, 5), logits) as tf.Scalar;
    });
    assert.ok(Number.isFinite(value.dataSync()[0]!));
    for (const nm of names) {
      const gr = grads[model.params.get(nm)!.name];
      assert.ok(gr, `${name}: no gradient for ${nm}`);
      assert.ok(gr.dataSync().every(Number.isFinite), `${name}: gradient of ${nm} not finite`);
    }
    const step = tf.tensor1d(Float32Array.from(await getFlatParams(model)));
    const gflat = tf.concat(names.map((nm) => tf.reshape(grads[model.params.get(nm)!.name]!, [-1])));
    setFlatParams(model, Float64Array.from(tf.sub(step, tf.mul(gflat, 0.05)).dataSync()));
    const after = await lossNow();
    assert.ok(after < before, `${name}: one SGD step should lower the loss (${before} -> ${after})`);
  } finally {
    model.dispose();
  }
}

test('gradients and Hessian-vector products agree with finite differences; one training step', async (t) => {
  const backends = await availableBackends();
  for (const backend of backends) {
    for (const name of FAMILIES) {
      await t.test(`${name} on ${backend}`, async () => {
        await useBackend(backend);
        tf.tidy(() => undefined);
        await checkModel(name);
      });
    }
  }
  await useBackend('cpu');
});

test('selectParams, getFlatParams, setFlatParams and unflatten agree with each other', async () => {
  await useBackend('cpu');
  const m = createModel('vit-tiny-test', { seed: 2 });
  const attn = selectParams(m, /\.attn\./);
  assert.ok(attn.length > 0 && attn.every((n) => n.includes('.attn.')));
  assert.deepEqual(selectParams(m, 'blocks.1.mlp'), m.paramInfo.map((p) => p.name).filter((n) => n.startsWith('blocks.1.mlp')));
  const order = m.paramInfo.map((p) => p.name);
  assert.deepEqual(attn, order.filter((n) => attn.includes(n)), 'model order');
  const vec = await getFlatParams(m, attn);
  assert.equal(vec.length, flatSize(m, attn));
  const doubled = vec.map((a) => 2 * a);
  setFlatParams(m, doubled, attn);
  const back = await getFlatParams(m, attn);
  for (let i = 0; i < vec.length; i++) assert.equal(back[i], Math.fround(doubled[i]!));
  const map = unflatten(m, back, attn);
  assert.deepEqual([...map.keys()], attn);
  assert.deepEqual(Array.from(map.get(attn[0]!)!.dataSync()), Array.from(m.params.get(attn[0]!)!.dataSync()));
  assert.throws(() => setFlatParams(m, new Float64Array(3), attn), /vector has 3 entries, expected/);
  await assert.rejects(getFlatParams(m, ['nope']), /no parameter 'nope'/);
  m.dispose();
});

test('ForwardOptions.params overrides exactly the named parameters', async () => {
  await useBackend('cpu');
  const m = createModel('resnet-tiny-test', { seed: 4 });
  const x = randomImages(2, 8, 3);
  const base = m.forward(x, { training: false }).dataSync();
  const same = m.forward(x, { training: false, params: unflatten(m, await getFlatParams(m)) }).dataSync();
  assert.deepEqual(Array.from(same), Array.from(base));
  const zeroHead = new Map([['head.kernel', tf.zerosLike(m.params.get('head.kernel')!)]]);
  const out = m.forward(x, { training: false, params: zeroHead }).arraySync();
  const bias = Array.from(m.params.get('head.bias')!.dataSync());
  for (const row of out) row.forEach((v, i) => assert.ok(Math.abs(v - bias[i]!) < 1e-6));
  m.dispose();
});

test('lossOfParams: L2 over all parameters, soft targets, twice differentiable per tensor', async () => {
  await useBackend('cpu');
  const m = createModel('alternet-tiny-test', { seed: 8 });
  const x = randomImages(2, 8, 4);
  const y = tf.tensor1d([1, 2], 'int32');
  const head = ['head.kernel', 'head.bias'];
  const all = await getFlatParams(m);
  const sq = all.reduce((a, b) => a + b * b, 0);
  const plain = lossOfParams(m, x, y, { names: head })(head.map((n) => m.params.get(n)!)).dataSync()[0]!;
  const withL2 = lossOfParams(m, x, y, { names: head, l2: 0.1 })(head.map((n) => m.params.get(n)!)).dataSync()[0]!;
  assert.ok(Math.abs(withL2 - plain - 0.05 * sq) < 1e-4 * Math.max(1, sq), `${withL2 - plain} vs ${0.05 * sq}`);
  const soft = lossOfParams(m, x, tf.oneHot(y, 100).toFloat() as tf.Tensor2D, { names: head })(head.map((n) => m.params.get(n)!)).dataSync()[0]!;
  assert.ok(Math.abs(soft - plain) < 1e-5);
  // the head is linear in the loss' logits: the Hessian w.r.t. the bias is (diag(p) - p p^T) averaged
  const f = lossOfParams(m, x, y, { names: ['head.bias'] });
  const b0 = m.params.get('head.bias')!;
  const e = tf.oneHot(tf.tensor1d([3], 'int32'), 100).reshape([100]);
  const hv = tf.grad((b: tf.Tensor) => tf.sum(tf.mul(tf.grad((bb: tf.Tensor) => f([bb]))(b), e)) as tf.Scalar)(b0).dataSync();
  const p = tf.softmax(m.forward(x, { training: false })).arraySync();
  const expected = new Array(100).fill(0);
  for (const row of p) for (let k = 0; k < 100; k++) expected[k] += ((k === 3 ? row[3]! : 0) - row[k]! * row[3]!) / p.length;
  assert.ok(relDiff(hv, expected) < 1e-3, `head-bias Hessian column: ${relDiff(hv, expected)}`);
  m.dispose();
});
