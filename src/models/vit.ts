// Vision Transformer (Dosovitskiy et al. 2021) as timm builds it: patch embedding (a conv with
// kernel = stride = patch, computed as a matMul on patches), learnable position embedding, class
// token or global average pooling, pre-norm blocks x + MSA(LN(x)), x + MLP(LN(x)) with GELU,
// final LayerNorm (after pooling for GAP, as timm's fc_norm), linear head.
// Initialisation as timm: Linear trunc-normal(0.02) with zero bias, position embedding
// trunc-normal(0.02), class token normal(1e-6), LayerNorm (1, 0), the patch-embedding conv
// PyTorch's default U(+-1/sqrt(fan_in)).
// This file is the vit family: configuration, checks, presets, cost and registration (src/models/registry.ts).
import { tf } from '../backend/tf.ts';
import { BaseModel, biasOf, convKernel, denseKernel, normal, tokensOf, truncNormal, uniform, zeros, tokensToMap, type Collector } from './base.ts';
import { torchName, type CheckpointSource, type RefusedCheckpoint } from './checkpoint-source.ts';
import { boolean, fail, oneOf, positiveInt, positiveNumber, rate } from './config-checks.ts';
import type { ModelConfig } from './model.ts';
import { dense, dropPath, dropout, gelu, multiHeadAttention, norm, patchEmbed, splitQkv, type Ctx } from './ops.ts';
import { imagenetPretrainedCfg, INCEPTION_MEAN, INCEPTION_STD } from './pretrained-cfg.ts';
import { registerFamily, registerPreset, type Complexity } from './registry.ts';

export interface ViTConfig extends ModelConfig {
  family: 'vit';
  patchSize: number;
  dim: number;
  depth: number;
  heads: number;
  mlpRatio: number;
  qkvBias: boolean;
  /** 'cls': class token read out after the final norm (timm's default); 'gap': mean of tokens, then norm. */
  pool: 'cls' | 'gap';
  dropPathRate: number;
  dropRate: number;
}

const LN_EPS = 1e-6; // timm's ViT uses LayerNorm(eps=1e-6)

export class VisionTransformer extends BaseModel {
  declare readonly config: ViTConfig;
  private readonly grid: number;
  private readonly hidden: number;

  constructor(config: ViTConfig, seed: number) {
    super(config, seed);
    const { patchSize: p, dim: d, depth, numClasses } = config;
    this.grid = config.imageSize / p;
    this.hidden = Math.round(d * config.mlpRatio);
    const fanIn = p * p * 3;
    this.param('patch_embed.proj.kernel', [p, p, 3, d], convKernel('embedding'), uniform(1 / Math.sqrt(fanIn)));
    this.param('patch_embed.proj.bias', [d], biasOf('embedding'), uniform(1 / Math.sqrt(fanIn)));
    if (config.pool === 'cls') this.param('cls_token', [1, 1, d], tokensOf('embedding', 'embedding'), normal(1e-6));
    const tokens = this.grid * this.grid + (config.pool === 'cls' ? 1 : 0);
    this.param('pos_embed', [1, tokens, d], tokensOf('embedding', 'position'), truncNormal(0.02));
    for (let i = 0; i < depth; i++) {
      this.declareBlock(() => {
        const b = `blocks.${i}`;
        this.layerNormParams(`${b}.norm1`, d, 'msa');
        this.param(`${b}.attn.qkv.kernel`, [d, 3 * d], denseKernel('msa'), truncNormal(0.02));
        if (config.qkvBias) this.param(`${b}.attn.qkv.bias`, [3 * d], biasOf('msa'), zeros);
        this.param(`${b}.attn.proj.kernel`, [d, d], denseKernel('msa'), truncNormal(0.02));
        this.param(`${b}.attn.proj.bias`, [d], biasOf('msa'), zeros);
        this.layerNormParams(`${b}.norm2`, d, 'mlp');
        this.param(`${b}.mlp.fc1.kernel`, [d, this.hidden], denseKernel('mlp'), truncNormal(0.02));
        this.param(`${b}.mlp.fc1.bias`, [this.hidden], biasOf('mlp'), zeros);
        this.param(`${b}.mlp.fc2.kernel`, [this.hidden, d], denseKernel('mlp'), truncNormal(0.02));
        this.param(`${b}.mlp.fc2.bias`, [d], biasOf('mlp'), zeros);
      });
    }
    this.layerNormParams('norm', d, 'head');
    this.param('head.kernel', [d, numClasses], denseKernel('head'), truncNormal(0.02));
    this.param('head.bias', [numClasses], biasOf('head'), zeros);
  }

  protected run(x: tf.Tensor4D, ctx: Ctx, collect: Collector): tf.Tensor2D {
    const c = this.config;
    const g = this.grid;
    const cls = c.pool === 'cls';
    const b = x.shape[0];
    const emb = patchEmbed(x, ctx.p('patch_embed.proj.kernel'), ctx.p('patch_embed.proj.bias'), c.patchSize);
    let t: tf.Tensor = tf.reshape(emb, [b, g * g, c.dim]);
    if (cls) t = tf.concat([tf.tile(ctx.p('cls_token'), [b, 1, 1]), t], 1);
    t = tf.add(t, ctx.p('pos_embed'));
    t = dropout(ctx, t, c.dropRate);
    const toMap = (u: tf.Tensor) => tokensToMap(cls ? tf.slice(u, [0, 1, 0], [b, g * g, c.dim]) : u, g, g);
    collect?.('patch_embed', 'embedding', toMap(t));
    for (let i = 0; i < c.depth; i++) {
      const p = `blocks.${i}`;
      const dpr = c.depth > 1 ? (c.dropPathRate * i) / (c.depth - 1) : c.dropPathRate;
      // MSA sub-block
      const h = norm(ctx, `${p}.norm1`, t, LN_EPS);
      const [q, k, v] = splitQkv(dense(ctx, `${p}.attn.qkv`, h, c.qkvBias) as tf.Tensor3D);
      let a: tf.Tensor = multiHeadAttention(q, k, v, c.heads);
      a = dropout(ctx, dense(ctx, `${p}.attn.proj`, a, true), c.dropRate);
      t = tf.add(t, dropPath(ctx, a, dpr));
      collect?.(`${p}.attn`, 'msa', toMap(t));
      // MLP sub-block
      let m = dense(ctx, `${p}.mlp.fc1`, norm(ctx, `${p}.norm2`, t, LN_EPS), true);
      m = dropout(ctx, gelu(m), c.dropRate);
      m = dropout(ctx, dense(ctx, `${p}.mlp.fc2`, m, true), c.dropRate);
      t = tf.add(t, dropPath(ctx, m, dpr));
      collect?.(`${p}.mlp`, 'mlp', toMap(t));
    }
    let pooled: tf.Tensor;
    if (cls) pooled = norm(ctx, 'norm', tf.reshape(tf.slice(t, [0, 0, 0], [b, 1, c.dim]), [b, c.dim]), LN_EPS); // LN is per token
    else pooled = norm(ctx, 'norm', tf.mean(t, 1), LN_EPS);
    return dense(ctx, 'head', pooled, true) as tf.Tensor2D;
  }
}

function validate(config: ModelConfig): ViTConfig {
  const size = config.imageSize;
  const patch = positiveInt(config, 'patchSize');
  const dim = positiveInt(config, 'dim');
  positiveInt(config, 'depth');
  const heads = positiveInt(config, 'heads');
  if (size % patch !== 0) fail(config, 'patchSize', patch, `a divisor of imageSize ${size}`);
  if (dim % heads !== 0) fail(config, 'heads', heads, `a divisor of dim ${dim}`);
  const ratio = positiveNumber(config, 'mlpRatio');
  if (!Number.isInteger(dim * ratio)) fail(config, 'mlpRatio', ratio, 'a ratio giving an integer hidden size');
  boolean(config, 'qkvBias');
  oneOf(config, 'pool', ['cls', 'gap']);
  rate(config, 'dropPathRate');
  rate(config, 'dropRate');
  return config as ViTConfig;
}

/** Closed form per layer (independent of the class above, so tests can compare the two); see complexity.ts. */
function complexity(c: ViTConfig): Complexity {
  const d = c.dim;
  const g = c.imageSize / c.patchSize;
  const tokens = g * g + (c.pool === 'cls' ? 1 : 0);
  const hid = Math.round(d * c.mlpRatio);
  const pp3 = c.patchSize * c.patchSize * 3;
  let params = pp3 * d + d + (c.pool === 'cls' ? d : 0) + tokens * d;
  const block = 4 * d + 3 * d * d + (c.qkvBias ? 3 * d : 0) + d * d + d + d * hid + hid + hid * d + d;
  params += c.depth * block + 2 * d + d * c.numClasses + c.numClasses;
  let macs = g * g * pp3 * d;
  macs += c.depth * (tokens * (4 * d * d + 2 * d * hid) + 2 * tokens * tokens * d);
  macs += d * c.numClasses;
  return { params, macs };
}

/**
 * timm's VisionTransformer (all versions; the authors trained it on CIFAR-100, and timm's ImageNet ViTs are it):
 * built here as timm builds it (pre-norm blocks, LayerNorm eps 1e-6, exact GELU, qkv as one Linear), so names map
 * one to one; with global average pooling timm normalises after pooling in `fc_norm` (`norm` is then Identity).
 */
const TIMM_VIT: CheckpointSource<ViTConfig> = {
  id: 'timm-vit',
  title: "timm's VisionTransformer",
  recognises: (keys) => keys.has('patch_embed.proj.weight') && keys.has('blocks.0.attn.qkv.weight'),
  headKey: 'head.weight',
  key: (target, config) => torchName(config.pool === 'gap' && target.startsWith('norm.') ? `fc_${target}` : target),
};

const AUTHORS_VIT: RefusedCheckpoint = {
  title: "the authors' own ViT (how-do-vits-work models/vit.py, lucidrains-style)",
  recognises: (keys) => keys.has('embedding.0.patch_embedding.1.weight'),
  reason:
    "its LayerNorms use PyTorch's default eps 1e-5 where vitscope's ViT uses timm's 1e-6, and its attention width is heads x 64; " +
    "the authors' released ViT-Ti checkpoint is timm's VisionTransformer instead, which imports",
};

registerFamily<ViTConfig>({
  name: 'vit',
  display: { color: '#d62728', matches: /(^|[^a-z])(vit|deit)/ },
  validate,
  complexity,
  build: (config, seed) => new VisionTransformer(config, seed),
  checkpoints: [TIMM_VIT],
  refusedCheckpoints: [AUTHORS_VIT],
});

/** The paper's ViT-Ti for CIFAR; presets override some fields. */
const VIT_TI: ViTConfig = {
  family: 'vit',
  preset: 'vit-ti',
  numClasses: 100,
  imageSize: 32,
  patchSize: 2,
  dim: 192,
  depth: 12,
  heads: 3,
  mlpRatio: 4,
  qkvBias: false,
  pool: 'cls',
  dropPathRate: 0.1,
  dropRate: 0,
};

const preset = (name: string, description: string, o: Partial<ViTConfig> = {}, pretrained?: ReturnType<typeof imagenetPretrainedCfg>): void =>
  registerPreset({ ...VIT_TI, ...o, preset: name }, description, { pretrained });

// The paper's CIFAR settings.
preset('vit-ti', 'ViT-Ti for CIFAR (paper): patch 2, dim 192, depth 12, 3 heads, no qkv bias, class token');
preset('vit-ti-gap', 'ViT-Ti with global average pooling instead of the class token (paper, Hessian study)', { pool: 'gap' });
// timm's ImageNet ViTs (224x224, patch 16, qkv bias; the class count comes from the imported head), for imported weights and
// the paper's ImageNet Fourier/noise analyses (npm run experiment import -- --arch vit-ti-16-224).
// Their pretrained_cfg is timm's default weights' (augreg: mean = std = 0.5, bicubic, crop 0.9).
const imagenet = { imageSize: 224, patchSize: 16, qkvBias: true };
const augreg = imagenetPretrainedCfg(224, { mean: [...INCEPTION_MEAN], std: [...INCEPTION_STD], cropPct: 0.9 });
preset('vit-ti-16-224', "timm's vit_tiny_patch16_224: 224x224, patch 16, dim 192, depth 12, 3 heads, qkv bias", imagenet, augreg);
preset('vit-s-16-224', "timm's vit_small_patch16_224: 224x224, patch 16, dim 384, depth 12, 6 heads, qkv bias", { ...imagenet, dim: 384, heads: 6 }, augreg);
preset('vit-b-16-224', "timm's vit_base_patch16_224: 224x224, patch 16, dim 768, depth 12, 12 heads, qkv bias", { ...imagenet, dim: 768, heads: 12 }, augreg);
// CPU-sized (defaults, notebooks, CI).
preset('vit-cpu', 'CPU ViT: patch 4, dim 192, depth 6, 3 heads, MLP ratio 4, class token', { patchSize: 4, depth: 6 });
