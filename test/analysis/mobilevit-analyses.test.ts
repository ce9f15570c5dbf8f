// Every analysis runs on the MobileViT tiny preset: Fourier and variance by depth (its convolution, pooling, MSA and
// MLP blocks among the analysed maps; the transformer's maps folded back from the 2x2-patch sequences), frequency-band
// noise robustness, the loss landscape, and Hessian-vector products on the parameter groups it declares ('msa', 'mlp',
// 'conv', 'layout:depthwise'), symmetric and checked against finite differences (the network is smooth: SiLU,
// softmax, LayerNorm, BatchNorm).
import { test, before } from 'node:test';
import '../support/presets.ts';
import assert from 'node:assert/strict';
import { tf } from '../../src/backend/tf.ts';
import { initBackend } from '../../src/backend/select.ts';
import { createModel } from '../../src/models/index.ts';
import { fourierByDepth, lossLandscape, noiseRobustness, varianceByDepth } from '../../src/analysis/index.ts';
import { modelHessianOperator } from '../../src/hessian/model-operator.ts';
import { selectParamNames } from '../../src/hessian/param-groups.ts';
import { dot } from '../../src/hessian/vector.ts';
import { Rng, normalVector } from '../../src/util/random.ts';

const PRESET = 'mobilevit-tiny-test';

before(async () => {
  await initBackend({ backend: 'cpu', quiet: true });
});

const images = (n: number, seed: number) => tf.randomNormal([n, 8, 8, 3], 0, 1, 'float32', seed) as tf.Tensor4D;
const labels = (n: number, classes: number) => Int32Array.from({ length: n }, (_, i) => i % classes);

/** The model with BatchNorm running statistics moved off their (0, 1) start by two training passes. */
function trainedStats(seed: number): ReturnType<typeof createModel> {
  const model = createModel(PRESET, { numClasses: 4, seed });
  for (let i = 0; i < 2; i++) model.forward(images(8, 40 + i), { training: true, updateStats: true, seed: i }).dispose();
  return model;
}

test(`${PRESET}: Fourier, variance, noise robustness and loss landscape run over its conv, pool, msa and mlp blocks`, async () => {
  const model = trainedStats(1);
  const x = images(6, 3);
  const before = tf.memory().numTensors;
  const fourier = await fourierByDepth(model, [x]);
  const variance = await varianceByDepth(model, [x]);
  assert.equal(tf.memory().numTensors, before, 'no tensors leaked');
  const expected = model.features(x);
  const kinds = expected.filter((f) => f.tensor.shape[1] >= 2).map((f) => f.kind);
  expected.forEach((f) => f.tensor.dispose());
  assert.deepEqual(fourier.map((b) => b.kind), kinds);
  assert.deepEqual(variance.map((b) => b.kind), kinds);
  for (const kind of ['embedding', 'conv', 'pool', 'msa', 'mlp'] as const) assert.ok(kinds.includes(kind), kind);
  assert.ok(fourier.every((b) => Number.isFinite(b.deltaAtHighest)));
  assert.ok(variance.every((b) => Number.isFinite(b.variance) && b.variance > 0));

  const [noise] = await noiseRobustness([{ label: PRESET, model }], { x, y: labels(6, 4) }, { frequencies: [0, 0.5], batchSize: 3 });
  assert.ok(noise !== undefined);
  assert.equal(JSON.stringify(noise).includes('null'), false, 'no missing values');

  const surface = await lossLandscape(model, [{ x, y: labels(6, 4) }], { resolution: 2, seed: 2 });
  assert.ok(surface.loss.flat().every(Number.isFinite));
  assert.ok(surface.loss.flat().some((v) => Math.abs(v - surface.centre.nll) > 1e-4), 'the directions move the loss');
  x.dispose();
  model.dispose();
});

const rel = (a: Float64Array, b: Float64Array) => {
  const d = a.map((v, i) => v - b[i]!);
  return Math.sqrt(dot(d, d) / dot(b, b));
};

for (const group of ['msa', 'mlp', 'conv', 'layout:depthwise'] as const) {
  test(`${PRESET}: Hessian-vector products on '${group}' are symmetric and agree with finite differences`, async () => {
    const rng = new Rng(4);
    const model = trainedStats(5);
    const data = { x: images(4, 7), y: tf.tensor1d(labels(4, 4), 'int32') };
    const names = selectParamNames(model.paramInfo, group);
    const exact = modelHessianOperator(model, [data], { names });
    const fd = modelHessianOperator(model, [data], { names, method: 'finite-difference', epsilon: 1e-2 });
    const u = normalVector(rng, exact.dim);
    const v = normalVector(rng, exact.dim);
    const hu = await exact.matvec(u);
    const hv = await exact.matvec(v);
    assert.ok(dot(hv, hv) > 0, 'non-zero curvature');
    const asym = Math.abs(dot(u, hv) - dot(v, hu)) / Math.max(Math.abs(dot(u, hv)), 1e-12);
    assert.ok(asym < 1e-3, `uᵀHv vs vᵀHu: ${asym}`);
    const err = rel(await fd.matvec(u), hu);
    assert.ok(err < 1e-2, `finite difference vs exact: ${err}`);
    model.dispose();
    tf.dispose([data.x, data.y]);
  });
}
