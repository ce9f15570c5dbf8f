import { test, before } from 'node:test';
import assert from 'node:assert/strict';
import { EigenvalueDecomposition, Matrix } from 'ml-matrix';
import { initBackend } from '../../src/backend/select.ts';
import { tf } from '../../src/backend/tf.ts';
import { lanczos, toDense, asymmetry } from '../../src/hessian/index.ts';
import { modelHessianOperator } from '../../src/hessian/model-operator.ts';
import { selectParamNames } from '../../src/hessian/param-groups.ts';
import { Rng, normalVector } from '../../src/util/random.ts';
import { TinyNet, LinearSoftmax, randomBatch } from './tiny-model.ts';

before(async () => {
  await initBackend({ backend: 'cpu', quiet: true });
});

const relNorm = (a: Float64Array, b: Float64Array) => {
  let d = 0;
  let n = 0;
  for (let i = 0; i < a.length; i++) {
    d += (a[i]! - b[i]!) ** 2;
    n += b[i]! ** 2;
  }
  return Math.sqrt(d / n);
};

test('linear softmax classifier: Hessian products equal the closed form mean_b kron(x xᵀ, diag(p) - p pᵀ)', async () => {
  const rng = new Rng(1);
  const model = new LinearSoftmax(8, 4, 2);
  const batch = randomBatch(rng, 6, 2, 2, 4);
  const names = ['head.kernel'];
  const op = modelHessianOperator(model, [batch], { names });
  const dense = await toDense(op);
  const x = batch.x.reshape([6, 8]).arraySync() as number[][];
  const p = tf.softmax(model.forward(batch.x, { training: false })).arraySync() as number[][];
  let maxErr = 0;
  let maxVal = 0;
  for (let i = 0; i < 8; i++) for (let k = 0; k < 4; k++) for (let j = 0; j < 8; j++) for (let l = 0; l < 4; l++) {
    let h = 0;
    for (let b = 0; b < 6; b++) h += x[b]![i]! * x[b]![j]! * ((k === l ? p[b]![k]! : 0) - p[b]![k]! * p[b]![l]!);
    h /= 6;
    maxErr = Math.max(maxErr, Math.abs(dense[i * 4 + k]![j * 4 + l]! - h));
    maxVal = Math.max(maxVal, Math.abs(h));
  }
  assert.ok(maxErr < 1e-5 * Math.max(1, maxVal), `closed form mismatch ${maxErr} (scale ${maxVal})`);
  model.dispose();
  tf.dispose([batch.x, batch.y]);
});

test('tiny net: the Hessian formed column by column is symmetric and Lanczos matches its dense eigendecomposition', async () => {
  const rng = new Rng(3);
  const model = new TinyNet(4);
  const batches = [randomBatch(rng, 4, 4, 2, 3), randomBatch(rng, 3, 4, 2, 3)];
  const op = modelHessianOperator(model, batches, {});
  assert.equal(op.dim, 36 + 2 + 12 + 4 + 6 + 3);
  const dense = await toDense(op);
  const asym = asymmetry(dense);
  assert.ok(asym < 1e-4, `asymmetry ${asym}`);
  const sym = new Matrix(dense.map((r, i) => Array.from(r, (v, j) => 0.5 * (v + dense[j]![i]!))));
  const exact = [...new EigenvalueDecomposition(sym, { assumeSymmetric: true }).realEigenvalues].sort((a, b) => b - a);
  assert.ok(exact[exact.length - 1]! < 0, 'expected a non-convex point with negative curvature');
  const scale = Math.max(...exact.map(Math.abs));
  const res = await lanczos(op, { steps: op.dim, k: 3, which: 'both', seed: 5 });
  const want = [...exact.slice(0, 3), ...exact.slice(-3)];
  res.values.forEach((v, i) => assert.ok(Math.abs(v - want[i]!) < 1e-4 * scale, `eig ${i}: ${v} vs ${want[i]}`));
  // Fewer steps: extremes still converge.
  const short = await lanczos(op, { steps: 30, k: 1, which: 'both', seed: 6 });
  assert.ok(Math.abs(short.values[0]! - exact[0]!) < 1e-3 * scale);
  assert.ok(Math.abs(short.values[1]! - exact[exact.length - 1]!) < 1e-3 * scale);
  model.dispose();
  tf.dispose(batches.flatMap((b) => [b.x, b.y]));
});

test('tiny net: exact and central finite-difference products agree; batches average by size; L2 adds c·v', async () => {
  const rng = new Rng(7);
  const model = new TinyNet(8);
  const b1 = randomBatch(rng, 4, 4, 2, 3);
  const b2 = randomBatch(rng, 2, 4, 2, 3);
  const exact = modelHessianOperator(model, [b1, b2]);
  const fd = modelHessianOperator(model, [b1, b2], { method: 'finite-difference', epsilon: 1e-2 });
  for (let t = 0; t < 3; t++) {
    const v = normalVector(rng, exact.dim);
    const he = await exact.matvec(v);
    const hf = await fd.matvec(v);
    assert.ok(relNorm(hf, he) < 2e-3, `fd vs exact: ${relNorm(hf, he)}`);
  }
  const v = normalVector(rng, exact.dim);
  const h12 = await exact.matvec(v);
  const h1 = await modelHessianOperator(model, [b1]).matvec(v);
  const h2 = await modelHessianOperator(model, [b2]).matvec(v);
  const both = { x: tf.concat([b1.x, b2.x]) as tf.Tensor4D, y: tf.concat([b1.y, b2.y]) as tf.Tensor1D };
  const hcat = await modelHessianOperator(model, [both]).matvec(v);
  const weighted = h1.map((a, i) => (4 * a + 2 * h2[i]!) / 6);
  assert.ok(relNorm(h12, weighted) < 1e-5, `batch weighting ${relNorm(h12, weighted)}`);
  assert.ok(relNorm(h12, hcat) < 1e-4, `one concatenated batch ${relNorm(h12, hcat)}`);
  const withL2 = await modelHessianOperator(model, [b1, b2], { l2: 0.05 }).matvec(v);
  assert.ok(relNorm(withL2, h12.map((a, i) => a + 0.05 * v[i]!)) < 1e-9);
  model.dispose();
  tf.dispose([b1.x, b1.y, b2.x, b2.y, both.x, both.y]);
});

test('parameter subsets: the restricted operator is the principal submatrix of the full Hessian', async () => {
  const rng = new Rng(9);
  const model = new TinyNet(10);
  const batch = randomBatch(rng, 4, 4, 2, 3);
  const full = await toDense(modelHessianOperator(model, [batch]));
  const names = selectParamNames(model.paramInfo, 'msa,head');
  assert.deepEqual(names, ['blocks.0.attn.qkv.kernel', 'head.kernel', 'head.bias']);
  assert.deepEqual(selectParamNames(model.paramInfo, 'conv'), ['stem.conv.kernel', 'stem.conv.bias']);
  assert.deepEqual(selectParamNames(model.paramInfo, 'mlp'), ['blocks.0.mlp.fc1.kernel']);
  assert.throws(() => selectParamNames(model.paramInfo, 'nothing-like-this'), /matches no parameter/);
  const sub = await toDense(modelHessianOperator(model, [batch], { names }));
  // offsets of the selected tensors in the full flat vector
  const idx: number[] = [];
  let off = 0;
  for (const p of model.paramInfo) {
    const n = p.shape.reduce((a, b) => a * b, 1);
    if (names.includes(p.name)) for (let i = 0; i < n; i++) idx.push(off + i);
    off += n;
  }
  assert.equal(sub.length, idx.length);
  let err = 0;
  for (let i = 0; i < idx.length; i++) for (let j = 0; j < idx.length; j++) err = Math.max(err, Math.abs(sub[i]![j]! - full[idx[i]!]![idx[j]!]!));
  assert.ok(err < 1e-5, `submatrix mismatch ${err}`);
  model.dispose();
  tf.dispose([batch.x, batch.y]);
});

test('no tensor leaks: every product releases its memory', async () => {
  const rng = new Rng(11);
  const model = new TinyNet(12);
  const batch = randomBatch(rng, 4, 4, 2, 3);
  for (const method of ['exact', 'finite-difference'] as const) {
    const op = modelHessianOperator(model, [batch, batch], { method, l2: 1e-3 });
    await op.matvec(normalVector(rng, op.dim)); // warm-up (lazy kernels, caches)
    const before = tf.memory().numTensors;
    for (let i = 0; i < 3; i++) await op.matvec(normalVector(rng, op.dim));
    await op.lossAndGradient();
    assert.equal(tf.memory().numTensors, before, `${method}: tensors leaked`);
  }
  model.dispose();
  tf.dispose([batch.x, batch.y]);
});

test('an output vector given to matvec receives the product (exact and finite-difference); one sharing the input is refused', async () => {
  const rng = new Rng(13);
  const model = new TinyNet(14);
  const batch = randomBatch(rng, 4, 4, 2, 3);
  for (const method of ['exact', 'finite-difference'] as const) {
    const op = modelHessianOperator(model, [batch], { method, l2: 1e-3 });
    const v = normalVector(rng, op.dim);
    const fresh = await op.matvec(v);
    const out = new Float64Array(op.dim).fill(Number.NaN);
    const got = await op.matvec(v, out);
    assert.equal(got, out, `${method}: returns the given vector`);
    assert.deepEqual(Array.from(out), Array.from(fresh), `${method}: same product`);
    await assert.rejects(op.matvec(v, v), /sharing the input's memory/);
    await assert.rejects(op.matvec(v, new Float64Array(op.dim + 1)), new RegExp(`output vector of length ${op.dim + 1}`));
  }
  model.dispose();
  tf.dispose([batch.x, batch.y]);
});
