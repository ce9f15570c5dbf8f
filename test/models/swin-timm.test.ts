// Swin as timm's SwinTransformer: the parameter counts of the authors' CIFAR Swin-Ti (timm, qkv_bias=False) and
// timm's swin_tiny_patch4_window7_224, from the closed form and from the built model, and the windows and
// shifts timm uses (a stage whose map is no larger than the window attends over the whole map, unshifted).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { initBackend } from '../../src/backend/select.ts';
import { countParams, createModel, getPreset, paramInfoCount, pretrainedCfgOf, type SwinConfig } from '../../src/models/index.ts';
import { SwinTransformer } from '../../src/models/swin.ts';

await initBackend({ backend: 'cpu', quiet: true });

/** The and timm's counts: timm SwinTransformer(img 32, patch 1, window 4, qkv_bias False, 100 classes); swin_tiny_patch4_window7_224. */
const TIMM = { 'swin-ti': { classes: 100, params: 27_562_126 }, 'swin-tiny-224': { classes: 1000, params: 28_288_354 } } as const;

for (const [name, { classes, params }] of Object.entries(TIMM)) {
  test(`${name}: ${params.toLocaleString('en')} parameters in closed form and in the built model (timm's count)`, () => {
    assert.equal(countParams(name, { numClasses: classes }), params);
    const model = createModel(name, { numClasses: classes });
    try {
      assert.equal(paramInfoCount(model.paramInfo), params);
    } finally {
      model.dispose();
    }
  });
}

test("swin-ti differs from a qkv-bias Swin by exactly timm's qkv biases (the count the issue found refused)", () => {
  const c = getPreset('swin-ti') as unknown as SwinConfig;
  assert.equal(c.qkvBias, false);
  const withBias = countParams({ ...c, qkvBias: true });
  const qkvBiases = c.depths.reduce((s, depth, i) => s + depth * 3 * c.dim * 2 ** i, 0);
  assert.equal(withBias - countParams(c), qkvBiases);
  assert.equal(withBias, 27_575_374, 'the old preset');
});

test('windows and shifts as timm: every second block shifted by w/2, a stage whose map fits the window unshifted over the whole map', () => {
  const tiny = createModel('swin-tiny-224', { numClasses: 10 }) as SwinTransformer;
  const cifar = createModel({ ...getPreset('swin-ti'), dim: 8, heads: [1, 1, 1, 1] }, { numClasses: 10 }) as SwinTransformer;
  try {
    // 224 / 4 = 56 -> 28 -> 14 -> 7 with window 7: the last stage (7 <= 7) is one unshifted window
    const stages = (m: SwinTransformer) => [...new Set(m.specs.map((b) => b.stage))].map((s) => m.specs.filter((b) => b.stage === s));
    assert.deepEqual(stages(tiny).map((bs) => [bs[0]!.resolution, bs[0]!.window, bs.map((b) => b.shift)]), [
      [56, 7, [0, 3]],
      [28, 7, [0, 3]],
      [14, 7, [0, 3, 0, 3, 0, 3]],
      [7, 7, [0, 0]],
    ]);
    // the authors' CIFAR Swin: 32 -> 16 -> 8 -> 4 with window 4
    assert.deepEqual(stages(cifar).map((bs) => [bs[0]!.resolution, bs[0]!.window, bs.map((b) => b.shift)]), [
      [32, 4, [0, 2]],
      [16, 4, [0, 2]],
      [8, 4, [0, 2, 0, 2, 0, 2]],
      [4, 4, [0, 0]],
    ]);
  } finally {
    tiny.dispose();
    cifar.dispose();
  }
});

test("pretrained_cfg: swin-tiny-224 has timm's (ImageNet mean/std, bicubic, crop 0.9); swin-ti CIFAR-100's at 32", () => {
  assert.deepEqual(pretrainedCfgOf(getPreset('swin-tiny-224')), {
    inputSize: 224, mean: [0.485, 0.456, 0.406], std: [0.229, 0.224, 0.225], interpolation: 'bicubic', cropPct: 0.9,
  });
  const cifar = pretrainedCfgOf(getPreset('swin-ti'));
  assert.equal(cifar.inputSize, 32);
  assert.equal(cifar.cropPct, 1);
  assert.deepEqual(cifar.mean, [0.5071, 0.4867, 0.4408]);
  // a configuration's own pretrainedCfg (an imported checkpoint's) wins
  const own = { inputSize: 32, mean: [0.5, 0.5, 0.5], std: [0.5, 0.5, 0.5], interpolation: 'bilinear', cropPct: 1 } as const;
  assert.deepEqual(pretrainedCfgOf({ ...getPreset('swin-ti'), pretrainedCfg: { ...own, mean: [...own.mean], std: [...own.std] } }), own);
});
