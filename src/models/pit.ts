// Pooling-based Vision Transformer (PiT, Heo et al. 2021) as timm's PoolingVisionTransformer builds it:
// an overlapping patch embedding (a conv with kernel `patchSize`, stride `stride`, no padding), a learnable
// 4-D spatial position embedding added to the map *before* the class token is joined (the class token gets
// none), stages of pre-norm ViT blocks x + MSA(LN(x)), x + MLP(LN(x)) (qkv with bias, GELU, LayerNorm eps
// 1e-6, dim = baseDims[s] * heads[s]), and between stages a pooling layer: a depthwise conv k3 s2 p1 with
// channel multiplier dim[s+1] / dim[s] on the spatial tokens and a Linear on the class token. The head reads
// the normed class token.
// Initialisation as timm: position embedding and class token trunc-normal(0.02), LayerNorm (1, 0), every
// Linear and conv PyTorch's default U(+-1/sqrt(fan_in)) for weight and bias (timm's PiT re-initialises only
// its LayerNorms).
// Parameter names follow timm >= 0.9 (the pooling of stage s > 0 is `transformers.{s}.pool`, run at the
// start of that stage); timm <= 0.6 files (the authors' CIFAR checkpoint) name the same layer
// `transformers.{s-1}.pool`, run at the end of the stage before: the same computation.
// This file is the pit family: configuration, checks, presets, cost and registration (src/models/registry.ts).
import { tf } from '../backend/tf.ts';
import { BaseModel, biasOf, convKernel, denseKernel, depthwiseKernel, spatialOf, tokensOf, truncNormal, uniform, tokensToMap, type Collector } from './base.ts';
import { fail, positiveInt, positiveIntList, positiveNumber, rate } from './config-checks.ts';
import type { ModelConfig } from './model.ts';
import { dense, depthwiseConv, dropPath, dropout, gelu, multiHeadAttention, norm, splitQkv, type Ctx } from './ops.ts';
import { registerFamily, registerPreset, type Complexity } from './registry.ts';
import { torchName, type CheckpointSource } from './checkpoint-source.ts';
import { imagenetPretrainedCfg } from './pretrained-cfg.ts';

export interface PiTConfig extends ModelConfig {
  family: 'pit';
  /** Patch-embedding conv kernel (timm's patch_size). */
  patchSize: number;
  /** Patch-embedding conv stride (timm's stride; < patchSize gives overlapping patches). */
  stride: number;
  /** Per-stage head dimension (timm's base_dims); the stage width is baseDims[s] * heads[s]. */
  baseDims: number[];
  /** Blocks per stage (timm's depth). */
  depths: number[];
  heads: number[];
  mlpRatio: number;
  dropPathRate: number;
  dropRate: number;
}

const LN_EPS = 1e-6; // timm's PiT blocks and final norm use LayerNorm(eps=1e-6)

/** Side of the patch-embedding grid: floor((size - patch) / stride) + 1 (no padding). */
export function pitGrid(imageSize: number, patchSize: number, stride: number): number {
  return Math.floor((imageSize - patchSize) / stride) + 1;
}

/** Side of the map after PiT's pooling conv (kernel 3, stride 2, padding 1 on each side). */
export function pitPooledSide(side: number): number {
  return Math.floor((side + 2 - 3) / 2) + 1;
}

/**
 * PiT's pooling convolution on spatial tokens: depthwise k3, stride 2, one row/column of zeros on every side
 * (PyTorch's padding=1, not tf's 'same', which pads an even map only at the bottom/right), plus bias.
 * kernel: [3, 3, C, m] (output channel c * m + j reads input channel c, as PyTorch's groups=C conv orders them).
 */
export function pitPoolConv(x: tf.Tensor4D, kernel: tf.Tensor, bias: tf.Tensor): tf.Tensor4D {
  return tf.add(depthwiseConv(x, kernel, 2, 1), bias);
}

export class PoolingVisionTransformer extends BaseModel {
  declare readonly config: PiTConfig;
  /** Map side of each stage. */
  private readonly sides: number[];
  private readonly dims: number[];

  constructor(config: PiTConfig, seed: number) {
    super(config, seed);
    const { patchSize: p, numClasses } = config;
    this.dims = config.baseDims.map((b, s) => b * config.heads[s]!);
    this.sides = [pitGrid(config.imageSize, p, config.stride)];
    for (let s = 1; s < this.dims.length; s++) this.sides.push(pitPooledSide(this.sides[s - 1]!));
    const d0 = this.dims[0]!;
    const g = this.sides[0]!;
    const bound = (fanIn: number) => uniform(1 / Math.sqrt(fanIn));
    this.param('patch_embed.conv.kernel', [p, p, 3, d0], convKernel('embedding'), bound(p * p * 3));
    this.param('patch_embed.conv.bias', [d0], biasOf('embedding'), bound(p * p * 3));
    this.param('pos_embed', [1, g, g, d0], spatialOf('embedding'), truncNormal(0.02));
    this.param('cls_token', [1, 1, d0], tokensOf('embedding', 'embedding'), truncNormal(0.02));
    this.dims.forEach((d, s) => {
      const stage = `transformers.${s}`;
      if (s > 0) {
        const prev = this.dims[s - 1]!;
        // depthwise conv: fan_in = 1 * 3 * 3 (groups = in channels)
        this.param(`${stage}.pool.conv.kernel`, [3, 3, prev, d / prev], depthwiseKernel('pool'), bound(9));
        this.param(`${stage}.pool.conv.bias`, [d], biasOf('pool'), bound(9));
        this.param(`${stage}.pool.fc.kernel`, [prev, d], denseKernel('pool'), bound(prev));
        this.param(`${stage}.pool.fc.bias`, [d], biasOf('pool'), bound(prev));
      }
      const hidden = Math.round(d * config.mlpRatio);
      for (let j = 0; j < config.depths[s]!; j++) {
        this.declareBlock(() => {
          const b = `${stage}.blocks.${j}`;
          this.layerNormParams(`${b}.norm1`, d, 'msa');
          this.param(`${b}.attn.qkv.kernel`, [d, 3 * d], denseKernel('msa'), bound(d));
          this.param(`${b}.attn.qkv.bias`, [3 * d], biasOf('msa'), bound(d));
          this.param(`${b}.attn.proj.kernel`, [d, d], denseKernel('msa'), bound(d));
          this.param(`${b}.attn.proj.bias`, [d], biasOf('msa'), bound(d));
          this.layerNormParams(`${b}.norm2`, d, 'mlp');
          this.param(`${b}.mlp.fc1.kernel`, [d, hidden], denseKernel('mlp'), bound(d));
          this.param(`${b}.mlp.fc1.bias`, [hidden], biasOf('mlp'), bound(d));
          this.param(`${b}.mlp.fc2.kernel`, [hidden, d], denseKernel('mlp'), bound(hidden));
          this.param(`${b}.mlp.fc2.bias`, [d], biasOf('mlp'), bound(hidden));
        });
      }
    });
    const dLast = this.dims[this.dims.length - 1]!;
    this.layerNormParams('norm', dLast, 'head');
    this.param('head.kernel', [dLast, numClasses], denseKernel('head'), bound(dLast));
    this.param('head.bias', [numClasses], biasOf('head'), bound(dLast));
  }

  protected run(x: tf.Tensor4D, ctx: Ctx, collect: Collector): tf.Tensor2D {
    const c = this.config;
    const b = x.shape[0];
    const total = c.depths.reduce((a, n) => a + n, 0);
    let map = tf.conv2d(x, ctx.p('patch_embed.conv.kernel') as tf.Tensor4D, c.stride, 'valid');
    map = tf.add(tf.add(map, ctx.p('patch_embed.conv.bias')), ctx.p('pos_embed'));
    map = dropout(ctx, map, c.dropRate) as tf.Tensor4D;
    collect?.('patch_embed', 'embedding', map);
    let cls: tf.Tensor = tf.tile(ctx.p('cls_token'), [b, 1, 1]);
    let blockIndex = 0;
    this.dims.forEach((d, s) => {
      const stage = `transformers.${s}`;
      if (s > 0) {
        map = pitPoolConv(map, ctx.p(`${stage}.pool.conv.kernel`), ctx.p(`${stage}.pool.conv.bias`));
        cls = dense(ctx, `${stage}.pool.fc`, cls, true);
        collect?.(`${stage}.pool`, 'pool', map);
      }
      const g = this.sides[s]!;
      const spatial = (u: tf.Tensor) => tf.slice(u, [0, 1, 0], [b, g * g, d]);
      let t: tf.Tensor = tf.concat([cls, tf.reshape(map, [b, g * g, d])], 1);
      for (let j = 0; j < c.depths[s]!; j++) {
        const p = `${stage}.blocks.${j}`;
        // timm: linspace(0, rate, total blocks) over all stages
        const dpr = total > 1 ? (c.dropPathRate * blockIndex) / (total - 1) : c.dropPathRate;
        blockIndex++;
        const h = norm(ctx, `${p}.norm1`, t, LN_EPS);
        const [q, k, v] = splitQkv(dense(ctx, `${p}.attn.qkv`, h, true) as tf.Tensor3D);
        let a: tf.Tensor = multiHeadAttention(q, k, v, c.heads[s]!);
        a = dropout(ctx, dense(ctx, `${p}.attn.proj`, a, true), c.dropRate);
        t = tf.add(t, dropPath(ctx, a, dpr));
        collect?.(`${p}.attn`, 'msa', tokensToMap(spatial(t), g, g));
        let m = dense(ctx, `${p}.mlp.fc1`, norm(ctx, `${p}.norm2`, t, LN_EPS), true);
        m = dropout(ctx, gelu(m), c.dropRate);
        m = dropout(ctx, dense(ctx, `${p}.mlp.fc2`, m, true), c.dropRate);
        t = tf.add(t, dropPath(ctx, m, dpr));
        collect?.(`${p}.mlp`, 'mlp', tokensToMap(spatial(t), g, g));
      }
      cls = tf.slice(t, [0, 0, 0], [b, 1, d]);
      map = tokensToMap(spatial(t), g, g);
    });
    const dLast = this.dims[this.dims.length - 1]!;
    const pooled = norm(ctx, 'norm', tf.reshape(cls, [b, dLast]), LN_EPS);
    return dense(ctx, 'head', pooled, true) as tf.Tensor2D;
  }
}

function validate(config: ModelConfig): PiTConfig {
  const size = config.imageSize;
  const patch = positiveInt(config, 'patchSize');
  const stride = positiveInt(config, 'stride');
  if (patch > size) fail(config, 'patchSize', patch, `at most imageSize ${size}`);
  const baseDims = positiveIntList(config, 'baseDims');
  const stages = baseDims.length;
  positiveIntList(config, 'depths', stages);
  const heads = positiveIntList(config, 'heads', stages);
  const dims = baseDims.map((b, s) => b * heads[s]!);
  for (let s = 1; s < stages; s++) {
    if (dims[s]! % dims[s - 1]! !== 0)
      fail(config, 'heads', heads, `stage widths baseDims[s] * heads[s] that are multiples of the previous stage's (the pooling conv is depthwise); stage ${s} has ${dims[s]} after ${dims[s - 1]}`);
  }
  const ratio = positiveNumber(config, 'mlpRatio');
  if (dims.some((d) => !Number.isInteger(d * ratio))) fail(config, 'mlpRatio', ratio, 'a ratio giving integer hidden sizes');
  rate(config, 'dropPathRate');
  rate(config, 'dropRate');
  return config as PiTConfig;
}

/** Closed form per layer (independent of the class above, so tests can compare the two); see complexity.ts. */
function complexity(c: PiTConfig): Complexity {
  const k = c.patchSize;
  let side = Math.floor((c.imageSize - k) / c.stride) + 1;
  const width = (s: number) => c.baseDims[s]! * c.heads[s]!;
  const d0 = width(0);
  let params = k * k * 3 * d0 + d0 + side * side * d0 + d0; // patch conv, pos_embed, cls_token
  let macs = side * side * k * k * 3 * d0;
  for (let s = 0; s < c.baseDims.length; s++) {
    const d = width(s);
    if (s > 0) {
      const prev = width(s - 1);
      side = Math.floor((side - 1) / 2) + 1;
      params += 9 * d + d + prev * d + d; // depthwise conv (one 3x3 filter per output channel) + class-token Linear
      macs += side * side * 9 * d + prev * d;
    }
    const hidden = d * c.mlpRatio;
    const n = side * side + 1;
    params += c.depths[s]! * (2 * 2 * d + (3 * d * d + 3 * d) + (d * d + d) + (d * hidden + hidden) + (hidden * d + d));
    macs += c.depths[s]! * (n * (4 * d * d + 2 * d * hidden) + 2 * n * n * d);
  }
  const dLast = width(c.baseDims.length - 1);
  params += 2 * dLast + dLast * c.numClasses + c.numClasses;
  macs += dLast * c.numClasses;
  return { params, macs };
}

/** The pooling between stages s - 1 and s: `transformers.{s}.pool` here and in timm >= 0.9, `transformers.{s-1}.pool` in timm <= 0.6. */
const POOL = /^transformers\.(\d+)\.pool\./;

/**
 * timm's state dicts. Both versions name everything as vitscope does (`.kernel`/`.gamma`/`.beta` as PyTorch's
 * `.weight`/`.bias`); the importer converts the layouts it declares (pos_embed [1, C, H, W] -> [1, H, W, C], the depthwise
 * pooling conv [C*M, 1, 3, 3] -> [3, 3, C, M]). timm >= 0.9's per-stage `norm` is an Identity (no keys).
 */
const TIMM_PIT: CheckpointSource<PiTConfig> = {
  id: 'timm-pit',
  title: "timm's PoolingVisionTransformer (timm >= 0.9: pooling at the start of stages 1, 2)",
  recognises: (keys) => keys.has('patch_embed.conv.weight') && keys.has('transformers.0.blocks.0.attn.qkv.weight') && !keys.has('transformers.0.pool.conv.weight'),
  headKey: 'head.weight',
  key: (target) => torchName(target),
};

const TIMM_PIT_05: CheckpointSource<PiTConfig> = {
  id: 'timm-pit-0.5',
  title: "timm's PoolingVisionTransformer (timm <= 0.6, as the authors' PiT-Ti CIFAR-100 checkpoint: pooling at the end of stages 0, 1)",
  recognises: (keys) => keys.has('patch_embed.conv.weight') && keys.has('transformers.0.pool.conv.weight'),
  headKey: 'head.weight',
  key: (target) => torchName(target).replace(POOL, (_m, s: string) => `transformers.${Number(s) - 1}.pool.`),
};

registerFamily<PiTConfig>({
  name: 'pit',
  display: { color: '#9467bd', matches: /(^|[^a-z])pit/ },
  validate,
  complexity,
  build: (config, seed) => new PoolingVisionTransformer(config, seed),
  checkpoints: [TIMM_PIT, TIMM_PIT_05],
  refusedCheckpoints: [
    {
      title: "timm's distilled PiT (pit_*_distilled_224)",
      recognises: (keys) => keys.has('patch_embed.conv.weight') && keys.has('head_dist.weight'),
      reason: 'it has a second (distillation) head, head_dist, whose logits timm averages with the class head; vitscope models the non-distilled PiT only (use pit_ti_224 weights)',
    },
  ],
});

/** The authors' PiT-Ti for CIFAR (how-do-vits-work, timm PoolingVisionTransformer); presets override some fields. */
const PIT_TI: PiTConfig = {
  family: 'pit',
  preset: 'pit-ti',
  numClasses: 100,
  imageSize: 32,
  patchSize: 2,
  stride: 1,
  baseDims: [32, 32, 32],
  depths: [2, 6, 4],
  heads: [2, 4, 8],
  mlpRatio: 4,
  dropPathRate: 0.1,
  dropRate: 0,
};

const preset = (name: string, description: string, o: Partial<PiTConfig> = {}): void => registerPreset({ ...PIT_TI, ...o, preset: name }, description);

preset('pit-ti', "PiT-Ti for CIFAR (the authors' checkpoint): patch 2 stride 1 (31x31 grid), widths 64-128-256, depths 2-6-4, heads 2-4-8");
// timm's pit_ti_224 pretrained_cfg: ImageNet mean/std, bicubic, crop 0.9
registerPreset(
  { ...PIT_TI, preset: 'pit-ti-224', imageSize: 224, patchSize: 16, stride: 8 },
  "timm's pit_ti_224: 224x224, patch 16 stride 8 (27x27 grid), widths 64-128-256, depths 2-6-4, heads 2-4-8",
  { pretrained: imagenetPretrainedCfg(224, { cropPct: 0.9 }) },
);
preset('pit-cpu', 'CPU PiT: patch 4 stride 2 (15x15 grid), widths 64-128-256, depths 1-3-2, heads 2-4-8', { patchSize: 4, stride: 2, depths: [1, 3, 2] });
