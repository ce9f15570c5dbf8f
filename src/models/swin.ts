// Swin Transformer (Liu et al. 2021) as timm's `SwinTransformer` builds it: patch embedding + LayerNorm; stages of
// blocks x + WMSA(LN(x)), x + MLP(LN(x)) where attention runs inside ws x ws windows with a
// per-head relative position bias, every second block on windows shifted by ws/2 (cyclic shift
// + attention mask); patch merging (2x2 neighbours concatenated, LN, linear 4C -> 2C) at the start
// of every stage but the first; final LN, global average pooling, linear head. Where a stage's
// map is no larger than the window, the window shrinks to the map and nothing is shifted (timm).
// Init as timm: Linear trunc-normal(0.02) with zero bias, bias tables trunc-normal(0.02),
// LN (1, 0), the patch-embedding conv PyTorch's default U(+-1/sqrt(fan_in)). LayerNorm eps 1e-5 everywhere.
// Parameter names are timm >= 0.9's (patch merging `layers.{s}.downsample` at the start of stage s); the
// checkpoint sources below also read timm <= 0.6's files (the authors' Swin-Ti: merging at the end of stage
// s-1, `head` instead of `head.fc`, and the buffers attn_mask / relative_position_index, checked against ours).
// This file is the swin family: configuration, checks, presets, cost, checkpoint sources and registration.
import { tf } from '../backend/tf.ts';
import { BaseModel, biasOf, convKernel, denseKernel, tokensOf, truncNormal, uniform, zeros, type Collector } from './base.ts';
import { torchName, type CheckpointSource, type DerivedTensor } from './checkpoint-source.ts';
import { boolean, fail, positiveInt, positiveIntList, positiveNumber, rate } from './config-checks.ts';
import type { ModelConfig } from './model.ts';
import { imagenetPretrainedCfg } from './pretrained-cfg.ts';
import { registerFamily, registerPreset, type Complexity } from './registry.ts';
import {
  dense,
  dropPath,
  dropout,
  gelu,
  multiHeadAttention,
  norm,
  patchEmbed,
  relativePositionBias,
  relativePositionIndex,
  roll2d,
  shiftedWindowMask,
  splitQkv,
  windowPartition,
  windowReverse,
  type Ctx,
} from './ops.ts';

const LN_EPS = 1e-5;

export interface SwinConfig extends ModelConfig {
  family: 'swin';
  patchSize: number;
  windowSize: number;
  dim: number;
  depths: number[];
  heads: number[];
  mlpRatio: number;
  qkvBias: boolean;
  dropPathRate: number;
  dropRate: number;
}

interface SwinBlockSpec {
  name: string;
  stage: number;
  dim: number;
  heads: number;
  resolution: number;
  window: number;
  shift: number;
  dropPath: number;
}

/** Stage dims, map sizes, effective windows and shifts of every block. */
function swinBlockSpecs(c: Pick<SwinConfig, 'imageSize' | 'patchSize' | 'windowSize' | 'dim' | 'depths' | 'heads' | 'dropPathRate'>): SwinBlockSpec[] {
  const total = c.depths.reduce((a, b) => a + b, 0);
  const specs: SwinBlockSpec[] = [];
  let res = c.imageSize / c.patchSize;
  let idx = 0;
  c.depths.forEach((depth, s) => {
    if (s > 0) res /= 2;
    const window = Math.min(c.windowSize, res);
    for (let j = 0; j < depth; j++) {
      specs.push({
        name: `layers.${s}.blocks.${j}`,
        stage: s,
        dim: c.dim * 2 ** s,
        heads: c.heads[s]!,
        resolution: res,
        window,
        shift: j % 2 === 1 && res > c.windowSize ? Math.floor(window / 2) : 0,
        dropPath: total > 1 ? (c.dropPathRate * idx) / (total - 1) : c.dropPathRate,
      });
      idx++;
    }
  });
  return specs;
}

const maskCache = new Map<string, Float32Array>();
function maskFor(res: number, ws: number, shift: number): Float32Array {
  const key = `${res}/${ws}/${shift}`;
  let m = maskCache.get(key);
  if (!m) maskCache.set(key, (m = shiftedWindowMask(res, res, ws, shift)));
  return m;
}

export class SwinTransformer extends BaseModel {
  declare readonly config: SwinConfig;
  readonly specs: SwinBlockSpec[];

  constructor(config: SwinConfig, seed: number) {
    super(config, seed);
    const c = config;
    this.specs = swinBlockSpecs(c);
    const fanIn = c.patchSize * c.patchSize * 3;
    this.param('patch_embed.proj.kernel', [c.patchSize, c.patchSize, 3, c.dim], convKernel('embedding'), uniform(1 / Math.sqrt(fanIn)));
    this.param('patch_embed.proj.bias', [c.dim], biasOf('embedding'), uniform(1 / Math.sqrt(fanIn)));
    this.layerNormParams('patch_embed.norm', c.dim, 'embedding');
    let stage = -1;
    for (const b of this.specs) {
      if (b.stage !== stage) {
        stage = b.stage;
        if (stage > 0) {
          const prev = b.dim / 2;
          this.layerNormParams(`layers.${stage}.downsample.norm`, 4 * prev, 'pool');
          this.param(`layers.${stage}.downsample.reduction.kernel`, [4 * prev, 2 * prev], denseKernel('pool'), truncNormal(0.02));
        }
      }
      this.declareBlock(() => {
        const d = b.dim;
        const hidden = Math.round(d * c.mlpRatio);
        this.layerNormParams(`${b.name}.norm1`, d, 'msa');
        this.param(`${b.name}.attn.relative_position_bias_table`, [(2 * b.window - 1) ** 2, b.heads], tokensOf('msa', 'position'), truncNormal(0.02));
        this.param(`${b.name}.attn.qkv.kernel`, [d, 3 * d], denseKernel('msa'), truncNormal(0.02));
        if (c.qkvBias) this.param(`${b.name}.attn.qkv.bias`, [3 * d], biasOf('msa'), zeros);
        this.param(`${b.name}.attn.proj.kernel`, [d, d], denseKernel('msa'), truncNormal(0.02));
        this.param(`${b.name}.attn.proj.bias`, [d], biasOf('msa'), zeros);
        this.layerNormParams(`${b.name}.norm2`, d, 'mlp');
        this.param(`${b.name}.mlp.fc1.kernel`, [d, hidden], denseKernel('mlp'), truncNormal(0.02));
        this.param(`${b.name}.mlp.fc1.bias`, [hidden], biasOf('mlp'), zeros);
        this.param(`${b.name}.mlp.fc2.kernel`, [hidden, d], denseKernel('mlp'), truncNormal(0.02));
        this.param(`${b.name}.mlp.fc2.bias`, [d], biasOf('mlp'), zeros);
      });
    }
    const last = this.specs[this.specs.length - 1]!.dim;
    this.layerNormParams('norm', last, 'head');
    this.param('head.kernel', [last, c.numClasses], denseKernel('head'), truncNormal(0.02));
    this.param('head.bias', [c.numClasses], biasOf('head'), zeros);
  }

  protected run(x: tf.Tensor4D, ctx: Ctx, collect: Collector): tf.Tensor2D {
    const c = this.config;
    const emb = patchEmbed(x, ctx.p('patch_embed.proj.kernel'), ctx.p('patch_embed.proj.bias'), c.patchSize);
    let h = dropout(ctx, norm(ctx, 'patch_embed.norm', emb, LN_EPS), c.dropRate) as tf.Tensor4D;
    collect?.('patch_embed', 'embedding', h);
    let stage = 0;
    for (const b of this.specs) {
      if (b.stage !== stage) {
        stage = b.stage;
        h = patchMerging(ctx, `layers.${stage}.downsample`, h);
        collect?.(`layers.${stage}.downsample`, 'pool', h);
      }
      h = this.attentionBlock(ctx, b, h);
      collect?.(`${b.name}.attn`, 'msa', h);
      let m = dense(ctx, `${b.name}.mlp.fc1`, norm(ctx, `${b.name}.norm2`, h, LN_EPS), true);
      m = dropout(ctx, gelu(m), c.dropRate);
      m = dropout(ctx, dense(ctx, `${b.name}.mlp.fc2`, m, true), c.dropRate);
      h = tf.add(h, dropPath(ctx, m, b.dropPath)) as tf.Tensor4D;
      collect?.(`${b.name}.mlp`, 'mlp', h);
    }
    const pooled = tf.mean(norm(ctx, 'norm', h, LN_EPS), [1, 2]);
    return dense(ctx, 'head', pooled, true) as tf.Tensor2D;
  }

  /** x + dropPath(proj(W-MSA(LN(x)))) with cyclic shift and mask when b.shift > 0. */
  private attentionBlock(ctx: Ctx, b: SwinBlockSpec, x: tf.Tensor4D): tf.Tensor4D {
    const [batch, hh, ww] = x.shape;
    const ws = b.window;
    let h = norm(ctx, `${b.name}.norm1`, x, LN_EPS) as tf.Tensor4D;
    if (b.shift > 0) h = roll2d(h, b.shift);
    const win = windowPartition(h, ws); // [B*nW, ws*ws, d]
    const [q, k, v] = splitQkv(dense(ctx, `${b.name}.attn.qkv`, win, this.config.qkvBias) as tf.Tensor3D);
    const bias = relativePositionBias(ctx.p(`${b.name}.attn.relative_position_bias_table`), ws);
    const nW = (hh / ws) * (ww / ws);
    const mask = b.shift > 0 ? tf.tensor3d(maskFor(hh, ws, b.shift), [nW, ws * ws, ws * ws]) : undefined;
    let a: tf.Tensor = multiHeadAttention(q, k, v, b.heads, bias, mask);
    a = dropout(ctx, dense(ctx, `${b.name}.attn.proj`, a, true), this.config.dropRate);
    let y = windowReverse(a as tf.Tensor3D, ws, batch, hh, ww);
    if (b.shift > 0) y = roll2d(y, -b.shift);
    return tf.add(x, dropPath(ctx, y, b.dropPath)) as tf.Tensor4D;
  }
}

/** 2x2 neighbours concatenated to 4C (timm's order: column offset, then row offset), LN, linear to 2C. */
function patchMerging(ctx: Ctx, prefix: string, x: tf.Tensor4D): tf.Tensor4D {
  const [b, h, w, c] = x.shape;
  let y: tf.Tensor = tf.reshape(x, [b, h / 2, 2, w / 2, 2, c]);
  y = tf.reshape(tf.transpose(y, [0, 1, 3, 4, 2, 5]), [b, h / 2, w / 2, 4 * c]);
  y = norm(ctx, `${prefix}.norm`, y, LN_EPS);
  return dense(ctx, `${prefix}.reduction`, y, false) as tf.Tensor4D;
}

function validate(config: ModelConfig): SwinConfig {
  const size = config.imageSize;
  const patch = positiveInt(config, 'patchSize');
  const windowSize = positiveInt(config, 'windowSize');
  const dim = positiveInt(config, 'dim');
  const depths = positiveIntList(config, 'depths');
  const heads = positiveIntList(config, 'heads', depths.length);
  if (size % patch !== 0) fail(config, 'patchSize', patch, `a divisor of imageSize ${size}`);
  let res = size / patch;
  for (let s = 0; s < depths.length; s++) {
    if (s > 0) {
      if (res % 2 !== 0) fail(config, 'depths', depths, `at most as many stages as the ${size / patch} token map can be halved`);
      res /= 2;
    }
    const ws = Math.min(windowSize, res);
    if (res % ws !== 0) fail(config, 'windowSize', windowSize, `a divisor of the stage-${s + 1} map size ${res}`);
    const d = dim * 2 ** s;
    if (d % heads[s]! !== 0) fail(config, 'heads', heads, `divisors of the stage dims (stage ${s + 1}: ${d})`);
  }
  positiveNumber(config, 'mlpRatio');
  boolean(config, 'qkvBias');
  rate(config, 'dropPathRate');
  rate(config, 'dropRate');
  return config as SwinConfig;
}

/** Closed form per layer (independent of the class above, so tests can compare the two); see complexity.ts. */
function complexity(c: SwinConfig): Complexity {
  let r = c.imageSize / c.patchSize;
  const pp3 = c.patchSize * c.patchSize * 3;
  let params = pp3 * c.dim + c.dim + 2 * c.dim;
  let macs = r * r * pp3 * c.dim;
  let d = c.dim;
  c.depths.forEach((depth, s) => {
    if (s > 0) {
      params += 2 * 4 * d + 4 * d * 2 * d;
      r /= 2;
      macs += r * r * 4 * d * 2 * d;
      d *= 2;
    }
    const w = Math.min(c.windowSize, r);
    const hid = Math.round(d * c.mlpRatio);
    const heads = c.heads[s]!;
    params += depth * (4 * d + (2 * w - 1) ** 2 * heads + 3 * d * d + (c.qkvBias ? 3 * d : 0) + d * d + d + 2 * d * hid + hid + d);
    macs += depth * (r * r * (4 * d * d + 2 * d * hid) + 2 * r * r * w * w * d);
  });
  params += 2 * d + d * c.numClasses + c.numClasses;
  macs += d * c.numClasses;
  return { params, macs };
}

/** The keys both timm layouts share (a Swin state dict has a patch embedding and relative-position tables). */
function looksLikeSwin(keys: ReadonlySet<string>): boolean {
  return keys.has('patch_embed.proj.weight') && keys.has('layers.0.blocks.0.attn.relative_position_bias_table');
}

/**
 * The values timm <= 0.6 saves in its buffers, from the configuration: `relative_position_index` [N, N] of every
 * block and `attn_mask` [nW, N, N] (0 / -100) of every shifted block. A file whose buffers differ was built with
 * other windows or shifts, which its parameter shapes alone may not reveal; timm >= 0.9 does not save them.
 */
function swinDerived(key: string, config: SwinConfig): DerivedTensor | null {
  const m = /^(layers\.\d+\.blocks\.\d+)\.(attn\.relative_position_index|attn_mask)$/.exec(key);
  if (!m) return null;
  const spec = swinBlockSpecs(config).find((b) => b.name === m[1]);
  if (!spec) return null;
  const n = spec.window * spec.window;
  if (m[2] === 'attn_mask') {
    if (spec.shift === 0) return null; // timm saves no mask for an unshifted block: such a key is unexpected
    const nW = (spec.resolution / spec.window) ** 2;
    return { shape: [nW, n, n], values: maskFor(spec.resolution, spec.window, spec.shift) };
  }
  return { shape: [n, n], values: relativePositionIndex(spec.window) };
}

/** timm >= 0.9 (and 1.0): parameter names as ours; the head is `head.fc`. */
const TIMM_SWIN: CheckpointSource<SwinConfig> = {
  id: 'timm-swin',
  title: "timm's SwinTransformer (timm >= 0.9)",
  recognises: (keys) => looksLikeSwin(keys) && keys.has('head.fc.weight'),
  headKey: 'head.fc.weight',
  key: (target) => torchName(target).replace(/^head\./, 'head.fc.'),
  derived: swinDerived,
};

/** timm <= 0.6 (0.4.9 to 0.6.x, the authors' Swin-Ti): patch merging at the end of the previous stage, head `head`. */
const TIMM_SWIN_OLD: CheckpointSource<SwinConfig> = {
  id: 'timm-swin-0.5',
  title: "timm <= 0.6's SwinTransformer (the authors' Swin-Ti)",
  recognises: (keys) => looksLikeSwin(keys) && keys.has('head.weight') && !keys.has('head.fc.weight'),
  headKey: 'head.weight',
  key: (target) => torchName(target).replace(/^layers\.(\d+)\.downsample\./, (_, s: string) => `layers.${Number(s) - 1}.downsample.`),
  derived: swinDerived,
};

registerFamily<SwinConfig>({
  name: 'swin',
  display: { color: '#8c564b', matches: /swin/ },
  validate,
  complexity,
  build: (config, seed) => new SwinTransformer(config, seed),
  checkpoints: [TIMM_SWIN, TIMM_SWIN_OLD],
});

/** The paper's Swin-Ti for CIFAR: the authors' timm SwinTransformer(img_size=32, patch_size=1, window_size=4, qkv_bias=False). */
const SWIN_TI: SwinConfig = {
  family: 'swin',
  preset: 'swin-ti',
  numClasses: 100,
  imageSize: 32,
  patchSize: 1,
  windowSize: 4,
  dim: 96,
  depths: [2, 2, 6, 2],
  heads: [3, 6, 12, 24],
  mlpRatio: 4,
  qkvBias: false,
  dropPathRate: 0.1,
  dropRate: 0,
};

const preset = (name: string, description: string, o: Partial<SwinConfig> = {}, pretrained?: ReturnType<typeof imagenetPretrainedCfg>): void =>
  registerPreset({ ...SWIN_TI, ...o, preset: name }, description, { pretrained });

preset('swin-ti', "Swin-Ti for CIFAR (paper; the authors' timm SwinTransformer): patch 1, window 4, dim 96, depths 2-2-6-2, heads 3-6-12-24, no qkv bias");
// timm's ImageNet Swin-T, for imported weights (the class count comes from the imported head).
preset(
  'swin-tiny-224',
  "timm's swin_tiny_patch4_window7_224: 224x224, patch 4, window 7, dim 96, depths 2-2-6-2, heads 3-6-12-24, qkv bias",
  { imageSize: 224, patchSize: 4, windowSize: 7, qkvBias: true },
  imagenetPretrainedCfg(224, { cropPct: 0.9 }),
);
// CPU-sized (defaults, notebooks, CI); keeps its qkv bias (and so its parameter count, which the benchmarks record).
preset('swin-cpu', 'CPU Swin: patch 2, window 4, dim 64, depths 2-2-2, heads 2-4-8, qkv bias', { patchSize: 2, dim: 64, depths: [2, 2, 2], heads: [2, 4, 8], qkvBias: true });
