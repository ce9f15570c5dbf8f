import { test } from 'node:test';
import { TEST_PRESETS } from '../support/presets.ts';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import * as path from 'node:path';
import { fileURLToPath } from 'node:url';
import { tf } from '../../src/backend/tf.ts';
import { initBackend } from '../../src/backend/select.ts';
import { createModel, countParams, flopsPerImage, getPreset, listPresets, paramInfoCount, resolveConfig, type AnyModelConfig } from '../../src/models/index.ts';
import { expectedFeatures, randomImages } from './helpers.ts';

const REPO = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const TINY = TEST_PRESETS;
const CPU = ['vit-cpu', 'swin-cpu', 'resnet-20', 'alternet-20', 'pit-cpu', 'mixer-cpu', 'mobilevit-xxs-cifar'];
/** Built and run on one image by test/models/paper-presets.test.ts. */
const PAPER = new Set(['vit-ti', 'vit-ti-gap', 'swin-ti', 'resnet-18', 'resnet-50', 'alternet-50']);

test('the registry holds the paper and CPU presets; the test presets only where test/support/presets.ts is loaded', () => {
  const names = listPresets();
  for (const n of ['vit-ti', 'swin-ti', 'resnet-18', 'resnet-50', 'alternet-50', ...CPU, ...TINY]) assert.ok(names.includes(n), n);
  assert.ok(TINY.length >= 6 && TINY.every((n) => getPreset(n).description.startsWith('test only')));
  assert.deepEqual(listPresets({ family: 'swin' }), ['swin-ti', 'swin-tiny-224', 'swin-cpu', 'swin-tiny-test']);
  assert.throws(() => getPreset('vit-huge'), /unknown model preset 'vit-huge', expected one of vit-ti, /);
  // Production (no test support loaded) lists none of them.
  const r = spawnSync(process.execPath, ['--import', 'tsx', '--input-type=module', '-e',
    "const m = await import('./src/models/index.ts'); process.stdout.write(JSON.stringify(m.listPresets()));"], { cwd: REPO, encoding: 'utf8' });
  assert.equal(r.status, 0, r.stderr);
  const production = JSON.parse(r.stdout) as string[];
  assert.deepEqual(production, names.filter((n) => !TINY.includes(n)));
});

test('the paper presets carry the paper settings', () => {
  const v = getPreset('vit-ti');
  assert.equal(v.family, 'vit');
  if (v.family === 'vit') assert.deepEqual([v.patchSize, v.dim, v.depth, v.heads, v.mlpRatio, v.qkvBias], [2, 192, 12, 3, 4, false]);
  const s = getPreset('swin-ti');
  if (s.family === 'swin') assert.deepEqual([s.patchSize, s.windowSize, s.dim, s.depths, s.heads], [1, 4, 96, [2, 2, 6, 2], [3, 6, 12, 24]]);
  const c = getPreset('vit-cpu');
  if (c.family === 'vit') assert.deepEqual([c.patchSize, c.dim, c.depth, c.heads, c.mlpRatio], [4, 192, 6, 3, 4]);
  const a = getPreset('alternet-50');
  if (a.family === 'alternet') {
    assert.deepEqual(a.stageBlocks, [3, 4, 6, 4]);
    assert.deepEqual(a.msaBlocks, [[], [3], [5], [1, 3]]);
    assert.deepEqual(a.heads, [3, 6, 12, 24]);
  }
});

test('ViT-Ti for CIFAR-100 has about 5.4 M parameters; counts scale with the head', () => {
  const n = countParams('vit-ti');
  assert.ok(Math.abs(n - 5.4e6) < 0.05e6, String(n));
  assert.equal(countParams('vit-ti', { numClasses: 10 }) - n, -(192 + 1) * 90);
  assert.equal(countParams('resnet-20', { numClasses: 10 }), countParams('resnet-20') - 65 * 90);
});

test('invalid configurations are rejected naming the field', () => {
  assert.throws(() => resolveConfig({ ...getPreset('vit-tiny-test'), patchSize: 3 }), /field 'patchSize' is 3, expected a divisor of imageSize 8/);
  assert.throws(() => resolveConfig({ ...getPreset('vit-tiny-test'), heads: 3 }), /field 'heads' is 3/);
  assert.throws(() => resolveConfig({ ...getPreset('swin-tiny-test'), windowSize: 3 }), /windowSize/);
  assert.throws(() => resolveConfig({ ...getPreset('alternet-tiny-test'), msaBlocks: [[], [5]] }), /msaBlocks\[1\]/);
  assert.throws(() => resolveConfig({ ...getPreset('resnet-tiny-test'), numClasses: 0 }), /numClasses/);
});

for (const name of [...TINY, ...CPU]) {
  test(`${name}: logits shape, parameter count (analytic = paramInfo = variables), features`, async () => {
    await initBackend({ backend: 'cpu', quiet: true });
    const before = tf.memory().numTensors;
    const model = createModel(name, { numClasses: 7, seed: 3 });
    const cfg = model.config as AnyModelConfig;
    const s = cfg.imageSize;
    const b = TINY.includes(name) ? 2 : 1;
    const x = randomImages(b, s, 11);
    const y = model.forward(x, { training: false });
    assert.deepEqual(y.shape, [b, 7]);
    assert.ok(Array.from(y.dataSync()).every(Number.isFinite));

    const analytic = countParams(cfg);
    assert.equal(paramInfoCount(model.paramInfo), analytic);
    let vars = 0;
    for (const v of model.params.values()) vars += v.size;
    assert.equal(vars, analytic);
    assert.equal(model.paramInfo.length, model.params.size);
    assert.equal(new Set(model.paramInfo.map((p) => p.name)).size, model.paramInfo.length, 'names unique');
    assert.ok(flopsPerImage(cfg) > 0);

    const feats = model.features(x);
    const exp = expectedFeatures(cfg);
    assert.equal(feats.length, exp.length);
    feats.forEach((f, i) => {
      assert.equal(f.kind, exp[i]!.kind, `${f.name} kind`);
      assert.deepEqual(f.tensor.shape, [b, ...exp[i]!.shape], `${f.name} shape`);
    });
    assert.equal(new Set(feats.map((f) => f.name)).size, feats.length, 'feature names unique');
    // features in evaluation mode end where forward's trunk ends: no tensors leak apart from returned ones
    for (const f of feats) f.tensor.dispose();
    y.dispose();
    x.dispose();
    model.dispose();
    assert.equal(tf.memory().numTensors, before, 'no tensors leaked');
  });
}

// timm's published parameter counts (1000 classes) of the ImageNet presets, for the analytic count.
const TIMM_COUNTS: Record<string, number> = {
  'vit-ti-16-224': 5_717_416, // vit_tiny_patch16_224
  'vit-s-16-224': 22_050_664, // vit_small_patch16_224
  'vit-b-16-224': 86_567_656, // vit_base_patch16_224
  'resnet-50-224': 25_557_032, // resnet50
  'resnet-18-224': 11_689_512, // resnet18
  'swin-tiny-224': 28_288_354, // swin_tiny_patch4_window7_224
  'pit-ti-224': 4_847_272, // pit_ti_224
  'mixer-b16-224': 59_880_472, // mixer_b16_224
  'mobilevit-xxs': 1_272_024, // mobilevit_xxs
};

for (const name of listPresets().filter((n) => !TINY.includes(n) && !CPU.includes(n) && !PAPER.has(n))) {
  test(`${name}: analytic parameter count = the built model's (and timm's, where published)`, async () => {
    await initBackend({ backend: 'cpu', quiet: true });
    const model = createModel(name, { numClasses: 1000 });
    const analytic = countParams(name, { numClasses: 1000 });
    assert.equal(paramInfoCount(model.paramInfo), analytic);
    if (TIMM_COUNTS[name] !== undefined) assert.equal(analytic, TIMM_COUNTS[name]);
    model.dispose();
  });
}

test('the same seed gives identical parameters, another seed different ones', () => {
  const a = createModel('vit-tiny-test', { seed: 5 });
  const b = createModel('vit-tiny-test', { seed: 5 });
  const c = createModel('vit-tiny-test', { seed: 6 });
  const k = 'blocks.1.attn.qkv.kernel';
  assert.deepEqual(Array.from(a.params.get(k)!.dataSync()), Array.from(b.params.get(k)!.dataSync()));
  assert.notDeepEqual(Array.from(a.params.get(k)!.dataSync()), Array.from(c.params.get(k)!.dataSync()));
  for (const m of [a, b, c]) m.dispose();
});

test('ViT initialisation follows timm (trunc normal 0.02, zero biases, unit norms)', () => {
  const m = createModel('vit-cpu', { seed: 1 });
  const w = m.params.get('blocks.0.mlp.fc1.kernel')!.dataSync();
  let s = 0;
  let max = 0;
  for (const v of w) {
    s += v * v;
    max = Math.max(max, Math.abs(v));
  }
  const std = Math.sqrt(s / w.length);
  assert.ok(std > 0.016 && std < 0.019, `std ${std}`); // a normal(0, 0.02) truncated at 2 sigma has std 0.0176
  assert.ok(max <= 0.04 + 1e-6);
  assert.ok(m.params.get('blocks.0.mlp.fc1.bias')!.dataSync().every((v) => v === 0));
  assert.ok(m.params.get('blocks.0.norm1.gamma')!.dataSync().every((v) => v === 1));
  const roles = new Map(m.paramInfo.map((p) => [p.name, p.role]));
  assert.equal(roles.get('pos_embed'), 'position');
  assert.equal(roles.get('cls_token'), 'embedding');
  assert.equal(roles.get('blocks.0.norm1.gamma'), 'norm');
  assert.equal(roles.get('blocks.0.attn.qkv.kernel'), 'weight');
  assert.ok(!roles.has('blocks.0.attn.qkv.bias'), 'vit-cpu has no qkv bias');
  m.dispose();
});

test('GAP ViT has no class token and one position embedding per patch', () => {
  const m = createModel('vit-gap-tiny-test');
  assert.ok(!m.params.has('cls_token'));
  assert.deepEqual(m.params.get('pos_embed')!.shape, [1, 16, 8]);
  const c = createModel('vit-tiny-test');
  assert.deepEqual(c.params.get('pos_embed')!.shape, [1, 17, 8]);
  m.dispose();
  c.dispose();
});

test('inputs of the wrong shape are rejected', () => {
  const m = createModel('resnet-tiny-test');
  assert.throws(() => m.forward(tf.zeros([1, 9, 9, 3]) as tf.Tensor4D, { training: false }), /input has shape \[1,9,9,3\], expected \[batch, 8, 8, 3\]/);
  assert.throws(() => m.forward(tf.zeros([1, 8, 8, 3]) as tf.Tensor4D, { training: false, params: new Map([['nope', tf.zeros([1])]]) }), /unknown parameter 'nope'/);
  m.dispose();
});
