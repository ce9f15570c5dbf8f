// `--params <group>` selects what the families declare (ParamInfo.block / .layout / .role), not what names
// suggest: Mixer's token-mixing MLP (mlp_tokens) and channel MLP (mlp_channels), MobileViT's convolutions inside
// its MobileViT blocks (conv_kxk) and its transformer, PiT's depthwise pooling. Regular expressions still work.
import { test, before } from 'node:test';
import '../support/presets.ts'; // the tiny test presets
import assert from 'node:assert/strict';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { existsSync } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { makeGeneratedDataset } from '../../src/data/index.ts';
import { command } from '../../src/cli/commands/hessian.ts';
import { bareContext } from '../../src/cli/context.ts';
import { initBackend } from '../../src/backend/select.ts';
import { tf } from '../../src/backend/tf.ts';
import { createModel, listPresets, type Model } from '../../src/models/index.ts';
import { modelHessianOperator } from '../../src/hessian/model-operator.ts';
import { countParams, PARAM_GROUPS, selectParamNames } from '../../src/hessian/param-groups.ts';
import { isExpectedError } from '../../src/util/errors.ts';
import { Rng, normalVector } from '../../src/util/random.ts';
import { TEST_PRESETS } from '../support/presets.ts';
import { randomiseHead } from '../support/away-from-init.ts';

before(async () => {
  await initBackend({ backend: 'cpu', quiet: true });
});

const select = (m: Model, spec: string) => selectParamNames(m.paramInfo, spec);
const declared = (m: Model, block: string) => m.paramInfo.filter((p) => p.block === block && p.role !== 'norm').map((p) => p.name);

test("Mixer: 'token-mlp' is the token-mixing MLP, 'mlp' the channel MLP, and there is no 'msa'", (t) => {
  if (!listPresets().includes('mixer-tiny-test')) return t.skip('no mixer family registered');
  const m = createModel('mixer-tiny-test', { numClasses: 3 });
  try {
    const tokens = select(m, 'token-mlp');
    const channels = select(m, 'mlp');
    assert.ok(tokens.length > 0 && tokens.every((n) => /\.mlp_tokens\.fc[12]\.(kernel|bias)$/.test(n)), tokens.join());
    assert.ok(channels.length > 0 && channels.every((n) => /\.mlp_channels\.fc[12]\.(kernel|bias)$/.test(n)), channels.join());
    assert.equal(tokens.length, channels.length);
    // every mlp_tokens / mlp_channels weight is selected: nothing of the MLPs is missed
    assert.deepEqual(tokens, m.paramInfo.filter((p) => p.name.includes('.mlp_tokens.')).map((p) => p.name));
    assert.deepEqual(channels, m.paramInfo.filter((p) => p.name.includes('.mlp_channels.')).map((p) => p.name));
    // the name guess the declarations replace ('.mlp.' in the name) finds none of them
    assert.throws(() => select(m, '(^|\\.)mlp\\.'), /matches no parameter/);
    const msa = (() => {
      try {
        return select(m, 'msa');
      } catch (err) {
        return err as Error;
      }
    })();
    assert.ok(msa instanceof Error && isExpectedError(msa), 'an MSA selection on Mixer is an expected error');
    assert.match(msa.message, /'msa' matches no parameter \(this model declares blocks embedding, token-mlp, mlp, head;/);
  } finally {
    m.dispose();
  }
});

test("MobileViT: 'conv' has every convolution (conv_kxk of the MobileViT blocks, depthwise conv2_kxk), 'msa'/'mlp' its transformer", (t) => {
  if (!listPresets().includes('mobilevit-tiny-test')) return t.skip('no mobilevit family registered');
  const m = createModel('mobilevit-tiny-test', { numClasses: 3 });
  try {
    const conv = select(m, 'conv');
    assert.ok(conv.some((n) => n.endsWith('conv_kxk.conv.kernel')), 'conv_kxk is a conv');
    assert.ok(conv.some((n) => n.endsWith('conv2_kxk.conv.kernel')), 'the depthwise conv2_kxk is a conv');
    assert.ok(conv.every((n) => !/\.(gamma|beta)$/.test(n)), 'norms are not in conv');
    assert.deepEqual(conv, declared(m, 'conv'));
    const msa = select(m, 'msa');
    assert.ok(msa.length > 0 && msa.every((n) => /\.transformer\.\d+\.attn\./.test(n)), msa.join());
    const mlp = select(m, 'mlp');
    assert.ok(mlp.length > 0 && mlp.every((n) => /\.transformer\.\d+\.mlp\./.test(n)), mlp.join());
    // by layout: exactly the depthwise filters, whatever their names
    const depthwise = select(m, 'layout:depthwise');
    assert.deepEqual(depthwise, m.paramInfo.filter((p) => p.layout === 'depthwise').map((p) => p.name));
    assert.ok(depthwise.length > 0 && depthwise.every((n) => n.endsWith('conv2_kxk.conv.kernel')));
    assert.deepEqual(select(m, 'norm'), m.paramInfo.filter((p) => p.role === 'norm').map((p) => p.name));
  } finally {
    m.dispose();
  }
});

test("PiT: 'pool' is the depthwise pooling conv and the class-token Linear; 'embedding' holds the spatial pos_embed", (t) => {
  if (!listPresets().includes('pit-tiny-test')) return t.skip('no pit family registered');
  const m = createModel('pit-tiny-test', { numClasses: 3 });
  try {
    const pool = select(m, 'pool');
    assert.ok(pool.length > 0 && pool.every((n) => /\.pool\.(conv|fc)\.(kernel|bias)$/.test(n)), pool.join());
    assert.ok(select(m, 'embedding').includes('pos_embed'));
    assert.deepEqual(select(m, 'layout:spatial'), ['pos_embed']);
  } finally {
    m.dispose();
  }
});

// Blocks each tiny preset has (test/support/presets.ts): depth, the sum of the stage depths, or (MobileViT) two
// inverted residuals and one MobileViT block; and one block of a later stage with its checkpoint name.
const BLOCKS: Record<string, { count: number; later: [number, string] }> = {
  'vit-tiny-test': { count: 2, later: [1, 'blocks.1.'] },
  'vit-gap-tiny-test': { count: 2, later: [1, 'blocks.1.'] },
  'swin-tiny-test': { count: 4, later: [2, 'layers.1.blocks.0.'] },
  'resnet-tiny-test': { count: 2, later: [1, 'layers.1.blocks.0.'] },
  'resnet-a-tiny-test': { count: 3, later: [2, 'layers.1.blocks.1.'] },
  'resnet-bottleneck-tiny-test': { count: 2, later: [1, 'layers.1.blocks.0.'] },
  'alternet-tiny-test': { count: 3, later: [2, 'layers.1.blocks.1.'] },
  'alternet-bottleneck-tiny-test': { count: 3, later: [1, 'layers.1.blocks.0.'] },
  'pit-tiny-test': { count: 3, later: [1, 'transformers.1.blocks.0.'] },
  'mixer-tiny-test': { count: 2, later: [1, 'blocks.1.'] },
  'mobilevit-tiny-test': { count: 3, later: [2, 'stages.1.1.'] },
};

test('block:<i> selects the declared i-th block in forward order, across stages, on every tiny preset', () => {
  assert.deepEqual(Object.keys(BLOCKS).sort(), [...TEST_PRESETS].sort(), 'every tiny preset has its expected blocks');
  for (const name of TEST_PRESETS) {
    const m = createModel(name, { numClasses: 3 });
    try {
      const { count, later } = BLOCKS[name]!;
      const indices = m.paramInfo.flatMap((p) => (p.blockIndex === undefined ? [] : [p.blockIndex]));
      // declared in model order: the indices run 0, 0, ..., 1, 1, ... up to count - 1
      assert.deepEqual([...new Set(indices)], Array.from({ length: count }, (_, i) => i), `${name}: blocks 0..${count - 1} in order`);
      for (let i = 1; i < indices.length; i++) assert.ok(indices[i]! >= indices[i - 1]!, `${name}: block indices never go back`);
      for (const p of m.paramInfo) {
        if (p.block === 'head' || p.block === 'embedding' || p.block === 'pool') assert.equal(p.blockIndex, undefined, `${name}: ${p.name} is outside the blocks`);
        if (p.block === 'msa' || p.block === 'mlp' || p.block === 'token-mlp') assert.notEqual(p.blockIndex, undefined, `${name}: ${p.name} is in a block`);
      }
      for (let i = 0; i < count; i++) {
        const names = select(m, `block:${i}`);
        assert.ok(names.length > 0, `${name}: block ${i} has parameters`);
        assert.deepEqual(names, m.paramInfo.filter((p) => p.blockIndex === i).map((p) => p.name));
      }
      const [i, prefix] = later;
      const names = select(m, `block:${i}`);
      assert.ok(names.every((n) => n.startsWith(prefix)), `${name}: block:${i} is ${prefix}*, found ${names.join(', ')}`);
      assert.deepEqual(names, m.paramInfo.filter((p) => p.name.startsWith(prefix)).map((p) => p.name), `${name}: all of ${prefix}*`);
      let err: unknown = null;
      try {
        select(m, `block:${count}`);
      } catch (e) {
        err = e;
      }
      assert.ok(isExpectedError(err) && (err as { exitCode?: number }).exitCode === 2, `${name}: block:${count} is an expected error`);
      assert.match((err as Error).message, new RegExp(`'block:${count}' names no block; this model has blocks 0 to ${count - 1}`));
    } finally {
      m.dispose();
    }
  }
});

test('on every tiny preset the block groups and norm partition the parameters; regex and block:<i> specs still work', () => {
  const groups = Object.keys(PARAM_GROUPS).filter((g) => g !== 'all');
  for (const name of TEST_PRESETS) {
    const m = createModel(name, { numClasses: 3 });
    try {
      const owner = new Map<string, string>();
      for (const g of groups) {
        let names: string[] = [];
        try {
          names = select(m, g);
        } catch (err) {
          assert.match((err as Error).message, /matches no parameter/);
        }
        for (const n of names) {
          assert.ok(!owner.has(n), `${name}: ${n} is in both ${owner.get(n)} and ${g}`);
          owner.set(n, g);
        }
      }
      assert.equal(owner.size, m.paramInfo.length, `${name}: every parameter is in one group`);
      assert.deepEqual(select(m, 'all'), m.paramInfo.map((p) => p.name));
      assert.deepEqual(select(m, 'head\\.'), m.paramInfo.filter((p) => /head\./.test(p.name)).map((p) => p.name));
    } finally {
      m.dispose();
    }
  }
  const vit = createModel('vit-tiny-test', { numClasses: 3 });
  assert.ok(select(vit, 'block:1').every((n) => n.startsWith('blocks.1.')));
  assert.deepEqual(select(vit, 'msa,mlp'), [...select(vit, 'msa'), ...select(vit, 'mlp')].sort((a, b) => vit.paramInfo.findIndex((p) => p.name === a) - vit.paramInfo.findIndex((p) => p.name === b)));
  for (const [spec, pattern] of [['layout:diagonal', /names no layout; expected layout:<dense\|conv\|depthwise/], ['(', /neither a group .* nor a valid regular expression/], [' , ', /empty parameter selection/]] as const) {
    let err: unknown = null;
    try {
      select(vit, spec);
    } catch (e) {
      err = e;
    }
    assert.ok(isExpectedError(err) && (err as { exitCode?: number }).exitCode === 2, `${spec}: an expected error, exit status 2`);
    assert.match((err as Error).message, pattern);
  }
  vit.dispose();
});

test("a restricted Hessian on Mixer's token-mlp has their dimension and is symmetric", async (t) => {
  if (!listPresets().includes('mixer-tiny-test')) return t.skip('no mixer family registered');
  const m = createModel('mixer-tiny-test', { numClasses: 3, seed: 1 });
  randomiseHead(m, 31); // a zero head (timm's init) zeroes this block: symmetric, and proving nothing
  const rng = new Rng(3);
  const x = tf.randomNormal([2, 8, 8, 3], 0, 1, 'float32', 4) as tf.Tensor4D;
  const y = tf.tensor1d([0, 2], 'int32');
  try {
    const names = select(m, 'token-mlp');
    const op = modelHessianOperator(m, [{ x, y }], { names });
    assert.equal(op.dim, countParams(m.paramInfo, names));
    const u = normalVector(rng, op.dim);
    const v = normalVector(rng, op.dim);
    const hu = await op.matvec(u);
    const hv = await op.matvec(v);
    assert.ok(hu.some((x) => x !== 0), 'the token-mlp block is zero');
    let a = 0;
    let b = 0;
    for (let i = 0; i < op.dim; i++) {
      a += v[i]! * hu[i]!;
      b += u[i]! * hv[i]!;
    }
    assert.ok(Math.abs(a - b) <= 1e-3 * Math.max(Math.abs(a), 1e-9), `vᵀHu ${a} vs uᵀHv ${b}`);
  } finally {
    m.dispose();
    tf.dispose([x, y]);
  }
});

test('hessian --params: a group the model does not declare is refused before the run folder exists; a declared one is what hessian.json lists', async () => {
  const dir = await mkdtemp(path.join(os.tmpdir(), 'vitscope-params-'));
  try {
    const data = path.join(dir, 'data');
    await makeGeneratedDataset({ out: data, train: 20, test: 10, seed: 1 });
    const options = (params: string, run: string) => ({
      model: ['resnet-20'], data, results: path.join(dir, 'results'), run, seed: 2, formats: ['html'],
      analyses: ['maxeig'], 'batch-size': 2, batches: 2, fraction: 0, k: 1, 'max-iter': 2, groups: 1, params,
    });
    await assert.rejects(command.run(options('msa', 'bad'), bareContext({ lines: [] })), (err: Error) => {
      assert.ok(isExpectedError(err));
      assert.match(err.message, /option '--params' \(model 'resnet-20 \(init\)'\): 'msa' matches no parameter \(this model declares blocks conv, head;/);
      return true;
    });
    assert.equal(existsSync(path.join(dir, 'results', 'bad')), false, 'no run folder');
    await command.run(options('head', 'ok'), bareContext({ lines: [] }));
    const json = JSON.parse(await readFile(path.join(dir, 'results', 'ok', 'hessian.json'), 'utf8')) as { models: { paramNames: string[]; dim: number }[] };
    const resnet = createModel('resnet-20', { numClasses: 100 });
    assert.deepEqual(json.models[0]!.paramNames, select(resnet, 'head'));
    assert.equal(json.models[0]!.dim, countParams(resnet.paramInfo, select(resnet, 'head')));
    resnet.dispose();
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
});
