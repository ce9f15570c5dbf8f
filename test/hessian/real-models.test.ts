// The Hessian operator on the project's real model families (tiny test presets): exact products agree
// with finite differences where the network is smooth (ViT: GELU, softmax, LayerNorm), are symmetric
// everywhere (ResNet: ReLU kinks make finite differences unreliable, so only the head is compared), and
// release their memory.
import { test, before } from 'node:test';
import '../support/presets.ts'; // the tiny test presets
import assert from 'node:assert/strict';
import { initBackend } from '../../src/backend/select.ts';
import { tf } from '../../src/backend/tf.ts';
import { createModel } from '../../src/models/index.ts';
import { modelHessianOperator } from '../../src/hessian/model-operator.ts';
import { selectParamNames } from '../../src/hessian/param-groups.ts';
import { Rng, normalVector } from '../../src/util/random.ts';
import { dot } from '../../src/hessian/vector.ts';

before(async () => {
  await initBackend({ backend: 'cpu', quiet: true });
});

function batch(rng: Rng, b: number, size: number, classes: number) {
  const x = tf.tensor4d(Float32Array.from({ length: b * size * size * 3 }, () => rng.normal()), [b, size, size, 3]);
  const y = tf.tensor1d(Int32Array.from({ length: b }, () => rng.int(classes)), 'int32');
  return { x, y };
}

const rel = (a: Float64Array, b: Float64Array) => {
  const d = a.map((v, i) => v - b[i]!);
  return Math.sqrt(dot(d, d) / dot(b, b));
};

for (const preset of ['vit-tiny-test', 'resnet-tiny-test']) {
  test(`${preset}: symmetric exact products, finite differences agree on smooth parts, no leaks`, async () => {
    const rng = new Rng(1);
    const model = createModel(preset, { numClasses: 5, seed: 2 });
    const data = batch(rng, 4, model.config.imageSize, 5);
    const op = modelHessianOperator(model, [data]);
    const u = normalVector(rng, op.dim);
    const v = normalVector(rng, op.dim);
    const hu = await op.matvec(u);
    const hv = await op.matvec(v);
    const asym = Math.abs(dot(u, hv) - dot(v, hu)) / Math.max(Math.abs(dot(u, hv)), 1e-12);
    assert.ok(asym < 1e-3, `uᵀHv vs vᵀHu: ${asym}`);
    const names = preset.startsWith('vit') ? undefined : selectParamNames(model.paramInfo, 'head');
    const ex = modelHessianOperator(model, [data], { names });
    const fd = modelHessianOperator(model, [data], { names, method: 'finite-difference', epsilon: 1e-2 });
    const w = normalVector(rng, ex.dim);
    const err = rel(await fd.matvec(w), await ex.matvec(w));
    assert.ok(err < 1e-2, `finite difference vs exact: ${err}`);
    const before = tf.memory().numTensors;
    await op.matvec(u);
    assert.equal(tf.memory().numTensors, before);
    model.dispose();
    tf.dispose([data.x, data.y]);
  });
}

test('parameter groups on the real families: msa and mlp in ViT, conv in ResNet, disjoint', () => {
  const vit = createModel('vit-tiny-test', { numClasses: 5, seed: 0 });
  const resnet = createModel('resnet-tiny-test', { numClasses: 5, seed: 0 });
  const msa = selectParamNames(vit.paramInfo, 'msa');
  const mlp = selectParamNames(vit.paramInfo, 'mlp');
  assert.ok(msa.length > 0 && msa.every((n) => /attn/.test(n)));
  assert.ok(mlp.length > 0 && mlp.every((n) => /mlp/.test(n)));
  assert.equal(msa.filter((n) => mlp.includes(n)).length, 0);
  assert.ok(selectParamNames(vit.paramInfo, 'block:1').every((n) => n.startsWith('blocks.1.')));
  const conv = selectParamNames(resnet.paramInfo, 'conv');
  assert.ok(conv.length > 0 && conv.every((n) => /conv/.test(n) && n.endsWith('kernel')));
  assert.throws(() => selectParamNames(resnet.paramInfo, 'msa'), /matches no parameter/);
  vit.dispose();
  resnet.dispose();
});
