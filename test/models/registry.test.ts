// The family registry: a family registered from this file alone (as docs/CONTRIBUTING.md's "Add a model family"
// says) is built, costed, validated, listed and coloured like the built-in ones; duplicates and unknown
// names are refused with clear errors.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import '../support/presets.ts'; // the tiny test presets
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
import { BaseModel, biasOf, denseKernel, truncNormal, zeros, type Collector } from '../../src/models/base.ts';
import { BLOCK_KINDS, PARAM_LAYOUTS } from '../../src/models/model.ts';
import { nearestName } from '../../src/models/registry.ts';
import { isExpectedError } from '../../src/util/errors.ts';
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
    this.param('fc.kernel', [inputs, config.hidden], denseKernel('mlp'), truncNormal(0.02));
    this.param('fc.bias', [config.hidden], biasOf('mlp'), zeros);
    this.param('head.kernel', [config.hidden, config.numClasses], denseKernel('head'), truncNormal(0.02));
    this.param('head.bias', [config.numClasses], biasOf('head'), zeros);
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
    () => registerPreset({ family: 'convnext', preset: 'convnext-s', numClasses: 10, imageSize: 32 }, 'not a family here'),
    /preset 'convnext-s' has family 'convnext', which is not registered; expected one of vit, swin, resnet, alternet, .*patch-mlp/,
  );
  assert.throws(() => registerPreset({ family: 'patch-mlp', preset: 'patch-mlp-bad', numClasses: 10, imageSize: 8, hidden: 1.5 }, 'bad'), /field 'hidden' is 1\.5/);
  assert.ok(!listPresets().includes('patch-mlp-bad'), 'a refused preset is not registered');
  assert.ok(!listFamilies().some((f) => f.name === 'patch-mlp-2'), 'a refused family is not registered');
});

test('unknown families and presets give errors that list the registered ones', () => {
  assert.throws(() => getFamily('convnext'), /unknown model family 'convnext', expected one of vit, swin, resnet, alternet, .*patch-mlp/);
  assert.throws(() => listPresets({ family: 'convnext' }), /unknown model family 'convnext'/);
  assert.throws(() => getPreset('convnext-s'), /unknown model preset 'convnext-s', expected one of vit-ti, .*patch-mlp-s/);
  assert.throws(() => createModel('convnext-s'), /unknown model preset 'convnext-s'/);
  assert.throws(
    () => createModel({ family: 'convnext', preset: 'mine', numClasses: 10, imageSize: 32 }),
    /model config 'mine': field 'family' is "convnext", expected one of 'vit', 'swin', 'resnet', 'alternet', .*'patch-mlp'/,
  );
  assert.throws(() => countParams({ family: 'convnext', preset: 'mine', numClasses: 10, imageSize: 32 }), /field 'family' is "convnext"/);
});

test('a mistyped or unknown preset is one expected error (exit status 2) naming the value and the nearest preset', () => {
  const caught = (f: () => unknown): Error & { exitCode?: number } => {
    try {
      f();
    } catch (err) {
      return err as Error & { exitCode?: number };
    }
    throw new Error('no error');
  };
  const typo = caught(() => getPreset('vit-tii'));
  assert.ok(isExpectedError(typo), 'the CLI prints it without a stack');
  assert.equal(typo.exitCode, 2);
  assert.match(typo.message, /^unknown model preset 'vit-tii' \(did you mean 'vit-ti'\?\), expected one of /);
  assert.ok(!typo.message.includes('\n'), 'one line');
  assert.match(caught(() => resolveConfig('swin-tiny')).message, /did you mean 'swin-ti(ny-224)?'\?/);
  assert.match(caught(() => getFamily('swim')).message, /unknown model family 'swim' \(did you mean 'swin'\?\)/);
  assert.doesNotMatch(caught(() => getPreset('qqqqqqqqqqqqqq')).message, /did you mean/);
  assert.equal(nearestName('resnet50', ['resnet-50', 'resnet-18', 'vit-ti']), 'resnet-50');
  const bad = caught(() => resolveConfig({ ...getPreset('vit-ti'), heads: 5 }));
  assert.ok(isExpectedError(bad) && bad.exitCode === 2, 'a bad field is an expected error too');
});

test('every parameter of every family declares its layout (matching its rank) and block', () => {
  for (const name of ['patch-mlp-s', 'vit-tiny-test', 'swin-tiny-test', 'resnet-tiny-test', 'alternet-tiny-test']) {
    if (!listPresets().includes(name)) continue;
    const model = createModel(name, { numClasses: 3 });
    for (const p of model.paramInfo) {
      assert.ok((PARAM_LAYOUTS as readonly string[]).includes(p.layout), `${name} ${p.name}: layout ${p.layout}`);
      assert.ok((BLOCK_KINDS as readonly string[]).includes(p.block), `${name} ${p.name}: block ${p.block}`);
      const rank = { dense: 2, conv: 4, depthwise: 4, spatial: 4, vector: 1, tokens: p.shape.length }[p.layout];
      assert.equal(p.shape.length, rank, `${name} ${p.name}: [${p.shape}] as ${p.layout}`);
    }
    model.dispose();
  }
  // the declaration is checked where the parameter is created
  class Wrong extends BaseModel {
    constructor() {
      super({ family: 'patch-mlp', preset: 'wrong', numClasses: 2, imageSize: 2 }, 0);
      this.param('w', [2, 2, 2], denseKernel('mlp'), zeros);
    }
    protected run(): tf.Tensor2D {
      throw new Error('unused');
    }
  }
  assert.throws(() => new Wrong(), /parameter w: declared layout 'dense' needs 2 dimensions, the shape is \[2, 2, 2\]/);
});
