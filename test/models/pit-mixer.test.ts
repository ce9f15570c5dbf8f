// PiT and MLP-Mixer: parameter counts against timm's (closed form and built models), and PyTorch-free forward
// checks of the two layers that set these families apart, on small handmade inputs: PiT's pooling (depthwise
// k3 s2 p1, channel multiplier 2, as PyTorch's Conv2d(C, 2C, 3, 2, 1, groups=C)) and Mixer's token mixing
// (one MLP across the tokens, shared by every channel). Checkpoint key maps against timm's module structure.
import { test } from 'node:test';
import '../support/presets.ts';
import assert from 'node:assert/strict';
import { tf } from '../../src/backend/tf.ts';
import { initBackend } from '../../src/backend/select.ts';
import { countParams, createModel, getFamily, getPreset, paramInfoCount, pretrainedCfgOf, resolveConfig } from '../../src/models/index.ts';
import type { Ctx } from '../../src/models/ops.ts';
import { pitPoolConv, type PiTConfig } from '../../src/models/pit.ts';
import { tokenMixing } from '../../src/models/mixer.ts';
import { Rng } from '../../src/util/random.ts';
import { pseudoRandom, randomImages } from './helpers.ts';

// timm 1.0.29's sum(p.numel() for p in model.parameters()): pit_ti_224(img_size=32, patch_size=2, stride=1,
// num_classes=100) (the authors' PiT-Ti), pit_ti_224, MlpMixer(img_size=32, patch_size=2, embed_dim=256, num_blocks=8,
// num_classes=100) (the authors' Mixer-Ti sizes), mixer_b16_224.
const TIMM: [string, number, number][] = [
  ['pit-ti', 100, 4_582_436],
  ['pit-ti-224', 1000, 4_847_272],
  ['mixer-ti', 100, 4_769_636],
  ['mixer-b16-224', 1000, 59_880_472],
];

for (const [preset, classes, count] of TIMM) {
  test(`${preset}: ${count} parameters at ${classes} classes (closed form${count < 1e7 ? ' and built model' : ''})`, async () => {
    assert.equal(countParams(preset, { numClasses: classes }), count);
    if (count < 1e7) {
      await initBackend({ backend: 'cpu', quiet: true });
      const m = createModel(preset, { numClasses: classes });
      assert.equal(paramInfoCount(m.paramInfo), count);
      m.dispose();
    }
  });
}

test('the presets record timm pretrained_cfg preprocessing (ImageNet presets) or CIFAR statistics', () => {
  const pit = pretrainedCfgOf(getPreset('pit-ti-224'));
  assert.deepEqual([pit.inputSize, pit.mean, pit.std, pit.interpolation, pit.cropPct], [224, [0.485, 0.456, 0.406], [0.229, 0.224, 0.225], 'bicubic', 0.9]);
  const mix = pretrainedCfgOf(getPreset('mixer-b16-224'));
  assert.deepEqual([mix.inputSize, mix.mean, mix.std, mix.interpolation, mix.cropPct], [224, [0.5, 0.5, 0.5], [0.5, 0.5, 0.5], 'bicubic', 0.875]);
  assert.equal(pretrainedCfgOf(getPreset('pit-ti')).inputSize, 32);
  assert.notDeepEqual(pretrainedCfgOf(getPreset('mixer-ti')).mean, [0.5, 0.5, 0.5]);
});

test('invalid PiT and Mixer configurations are rejected naming the field', () => {
  assert.throws(() => resolveConfig({ ...getPreset('pit-tiny-test'), heads: [1, 2] }), /field 'heads' is \[1,2\], expected a list of 3 entries/);
  assert.throws(() => resolveConfig({ ...getPreset('pit-tiny-test'), heads: [2, 3, 6] }), /field 'heads'.*multiples of the previous stage's/);
  assert.throws(() => resolveConfig({ ...getPreset('pit-tiny-test'), patchSize: 9 }), /field 'patchSize' is 9, expected at most imageSize 8/);
  assert.throws(() => resolveConfig({ ...getPreset('pit-tiny-test'), stride: 0 }), /field 'stride' is 0, expected a positive integer/);
  assert.throws(() => resolveConfig({ ...getPreset('mixer-tiny-test'), patchSize: 3 }), /field 'patchSize' is 3, expected a divisor of imageSize 8/);
  assert.throws(() => resolveConfig({ ...getPreset('mixer-tiny-test'), tokenMlpRatio: 0.1 }), /field 'tokenMlpRatio' is 0.1, expected a ratio giving a token-MLP hidden size/);
  assert.throws(() => resolveConfig({ ...getPreset('mixer-tiny-test'), dropRate: 1 }), /field 'dropRate' is 1/);
});

test('PiT pooling on a handmade 4x4 map: a box filter and a centre tap, one channel times two', async () => {
  await initBackend({ backend: 'cpu', quiet: true });
  const x = tf.tensor4d(Array.from({ length: 16 }, (_, i) => i), [1, 4, 4, 1]); // x[r][c] = 4r + c
  // output channel 0: sum of the 3x3 neighbourhood (zero outside); channel 1: the centre value
  const k = new Float32Array(18);
  for (let t = 0; t < 9; t++) k[t * 2] = 1;
  k[4 * 2 + 1] = 1;
  const y = pitPoolConv(x, tf.tensor4d(k, [3, 3, 1, 2]), tf.tensor1d([0, 100]));
  assert.deepEqual(y.shape, [1, 2, 2, 2]);
  // centres (0,0), (0,2), (2,0), (2,2): box sums 0+1+4+5, 1+2+3+5+6+7, 4+5+8+9+12+13, 5+6+7+9+10+11+13+14+15
  assert.deepEqual(Array.from(y.dataSync()), [10, 100, 24, 102, 51, 108, 90, 110]);
});

/** PyTorch's Conv2d(C, C*M, 3, stride 2, padding 1, groups=C) written as loops; weight [C*M][3][3]. */
function referenceGroupedConv(x: Float32Array, h: number, w: number, c: number, weight: Float32Array, bias: Float32Array, m: number): { y: Float32Array; oh: number; ow: number } {
  const oh = Math.floor((h + 2 - 3) / 2) + 1;
  const ow = Math.floor((w + 2 - 3) / 2) + 1;
  const cout = c * m;
  const y = new Float32Array(oh * ow * cout);
  for (let o = 0; o < cout; o++) {
    const ci = Math.floor(o / m); // groups = C: output channel o reads input channel o / M
    for (let i = 0; i < oh; i++) {
      for (let j = 0; j < ow; j++) {
        let s = bias[o]!;
        for (let dy = 0; dy < 3; dy++) {
          for (let dx = 0; dx < 3; dx++) {
            const r = 2 * i + dy - 1;
            const q = 2 * j + dx - 1;
            if (r < 0 || r >= h || q < 0 || q >= w) continue;
            s += weight[(o * 3 + dy) * 3 + dx]! * x[(r * w + q) * c + ci]!;
          }
        }
        y[(i * ow + j) * cout + o] = s;
      }
    }
  }
  return { y, oh, ow };
}

test('PiT pooling = PyTorch grouped conv (k3 s2 p1, multiplier 2) on odd and even maps', async () => {
  await initBackend({ backend: 'cpu', quiet: true });
  for (const [h, w, c] of [[7, 7, 3], [4, 6, 2], [31, 31, 2]] as const) {
    const m = 2;
    const x = pseudoRandom(h * w * c, h + 7 * w);
    const torchWeight = pseudoRandom(c * m * 9, 3 * h + c);
    const bias = pseudoRandom(c * m, 5 + w);
    // PyTorch [C*M, 1, 3, 3] -> [3, 3, C, M]
    const k = new Float32Array(9 * c * m);
    for (let o = 0; o < c * m; o++) for (let t = 0; t < 9; t++) k[t * c * m + o] = torchWeight[o * 9 + t]!;
    const y = pitPoolConv(tf.tensor4d(x, [1, h, w, c]), tf.tensor4d(k, [3, 3, c, m]), tf.tensor1d(bias));
    const ref = referenceGroupedConv(x, h, w, c, torchWeight, bias, m);
    assert.deepEqual(y.shape, [1, ref.oh, ref.ow, c * m]);
    const got = y.dataSync();
    for (let i = 0; i < ref.y.length; i++) assert.ok(Math.abs(got[i]! - ref.y[i]!) < 1e-5, `${h}x${w}x${c} at ${i}: ${got[i]} vs ${ref.y[i]}`);
  }
});

/** A context for calling layer functions directly with given parameters (evaluation mode). */
function ctxOf(params: Record<string, tf.Tensor>): Ctx {
  return {
    training: false,
    updateStats: false,
    p: (name) => {
      const t = params[name];
      if (!t) throw new Error(`no parameter ${name}`);
      return t;
    },
    buffer: () => {
      throw new Error('no buffers');
    },
    rng: new Rng(1),
  };
}

/** GELU with erf (Abramowitz-Stegun 7.1.26, |error| < 1.5e-7), as torch.nn.GELU(). */
function geluRef(v: number): number {
  const z = Math.abs(v) / Math.SQRT2;
  const t = 1 / (1 + 0.3275911 * z);
  const erf = 1 - ((((1.061405429 * t - 1.453152027) * t + 1.421413741) * t - 0.284496736) * t + 0.254829592) * t * Math.exp(-z * z);
  return 0.5 * v * (1 + (v >= 0 ? erf : -erf));
}

test('Mixer token mixing: one MLP across the tokens of each channel, shared by all channels', async () => {
  await initBackend({ backend: 'cpu', quiet: true });
  const [b, n, c, hid] = [2, 5, 3, 4];
  const x = pseudoRandom(b * n * c, 17);
  const w1 = pseudoRandom(n * hid, 18); // [n, hid] (timm Linear(n, hid).weight transposed)
  const b1 = pseudoRandom(hid, 19);
  const w2 = pseudoRandom(hid * n, 20); // [hid, n]
  const b2 = pseudoRandom(n, 21);
  const ctx = ctxOf({
    'm.fc1.kernel': tf.tensor2d(w1, [n, hid]), 'm.fc1.bias': tf.tensor1d(b1),
    'm.fc2.kernel': tf.tensor2d(w2, [hid, n]), 'm.fc2.bias': tf.tensor1d(b2),
  });
  const y = tokenMixing(ctx, 'm', tf.tensor3d(x, [b, n, c]), 0);
  assert.deepEqual(y.shape, [b, n, c]);
  const got = y.dataSync();
  for (let s = 0; s < b; s++) {
    for (let ch = 0; ch < c; ch++) {
      const col = Array.from({ length: n }, (_, t) => x[(s * n + t) * c + ch]!);
      const h = Array.from({ length: hid }, (_, j) => geluRef(b1[j]! + col.reduce((a, v, t) => a + v * w1[t * hid + j]!, 0)));
      for (let t = 0; t < n; t++) {
        const want = b2[t]! + h.reduce((a, v, j) => a + v * w2[j * n + t]!, 0);
        assert.ok(Math.abs(got[(s * n + t) * c + ch]! - want) < 1e-5, `sample ${s} token ${t} channel ${ch}: ${got[(s * n + t) * c + ch]} vs ${want}`);
      }
    }
  }
  // changing one channel's tokens changes only that channel's output
  const x2 = Float32Array.from(x);
  for (let t = 0; t < n; t++) x2[t * c + 1]! += 1;
  const y2 = tokenMixing(ctx, 'm', tf.tensor3d(x2, [b, n, c]), 0).dataSync();
  for (let i = 0; i < got.length; i++) {
    const ch = i % c;
    const sample = Math.floor(i / (n * c));
    if (ch === 1 && sample === 0) assert.notEqual(y2[i], got[i]);
    else assert.equal(y2[i], got[i]);
  }
});

test("PiT: the 'embedding' map is the patch conv plus the spatial position embedding [1, H, W, C] (no slot for the class token)", async () => {
  await initBackend({ backend: 'cpu', quiet: true });
  const m = createModel('pit-tiny-test', { seed: 2 });
  const pos = m.params.get('pos_embed')!;
  assert.deepEqual(pos.shape, [1, 7, 7, 2]);
  // zero patch conv: the embedding feature is the position embedding itself, for every image
  const params = new Map<string, tf.Tensor>([
    ['patch_embed.conv.kernel', tf.zerosLike(m.params.get('patch_embed.conv.kernel')!)],
    ['patch_embed.conv.bias', tf.zerosLike(m.params.get('patch_embed.conv.bias')!)],
  ]);
  const x = randomImages(2, 8, 3);
  const f = m.features(x, { training: false, params });
  assert.equal(f[0]!.name, 'patch_embed');
  const want = Array.from(pos.dataSync());
  assert.deepEqual(Array.from(f[0]!.tensor.dataSync()), [...want, ...want]);
  // with a zero map (conv and position embedding zero) the logits still depend on cls_token, joined after the embedding
  params.set('pos_embed', tf.zerosLike(pos));
  const base = m.forward(x, { training: false, params }).dataSync();
  params.set('cls_token', tf.add(m.params.get('cls_token')!, 1));
  const moved = m.forward(x, { training: false, params }).dataSync();
  assert.notDeepEqual(Array.from(moved), Array.from(base));
  m.dispose();
});

test('PiT and Mixer parameters declare their layout and block', () => {
  const pit = createModel('pit-tiny-test');
  const decl = new Map(pit.paramInfo.map((p) => [p.name, `${p.layout}/${p.block}/${p.role}`]));
  assert.equal(decl.get('pos_embed'), 'spatial/embedding/position');
  assert.equal(decl.get('cls_token'), 'tokens/embedding/embedding');
  assert.equal(decl.get('patch_embed.conv.kernel'), 'conv/embedding/weight');
  assert.equal(decl.get('transformers.1.pool.conv.kernel'), 'depthwise/pool/weight');
  assert.equal(decl.get('transformers.1.pool.fc.kernel'), 'dense/pool/weight');
  assert.equal(decl.get('transformers.0.blocks.0.attn.qkv.bias'), 'vector/msa/bias');
  assert.equal(decl.get('transformers.2.blocks.0.mlp.fc2.kernel'), 'dense/mlp/weight');
  assert.equal(decl.get('norm.gamma'), 'vector/head/norm');
  const mixer = createModel('mixer-tiny-test');
  const md = new Map(mixer.paramInfo.map((p) => [p.name, `${p.layout}/${p.block}/${p.role}`]));
  assert.equal(md.get('stem.proj.kernel'), 'conv/embedding/weight');
  assert.equal(md.get('blocks.1.norm1.gamma'), 'vector/token-mlp/norm');
  assert.equal(md.get('blocks.1.mlp_tokens.fc1.kernel'), 'dense/token-mlp/weight');
  assert.equal(md.get('blocks.1.mlp_channels.fc2.kernel'), 'dense/mlp/weight');
  assert.equal(md.get('head.kernel'), 'dense/head/weight');
  pit.dispose();
  mixer.dispose();
});

/** timm's state-dict keys of a PiT, from its module structure: >= 0.9 pools at the start of stage s > 0, <= 0.6 at the end of stage s < last. */
function timmPiTKeys(stages: number[], old: boolean): string[] {
  const keys = ['pos_embed', 'cls_token', 'patch_embed.conv.weight', 'patch_embed.conv.bias'];
  const pool = (s: number) => ['conv.weight', 'conv.bias', 'fc.weight', 'fc.bias'].map((k) => `transformers.${s}.pool.${k}`);
  stages.forEach((depth, s) => {
    if (!old && s > 0) keys.push(...pool(s));
    for (let j = 0; j < depth; j++) {
      for (const l of ['norm1', 'attn.qkv', 'attn.proj', 'norm2', 'mlp.fc1', 'mlp.fc2']) keys.push(`transformers.${s}.blocks.${j}.${l}.weight`, `transformers.${s}.blocks.${j}.${l}.bias`);
    }
    if (old && s < stages.length - 1) keys.push(...pool(s));
  });
  keys.push('norm.weight', 'norm.bias', 'head.weight', 'head.bias');
  return keys.sort();
}

test("checkpoint sources map every parameter to timm's key (both PiT layouts, Mixer) and recognise only their own layout", () => {
  const m = createModel('pit-tiny-test');
  const sources = getFamily('pit').checkpoints ?? [];
  assert.deepEqual(sources.map((s) => s.id), ['timm-pit', 'timm-pit-0.5']);
  const keysOf = (id: string) => {
    const s = sources.find((x) => x.id === id)!;
    return m.paramInfo.map((p) => {
      const k = s.key(p.name, m.config);
      return typeof k === 'string' ? k : k.key;
    }).sort();
  };
  const depths = (m.config as PiTConfig).depths;
  const recent = timmPiTKeys(depths, false);
  const old = timmPiTKeys(depths, true);
  assert.deepEqual(keysOf('timm-pit'), recent);
  assert.deepEqual(keysOf('timm-pit-0.5'), old);
  assert.deepEqual(sources.map((s) => s.recognises(new Set(recent))), [true, false]);
  assert.deepEqual(sources.map((s) => s.recognises(new Set(old))), [false, true]);
  m.dispose();

  const mixer = createModel('mixer-tiny-test');
  const [ms] = getFamily('mixer').checkpoints ?? [];
  const mk = mixer.paramInfo.map((p) => {
    const k = ms!.key(p.name, mixer.config);
    return typeof k === 'string' ? k : k.key;
  });
  const want = ['stem.proj.weight', 'stem.proj.bias'];
  for (let i = 0; i < 2; i++) {
    for (const l of ['norm1', 'mlp_tokens.fc1', 'mlp_tokens.fc2', 'norm2', 'mlp_channels.fc1', 'mlp_channels.fc2']) want.push(`blocks.${i}.${l}.weight`, `blocks.${i}.${l}.bias`);
  }
  want.push('norm.weight', 'norm.bias', 'head.weight', 'head.bias');
  assert.deepEqual(mk.sort(), want.sort());
  assert.ok(ms!.recognises(new Set(want)));
  assert.ok(!ms!.recognises(new Set(recent)));
  mixer.dispose();
});
