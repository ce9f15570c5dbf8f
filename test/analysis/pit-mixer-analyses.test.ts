// Every analysis runs on the PiT and MLP-Mixer tiny presets: Fourier and variance by depth (PiT's pooling
// blocks and Mixer's token-mixing blocks among the analysed maps), frequency-band noise robustness, the loss
// landscape, and Hessian-vector products on the parameter groups these families declare ('token-mlp', 'pool',
// 'layout:depthwise'), checked against finite differences (both networks are smooth: GELU, softmax, LayerNorm).
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

before(async () => {
  await initBackend({ backend: 'cpu', quiet: true });
});

const images = (n: number, seed: number) => tf.randomNormal([n, 8, 8, 3], 0, 1, 'float32', seed) as tf.Tensor4D;
const labels = (n: number, classes: number) => Int32Array.from({ length: n }, (_, i) => i % classes);

for (const [preset, special] of [['pit-tiny-test', 'pool'], ['mixer-tiny-test', 'token-mlp']] as const) {
  test(`${preset}: Fourier, variance, noise robustness and loss landscape run, with its '${special}' blocks analysed`, async () => {
    const model = createModel(preset, { numClasses: 4, seed: 1 });
    // timm's Mixer head starts at zero (filter-normalised directions would be zero there, and the loss flat): give it values
    if (preset.startsWith('mixer')) model.params.get('head.kernel')!.assign(tf.randomNormal([8, 4], 0, 0.5, 'float32', 8));
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
    assert.ok(kinds.includes(special));
    assert.ok(fourier.every((b) => Number.isFinite(b.deltaAtHighest)));
    assert.ok(variance.every((b) => Number.isFinite(b.variance) && b.variance > 0));

    const [noise] = await noiseRobustness([{ label: preset, model }], { x, y: labels(6, 4) }, { frequencies: [0, 0.5], batchSize: 3 });
    assert.ok(noise !== undefined);
    assert.equal(JSON.stringify(noise).includes('null'), false, 'no missing values');

    const surface = await lossLandscape(model, [{ x, y: labels(6, 4) }], { resolution: 2, seed: 2 });
    assert.ok(surface.loss.flat().every(Number.isFinite));
    assert.ok(surface.loss.flat().some((v) => Math.abs(v - surface.centre.nll) > 1e-4), 'the directions move the loss');
    x.dispose();
    model.dispose();
  });
}

test('parameter groups read the declarations: token-mlp and mlp in Mixer, msa, mlp, pool and layout:depthwise in PiT', () => {
  const mixer = createModel('mixer-tiny-test', { numClasses: 4 });
  const tokens = selectParamNames(mixer.paramInfo, 'token-mlp');
  assert.deepEqual(tokens, mixer.paramInfo.filter((p) => p.name.includes('.mlp_tokens.')).map((p) => p.name));
  const channels = selectParamNames(mixer.paramInfo, 'mlp');
  assert.deepEqual(channels, mixer.paramInfo.filter((p) => p.name.includes('.mlp_channels.')).map((p) => p.name));
  assert.throws(() => selectParamNames(mixer.paramInfo, 'msa'), /matches no parameter/);
  const pit = createModel('pit-tiny-test', { numClasses: 4 });
  assert.deepEqual(selectParamNames(pit.paramInfo, 'pool'), pit.paramInfo.filter((p) => p.name.includes('.pool.')).map((p) => p.name));
  assert.deepEqual(selectParamNames(pit.paramInfo, 'layout:depthwise'), ['transformers.1.pool.conv.kernel', 'transformers.2.pool.conv.kernel']);
  const msa = selectParamNames(pit.paramInfo, 'msa');
  assert.ok(msa.length === 3 * 4 && msa.every((n) => n.includes('.attn.')));
  assert.ok(selectParamNames(pit.paramInfo, 'mlp').every((n) => n.includes('.mlp.')));
  mixer.dispose();
  pit.dispose();
});

const rel = (a: Float64Array, b: Float64Array) => {
  const d = a.map((v, i) => v - b[i]!);
  return Math.sqrt(dot(d, d) / dot(b, b));
};

for (const [preset, group] of [['pit-tiny-test', 'pool'], ['pit-tiny-test', 'layout:depthwise'], ['mixer-tiny-test', 'token-mlp'], ['mixer-tiny-test', 'all']] as const) {
  test(`${preset}: Hessian-vector products on '${group}' are symmetric and agree with finite differences`, async () => {
    const rng = new Rng(4);
    const model = createModel(preset, { numClasses: 4, seed: 5 });
    // timm's Mixer head starts at zero, which leaves the body's curvature zero: give it values first
    if (preset.startsWith('mixer')) model.params.get('head.kernel')!.assign(tf.randomNormal([8, 4], 0, 0.5, 'float32', 8));
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
