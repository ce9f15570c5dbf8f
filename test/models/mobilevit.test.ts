// MobileViT (src/models/mobilevit.ts) beyond what presets.test.ts and derivatives.test.ts check for every family:
// timm's parameter count in closed form, the 2x2-patch unfolding (pixels at the same offset of every patch form one
// sequence) and its inverse, the parameter declarations that --params and the importer read, and the refused
// configurations. The agreement with timm itself is test/crosscheck's.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import '../support/presets.ts';
import { tf } from '../../src/backend/tf.ts';
import { initBackend } from '../../src/backend/select.ts';
import { countParams, createModel, getPreset, pretrainedCfgOf, resolveConfig } from '../../src/models/index.ts';
import { dropPathRates, foldPatches, makeDivisible, unfoldPatches } from '../../src/models/mobilevit.ts';
import { selectParamNames } from '../../src/hessian/param-groups.ts';
import { colorFor, familyOf } from '../../src/plots/style.ts';

test("mobilevit-xxs has timm's mobilevit_xxs parameter count, the CIFAR variant the same layers", () => {
  // the figure for timm's mobilevit_xxs (1000 classes)
  assert.equal(countParams('mobilevit-xxs', { numClasses: 1000 }), 1_272_024);
  // written out by hand from timm's module list: stem; stage 0 IR 16->32->16; stage 1 IRs 16->32->24, 2x 24->48->24;
  // stage 2 IR 24->48->48 + MobileViT(48, d 64, 2 layers); stage 3 IR 48->96->64 + MobileViT(64, 80, 4);
  // stage 4 IR 64->128->80 + MobileViT(80, 96, 3); final conv 80 -> 320; head 320 -> 1000
  const ir = (i: number, h: number, o: number) => i * h + 2 * h + 9 * h + 2 * h + h * o + 2 * o;
  const layer = (d: number) => 2 * d + 3 * d * d + 3 * d + d * d + d + 2 * d + 2 * d * d + 2 * d + 2 * d * d + d;
  const mvit = (c: number, d: number, n: number) => 9 * c * c + 2 * c + c * d + n * layer(d) + 2 * d + d * c + 2 * c + 18 * c * c + 2 * c;
  const byHand = 27 * 16 + 32 + ir(16, 32, 16) + ir(16, 32, 24) + 2 * ir(24, 48, 24) + ir(24, 48, 48) + mvit(48, 64, 2)
    + ir(48, 96, 64) + mvit(64, 80, 4) + ir(64, 128, 80) + mvit(80, 96, 3) + 80 * 320 + 640 + 320 * 1000 + 1000;
  assert.equal(byHand, 1_272_024);
  assert.equal(countParams('mobilevit-xxs-cifar', { numClasses: 1000 }), 1_272_024, 'strides change no parameter');
  assert.deepEqual([makeDivisible(32), makeDivisible(48), makeDivisible(4), makeDivisible(20), makeDivisible(100)], [32, 48, 8, 24, 104]);
});

test("presets carry timm's preprocessing: pixels / 255 at 256 for mobilevit-xxs, CIFAR statistics for the CIFAR variant", () => {
  const xxs = pretrainedCfgOf(getPreset('mobilevit-xxs'));
  assert.deepEqual(xxs, { inputSize: 256, mean: [0, 0, 0], std: [1, 1, 1], interpolation: 'bicubic', cropPct: 0.9 });
  const cifar = pretrainedCfgOf(getPreset('mobilevit-xxs-cifar'));
  assert.equal(cifar.inputSize, 32);
  assert.notDeepEqual(cifar.std, [1, 1, 1]);
});

test('unfoldPatches puts the pixels at one patch offset into one sequence, in patch order; foldPatches inverts it', async () => {
  await initBackend({ backend: 'cpu', quiet: true });
  const [b, h, w, c, p] = [2, 4, 6, 3, 2];
  const values = Float32Array.from({ length: b * h * w * c }, (_, i) => i);
  const x = tf.tensor4d(values, [b, h, w, c]);
  const t = unfoldPatches(x, p);
  const nw = w / p;
  assert.deepEqual(t.shape, [b * p * p, (h / p) * nw, c]);
  const got = t.arraySync();
  for (let bi = 0; bi < b; bi++)
    for (let dy = 0; dy < p; dy++)
      for (let dx = 0; dx < p; dx++)
        for (let n = 0; n < (h / p) * nw; n++) {
          const row = Math.floor(n / nw) * p + dy, col = (n % nw) * p + dx;
          const at = ((bi * h + row) * w + col) * c;
          assert.deepEqual(got[(bi * p + dy) * p + dx]![n], [values[at], values[at + 1], values[at + 2]], `b${bi} offset (${dy},${dx}) token ${n}`);
        }
  assert.deepEqual(foldPatches(t, b, h, w, p).arraySync(), x.arraySync());
  tf.dispose([x, t]);
});

test('declarations: --params msa, mlp and conv select the transformer and convolution parameters; depthwise filters are declared so', () => {
  const m = createModel('mobilevit-tiny-test', { numClasses: 5 });
  const info = m.paramInfo;
  const msa = selectParamNames(info, 'msa');
  assert.deepEqual(msa, [
    'stages.1.1.transformer.0.attn.qkv.kernel', 'stages.1.1.transformer.0.attn.qkv.bias',
    'stages.1.1.transformer.0.attn.proj.kernel', 'stages.1.1.transformer.0.attn.proj.bias',
  ]);
  assert.deepEqual(selectParamNames(info, 'mlp'), [
    'stages.1.1.transformer.0.mlp.fc1.kernel', 'stages.1.1.transformer.0.mlp.fc1.bias',
    'stages.1.1.transformer.0.mlp.fc2.kernel', 'stages.1.1.transformer.0.mlp.fc2.bias',
  ]);
  const conv = selectParamNames(info, 'conv');
  assert.ok(conv.every((n) => n.endsWith('.kernel') && info.find((p) => p.name === n)!.layout !== 'dense'), conv.join(', '));
  assert.equal(conv.length, 1 + 3 + 3 + 4 + 1, 'stem, 2 inverted residuals x 3, the MobileViT block kxk/1x1/proj/fusion, final conv');
  assert.deepEqual(selectParamNames(info, 'layout:depthwise'), ['stages.0.0.conv2_kxk.conv.kernel', 'stages.1.0.conv2_kxk.conv.kernel']);
  for (const n of selectParamNames(info, 'layout:depthwise')) assert.equal(m.params.get(n)!.shape[3], 1, `${n}: multiplier 1`);
  // every parameter is in exactly one of the groups
  const groups = ['embedding', 'msa', 'mlp', 'conv', 'pool', 'head', 'norm'].flatMap((g) => {
    try {
      return selectParamNames(info, g);
    } catch {
      return []; // a group this model has no parameter of
    }
  });
  assert.deepEqual([...groups].sort(), info.map((p) => p.name).sort());
  assert.deepEqual(selectParamNames(info, 'head'), ['head.kernel', 'head.bias']);
  m.dispose();
});

test('configurations that cannot work are refused naming the field', () => {
  const base = getPreset('mobilevit-xxs-cifar');
  assert.throws(() => resolveConfig({ ...base, imageSize: 36 }), /field 'patchSize' is 2, expected a divisor of stage 3's map side 9 \(imageSize 36/);
  assert.throws(() => resolveConfig({ ...base, transformerDepths: [0, 0, 2, 0, 3] }), /field 'transformerDepths\[3\]' is 0, expected a positive integer/);
  assert.throws(() => resolveConfig({ ...base, transformerDepths: [1, 0, 2, 4, 3] }), /field 'transformerDepths\[0\]' is 1, expected 0/);
  assert.throws(() => resolveConfig({ ...base, strides: [1, 3, 2, 2, 2] }), /field 'strides\[1\]' is 3, expected 1 or 2/);
  assert.throws(() => resolveConfig({ ...base, heads: 3 }), /field 'heads' is 3, expected a divisor of every transformer width/);
  assert.throws(() => resolveConfig({ ...base, stageBlocks: [1, 3, 1] }), /field 'stageBlocks'.*expected a list of 5 entries/);
  assert.throws(() => resolveConfig({ ...base, stemStride: 4 }), /field 'stemStride' is 4, expected 1 or 2/);
});

test("figures recognise MobileViT labels (not as ViT) and give them the family's colour", () => {
  for (const label of ['mobilevit-xxs', 'MobileViT-XXS (CIFAR)', 'mobilevit-xxs-cifar run 3']) assert.equal(familyOf(label), 'mobilevit', label);
  assert.equal(familyOf('ViT-Ti'), 'vit');
  assert.equal(colorFor('mobilevit-xxs'), '#17becf');
});

test("drop path: timm's per-block rates; training output depends on the seed, is reproducible, evaluation ignores it", async () => {
  await initBackend({ backend: 'cpu', quiet: true });
  // torch.linspace(0, 0.1, 10) over mobilevit_xxs's 10 ByobNet blocks (IRs 1+3+1+1+1, MobileViT blocks 3)
  assert.deepEqual(dropPathRates(0.1, 10).map((r) => Number(r.toFixed(6))), [0, 0.011111, 0.022222, 0.033333, 0.044444, 0.055556, 0.066667, 0.077778, 0.088889, 0.1]);
  assert.deepEqual(dropPathRates(0.3, 1), [0]);
  const m = createModel({ ...getPreset('mobilevit-tiny-test'), dropPathRate: 0.9 }, { seed: 1 });
  const x = tf.randomNormal([4, 8, 8, 3], 0, 1, 'float32', 2) as tf.Tensor4D;
  const run = (training: boolean, seed: number) => Array.from(m.forward(x, { training, seed }).dataSync());
  assert.deepEqual(run(true, 5), run(true, 5), 'same seed, same output');
  assert.notDeepEqual(run(true, 5), run(true, 6), 'another seed drops other paths');
  assert.deepEqual(run(false, 5), run(false, 6), 'evaluation ignores drop path');
  assert.throws(() => resolveConfig({ ...getPreset('mobilevit-tiny-test'), dropPathRate: 1 }), /field 'dropPathRate' is 1/);
  m.dispose();
  x.dispose();
});
