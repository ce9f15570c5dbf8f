// The family registry: a family registered from this file alone (as docs/CONTRIBUTING.md's "Add a model family"
// says) is built, costed, validated, listed and coloured like the built-in ones; duplicates and unknown
// names are refused with clear errors.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { tf } from '../../src/backend/tf.ts';
import { initBackend } from '../../src/backend/select.ts';
import {
  countParams,
  createModel,
  flopsPerImage,
  getFamily,
  getPreset,
  listFamilies,
  listPresets,
  paramInfoCount,
  registerFamily,
  registerPreset,
  resolveConfig,
  validateConfig,
  type ModelConfig,
  type ModelFamily,
} from '../../src/models/index.ts';
import { BaseModel, truncNormal, zeros, type Collector } from '../../src/models/base.ts';
import { positiveInt } from '../../src/models/config-checks.ts';
import { dense, gelu, type Ctx } from '../../src/models/ops.ts';
import { colorFor, familyOf } from '../../src/plots/style.ts';

// ---- a new family, in one file: config, checks, cost, model, registration, presets

interface PatchMlpConfig extends ModelConfig {
  family: 'patch-mlp';
  hidden: number;
}

/** Flattened image -> hidden (GELU) -> logits; the hidden layer is its one block. */
class PatchMlp extends BaseModel {
  declare readonly config: PatchMlpConfig;

  constructor(config: PatchMlpConfig, seed: number) {
    super(config, seed);
    const inputs = config.imageSize * config.imageSize * 3;
    this.param('fc.kernel', [inputs, config.hidden], 'weight', truncNormal(0.02));
    this.param('fc.bias', [config.hidden], 'bias', zeros);
    this.param('head.kernel', [config.hidden, config.numClasses], 'weight', truncNormal(0.02));
    this.param('head.bias', [config.numClasses], 'bias', zeros);
  }

  protected run(x: tf.Tensor4D, ctx: Ctx, collect: Collector): tf.Tensor2D {
    const h = gelu(dense(ctx, 'fc', tf.reshape(x, [x.shape[0], -1]), true));
    collect?.('fc', 'mlp', tf.reshape(h, [x.shape[0], 1, 1, this.config.hidden]));
    return dense(ctx, 'head', h, true) as tf.Tensor2D;
  }
}

const patchMlp: ModelFamily<PatchMlpConfig> = {
  name: 'patch-mlp',
  display: { color: '#123456', matches: /patch-?mlp/ },
  validate(config) {
    positiveInt(config, 'hidden');
    return config as PatchMlpConfig;
  },
  complexity(c) {
    const inputs = c.imageSize * c.imageSize * 3;
    return { params: inputs * c.hidden + c.hidden + c.hidden * c.numClasses + c.numClasses, macs: inputs * c.hidden + c.hidden * c.numClasses };
  },
  build: (config, seed) => new PatchMlp(config, seed),
};

registerFamily(patchMlp);
registerPreset({ family: 'patch-mlp', preset: 'patch-mlp-s', numClasses: 100, imageSize: 8, hidden: 6 }, 'a one-layer MLP on 8x8 images');

// ----

test('a family registered in one file is built, costed, validated, listed and coloured', async () => {
  await initBackend({ backend: 'cpu', quiet: true });
  assert.ok(listPresets().includes('patch-mlp-s'));
  assert.deepEqual(listPresets({ family: 'patch-mlp' }), ['patch-mlp-s']);
  assert.equal(listFamilies().at(-1)?.name, 'patch-mlp');
  assert.equal(getPreset('patch-mlp-s', 5).numClasses, 5);

  const model = createModel('patch-mlp-s', { numClasses: 5, seed: 2 });
  const x = tf.randomNormal([3, 8, 8, 3]) as tf.Tensor4D;
  const y = model.forward(x, { training: false });
  assert.deepEqual(y.shape, [3, 5]);
  assert.equal(paramInfoCount(model.paramInfo), countParams('patch-mlp-s', { numClasses: 5 }));
  assert.equal(countParams('patch-mlp-s', { numClasses: 5 }), 192 * 6 + 6 + 6 * 5 + 5);
  assert.equal(flopsPerImage('patch-mlp-s', { numClasses: 5 }), 2 * (192 * 6 + 6 * 5));
  const features = model.features(x);
  assert.deepEqual(features.map((f) => [f.name, f.kind, f.tensor.shape]), [['fc', 'mlp', [3, 1, 1, 6]]]);
  tf.dispose([x, y, ...features.map((f) => f.tensor)]);
  model.dispose();

  // a configuration (no preset) of the new family, and its checks
  const custom = createModel({ family: 'patch-mlp', preset: 'mine', numClasses: 2, imageSize: 4, hidden: 3 });
  assert.equal(paramInfoCount(custom.paramInfo), countParams(custom.config));
  custom.dispose();
  assert.throws(() => resolveConfig({ ...getPreset('patch-mlp-s'), hidden: 0 }), /model config 'patch-mlp-s': field 'hidden' is 0, expected a positive integer/);
  assert.throws(() => validateConfig({ family: 'patch-mlp', preset: 'p', numClasses: 3, imageSize: -8, hidden: 2 }), /model config 'p': field 'imageSize' is -8, expected a positive integer/);

  // plots read the colour and the label pattern from the registry
  assert.equal(familyOf('Patch-MLP (seed 1)'), 'patch-mlp');
  assert.equal(colorFor('patch-mlp-s'), '#123456');
  assert.equal(familyOf('vit-cpu'), 'vit');
  assert.equal(familyOf('Alter-ResNet-50'), 'alternet', 'the earliest match in the label wins');
});

test('duplicate families and presets, and presets of unregistered families, are refused', () => {
  assert.throws(() => registerFamily(patchMlp), /registerFamily: model family 'patch-mlp' is already registered; expected a new name/);
  assert.throws(() => registerFamily({ ...patchMlp, name: 'Patch MLP' }), /registerFamily: name "Patch MLP", expected lower-case letters/);
  assert.throws(() => registerFamily({ ...patchMlp, name: 'patch-mlp-2', display: { ...patchMlp.display, color: 'red' } }), /display\.color is "red", expected #rrggbb/);
  assert.throws(() => registerPreset(getPreset('vit-ti'), 'again'), /registerPreset: model preset 'vit-ti' is already registered \(family vit\)/);
  assert.throws(
    () => registerPreset({ family: 'mixer', preset: 'mixer-s', numClasses: 10, imageSize: 32 }, 'not a family here'),
    /preset 'mixer-s' has family 'mixer', which is not registered; expected one of vit, swin, resnet, alternet, patch-mlp/,
  );
  assert.throws(() => registerPreset({ family: 'patch-mlp', preset: 'patch-mlp-bad', numClasses: 10, imageSize: 8, hidden: 1.5 }, 'bad'), /field 'hidden' is 1\.5/);
  assert.ok(!listPresets().includes('patch-mlp-bad'), 'a refused preset is not registered');
  assert.ok(!listFamilies().some((f) => f.name === 'patch-mlp-2'), 'a refused family is not registered');
});

test('unknown families and presets give errors that list the registered ones', () => {
  assert.throws(() => getFamily('mixer'), /unknown model family 'mixer', expected one of vit, swin, resnet, alternet, patch-mlp/);
  assert.throws(() => listPresets({ family: 'mixer' }), /unknown model family 'mixer'/);
  assert.throws(() => getPreset('mixer-s'), /unknown model preset 'mixer-s', expected one of vit-ti, .*patch-mlp-s/);
  assert.throws(() => createModel('mixer-s'), /unknown model preset 'mixer-s'/);
  assert.throws(
    () => createModel({ family: 'mixer', preset: 'mine', numClasses: 10, imageSize: 32 }),
    /model config 'mine': field 'family' is "mixer", expected one of 'vit', 'swin', 'resnet', 'alternet', 'patch-mlp'/,
  );
  assert.throws(() => countParams({ family: 'mixer', preset: 'mine', numClasses: 10, imageSize: 32 }), /field 'family' is "mixer"/);
});
