// MobileViT (Mehta & Rastegari 2022) as timm builds `mobilevit_xxs` (a ByobNet): a 3x3 conv-BN-SiLU stem; stages
// of inverted residuals (conv1_1x1 expand, depthwise 3x3 conv2_kxk carrying the stride, linear conv3_1x1, each a
// conv + BatchNorm, SiLU after the first two; residual only where the shape is unchanged, as timm's downsample='');
// stages 2-4 end with a MobileViT block: conv_kxk 3x3 + BN + SiLU, conv_1x1 C -> d (no bias, no norm), the map
// unfolded into 2x2 patches so that the pixels at the same offset of every patch form one sequence, pre-norm
// transformer blocks x + MSA(LN(x)), x + MLP(LN(x)) (qkv bias, MLP ratio 2, SiLU, LayerNorm eps 1e-5), a final
// LayerNorm, folded back, conv_proj 1x1 d -> C + BN + SiLU, conv_fusion 3x3 over concat(block input, x) + BN + SiLU
// (no residual); then final_conv 1x1 -> numFeatures + BN + SiLU, global average pooling and the head (timm's
// head.fc). BatchNorm eps 1e-5. Inputs are pixels / 255 (timm's pretrained_cfg: mean 0, std 1, 256x256).
// Initialisation as timm's ByobNet: convs normal(0, sqrt(2 / fan_out)) with fan_out = k * k * out / groups,
// Linear normal(0, 0.01) with zero bias, BatchNorm and LayerNorm (1, 0).
// Feature maps: 'stem' ('embedding'); each inverted residual ('pool' where it subsamples, else 'conv'); in each
// MobileViT block, every transformer layer's attention and MLP residual streams folded back to a map ('msa',
// 'mlp', d channels) and the block's output after conv_fusion ('conv'); 'final_conv' ('conv').
// This file is the mobilevit family: configuration, checks, presets, cost, timm checkpoint names and registration.
import { tf } from '../backend/tf.ts';
import { BaseModel, biasOf, convKernel, denseKernel, depthwiseKernel, normal, zeros, type Collector } from './base.ts';
import type { CheckpointSource } from './checkpoint-source.ts';
import { torchName } from './checkpoint-source.ts';
import { fail, positiveInt, positiveIntList, positiveNumber, rate } from './config-checks.ts';
import type { BlockKind, ModelConfig } from './model.ts';
import { batchNorm, convKxK, dense, depthwiseConv, dropPath, globalAvgPool, multiHeadAttention, norm, silu, splitQkv, type Ctx } from './ops.ts';
import { registerFamily, registerPreset, type Complexity } from './registry.ts';

export interface MobileViTConfig extends ModelConfig {
  family: 'mobilevit';
  /** Output channels of the 3x3 stem conv. */
  stemWidth: number;
  /** Stride of the stem conv: 2 as timm (256x256 input), 1 for 32x32 CIFAR images. */
  stemStride: number;
  /** Output channels of each stage. */
  widths: number[];
  /** Inverted-residual blocks per stage (before the stage's MobileViT block, if any). */
  stageBlocks: number[];
  /** Stride (1 or 2) of each stage's first inverted residual. */
  strides: number[];
  /** Transformer width d of each stage's MobileViT block; 0 = the stage has none. */
  transformerDims: number[];
  /** Transformer layers of each stage's MobileViT block (0 where transformerDims is 0). */
  transformerDepths: number[];
  /** Inverted-residual expansion (timm's bottle_ratio br): hidden = makeDivisible(in * expansion). */
  expansion: number;
  /** Attention heads of every transformer layer (timm: 4). */
  heads: number;
  /** Transformer MLP hidden = d * mlpRatio (timm: 2). */
  mlpRatio: number;
  /** Side of the square patches the MobileViT blocks unfold (timm's mobilevit_xxs: 2). */
  patchSize: number;
  /** Width of the 1x1 conv before pooling (timm's num_features, 320 for xxs). */
  numFeatures: number;
  /**
   * Stochastic depth, as timm's ByobNet: block i of the n blocks (inverted residuals and MobileViT blocks in order)
   * gets dropPathRate * i / (n - 1); an inverted residual drops its branch (timm also drops the whole output of one
   * without a shortcut), a MobileViT block each transformer layer's two residual branches (per 2x2-offset sequence, as
   * timm's transformer runs on [B * 4, N, d]). timm's default: 0.
   */
  dropPathRate: number;
}

const BN_EPS = 1e-5;
const LN_EPS = 1e-5; // nn.LayerNorm's default, which timm's MobileViT blocks use

/** timm's make_divisible(v, 8): the nearest multiple of 8 (at least 8), raised by 8 when it lost more than 10%. */
export function makeDivisible(v: number, divisor = 8): number {
  let n = Math.max(divisor, Math.floor((v + divisor / 2) / divisor) * divisor);
  if (n < 0.9 * v) n += divisor;
  return n;
}

/** One inverted residual of the layout, with its map sides. */
interface InvertedResidual {
  name: string;
  cin: number;
  hidden: number;
  cout: number;
  stride: number;
  /** Map side at the block's input and output. */
  inSide: number;
  outSide: number;
  residual: boolean;
  dropPath: number;
}

/** One MobileViT block of the layout. */
interface MobileViTBlock {
  name: string;
  channels: number;
  dim: number;
  depth: number;
  side: number;
  dropPath: number;
}

type Block = ({ type: 'ir' } & InvertedResidual) | ({ type: 'mvit' } & MobileViTBlock);

/** Map side after a 3x3 conv with padding 1 and the given stride (PyTorch's formula). */
function convSide(side: number, stride: number): number {
  return Math.floor((side + 2 - 3) / stride) + 1;
}

/** The blocks in order, named as timm's ByobNet names them (stages.{s}.{j}). */
function layout(c: MobileViTConfig): Block[] {
  const blocks: Block[] = [];
  let side = convSide(c.imageSize, c.stemStride);
  let cin = c.stemWidth;
  c.widths.forEach((w, s) => {
    for (let j = 0; j < c.stageBlocks[s]!; j++) {
      const stride = j === 0 ? c.strides[s]! : 1;
      const outSide = convSide(side, stride);
      blocks.push({
        type: 'ir', name: `stages.${s}.${j}`, cin, hidden: makeDivisible(cin * c.expansion), cout: w, stride,
        inSide: side, outSide, residual: stride === 1 && cin === w, dropPath: 0,
      });
      side = outSide;
      cin = w;
    }
    if (c.transformerDims[s]! > 0) {
      blocks.push({ type: 'mvit', name: `stages.${s}.${c.stageBlocks[s]}`, channels: w, dim: c.transformerDims[s]!, depth: c.transformerDepths[s]!, side, dropPath: 0 });
    }
  });
  const rates = dropPathRates(c.dropPathRate, blocks.length);
  return blocks.map((b, i) => ({ ...b, dropPath: rates[i]! }));
}

/** torch.linspace(0, rate, n): timm's per-block stochastic depth rates. */
export function dropPathRates(rate: number, n: number): number[] {
  return Array.from({ length: n }, (_, i) => (n > 1 ? (rate * i) / (n - 1) : 0));
}

/** Kaiming normal, fan_out = k * k * out / groups (timm ByobNet's conv init). */
const convInit = (k: number, outPerGroup: number) => normal(Math.sqrt(2 / (k * k * outPerGroup)));
const linearInit = normal(0.01);

export class MobileViT extends BaseModel {
  declare readonly config: MobileViTConfig;
  private readonly blocks: Block[];

  constructor(config: MobileViTConfig, seed: number) {
    super(config, seed);
    const c = config;
    this.blocks = layout(c);
    this.convBn('stem', 3, 3, c.stemWidth, 'conv');
    for (const b of this.blocks) {
      this.declareBlock(() => {
        if (b.type === 'ir') {
          this.convBn(`${b.name}.conv1_1x1`, 1, b.cin, b.hidden, 'conv');
          this.param(`${b.name}.conv2_kxk.conv.kernel`, [3, 3, b.hidden, 1], depthwiseKernel('conv'), convInit(3, 1));
          this.batchNormParams(`${b.name}.conv2_kxk.bn`, b.hidden, 'conv');
          this.convBn(`${b.name}.conv3_1x1`, 1, b.hidden, b.cout, 'conv');
        } else {
          const { name: n, channels: ch, dim: d } = b;
          const hid = Math.round(d * c.mlpRatio);
          this.convBn(`${n}.conv_kxk`, 3, ch, ch, 'conv');
          this.param(`${n}.conv_1x1.kernel`, [1, 1, ch, d], convKernel('conv'), convInit(1, d));
          for (let k = 0; k < b.depth; k++) {
            const t = `${n}.transformer.${k}`;
            this.layerNormParams(`${t}.norm1`, d, 'msa');
            this.param(`${t}.attn.qkv.kernel`, [d, 3 * d], denseKernel('msa'), linearInit);
            this.param(`${t}.attn.qkv.bias`, [3 * d], biasOf('msa'), zeros);
            this.param(`${t}.attn.proj.kernel`, [d, d], denseKernel('msa'), linearInit);
            this.param(`${t}.attn.proj.bias`, [d], biasOf('msa'), zeros);
            this.layerNormParams(`${t}.norm2`, d, 'mlp');
            this.param(`${t}.mlp.fc1.kernel`, [d, hid], denseKernel('mlp'), linearInit);
            this.param(`${t}.mlp.fc1.bias`, [hid], biasOf('mlp'), zeros);
            this.param(`${t}.mlp.fc2.kernel`, [hid, d], denseKernel('mlp'), linearInit);
            this.param(`${t}.mlp.fc2.bias`, [d], biasOf('mlp'), zeros);
          }
          this.layerNormParams(`${n}.norm`, d, 'msa');
          this.convBn(`${n}.conv_proj`, 1, d, ch, 'conv');
          this.convBn(`${n}.conv_fusion`, 3, 2 * ch, ch, 'conv');
        }
      });
    }
    const last = c.widths[c.widths.length - 1]!;
    this.convBn('final_conv', 1, last, c.numFeatures, 'conv');
    this.param('head.kernel', [c.numFeatures, c.numClasses], denseKernel('head'), linearInit);
    this.param('head.bias', [c.numClasses], biasOf('head'), zeros);
  }

  /** `${prefix}.conv.kernel` [k, k, cin, cout] and `${prefix}.bn` (timm's ConvNormAct). */
  private convBn(prefix: string, k: number, cin: number, cout: number, block: BlockKind): void {
    this.param(`${prefix}.conv.kernel`, [k, k, cin, cout], convKernel(block), convInit(k, cout));
    this.batchNormParams(`${prefix}.bn`, cout, block);
  }

  protected run(x: tf.Tensor4D, ctx: Ctx, collect: Collector): tf.Tensor2D {
    const c = this.config;
    let h = convBnAct(ctx, 'stem', x, c.stemStride, true);
    collect?.('stem', 'embedding', h);
    for (const b of this.blocks) {
      if (b.type === 'ir') {
        let r = convBnAct(ctx, `${b.name}.conv1_1x1`, h, 1, true);
        r = silu(batchNorm(ctx, `${b.name}.conv2_kxk.bn`, depthwiseConv(r, ctx.p(`${b.name}.conv2_kxk.conv.kernel`), b.stride), BN_EPS)) as tf.Tensor4D;
        r = dropPath(ctx, convBnAct(ctx, `${b.name}.conv3_1x1`, r, 1, false), b.dropPath) as tf.Tensor4D;
        h = b.residual ? (tf.add(h, r) as tf.Tensor4D) : r;
        collect?.(b.name, b.stride > 1 ? 'pool' : 'conv', h);
      } else {
        h = this.mobileVitBlock(ctx, b, h, collect);
        collect?.(b.name, 'conv', h);
      }
    }
    h = convBnAct(ctx, 'final_conv', h, 1, true);
    collect?.('final_conv', 'conv', h);
    return dense(ctx, 'head', globalAvgPool(h), true) as tf.Tensor2D;
  }

  private mobileVitBlock(ctx: Ctx, b: MobileViTBlock, x: tf.Tensor4D, collect: Collector): tf.Tensor4D {
    const c = this.config;
    const n = b.name;
    let y = convBnAct(ctx, `${n}.conv_kxk`, x, 1, true);
    y = convKxK(y, ctx.p(`${n}.conv_1x1.kernel`), 1);
    const batch = y.shape[0];
    let t: tf.Tensor = unfoldPatches(y, c.patchSize);
    const toMap = (u: tf.Tensor) => foldPatches(u, batch, b.side, b.side, c.patchSize);
    for (let k = 0; k < b.depth; k++) {
      const p = `${n}.transformer.${k}`;
      const [q, kk, v] = splitQkv(dense(ctx, `${p}.attn.qkv`, norm(ctx, `${p}.norm1`, t, LN_EPS), true) as tf.Tensor3D);
      t = tf.add(t, dropPath(ctx, dense(ctx, `${p}.attn.proj`, multiHeadAttention(q, kk, v, c.heads), true), b.dropPath));
      collect?.(`${p}.attn`, 'msa', toMap(t));
      const m = silu(dense(ctx, `${p}.mlp.fc1`, norm(ctx, `${p}.norm2`, t, LN_EPS), true));
      t = tf.add(t, dropPath(ctx, dense(ctx, `${p}.mlp.fc2`, m, true), b.dropPath));
      collect?.(`${p}.mlp`, 'mlp', toMap(t));
    }
    y = toMap(norm(ctx, `${n}.norm`, t, LN_EPS));
    y = convBnAct(ctx, `${n}.conv_proj`, y, 1, true);
    return convBnAct(ctx, `${n}.conv_fusion`, tf.concat([x, y], 3), 1, true);
  }
}

/** conv (kernel from `${prefix}.conv.kernel`, PyTorch padding (k-1)/2) + BatchNorm (+ SiLU). */
function convBnAct(ctx: Ctx, prefix: string, x: tf.Tensor4D, stride: number, act: boolean): tf.Tensor4D {
  const y = batchNorm(ctx, `${prefix}.bn`, convKxK(x, ctx.p(`${prefix}.conv.kernel`), stride), BN_EPS);
  return act ? (silu(y) as tf.Tensor4D) : y;
}

/**
 * [B, H, W, C] -> [B * p * p, N, C], N = (H / p) * (W / p): sequence (b, dy, dx) holds the pixel at offset (dy, dx)
 * of every patch, patches in row-major order (timm's unfolding; attention is per sequence, so the sequence order
 * does not change the result).
 */
export function unfoldPatches(x: tf.Tensor4D, p: number): tf.Tensor3D {
  const [b, h, w, c] = x.shape;
  const r = tf.reshape(x, [b, h / p, p, w / p, p, c]);
  return tf.reshape(tf.transpose(r, [0, 2, 4, 1, 3, 5]), [b * p * p, (h / p) * (w / p), c]);
}

/** The inverse of unfoldPatches. */
export function foldPatches(t: tf.Tensor, b: number, h: number, w: number, p: number): tf.Tensor4D {
  const c = t.shape[t.rank - 1]!;
  const r = tf.reshape(t, [b, p, p, h / p, w / p, c]);
  return tf.reshape(tf.transpose(r, [0, 3, 1, 4, 2, 5]), [b, h, w, c]);
}

function validate(config: ModelConfig): MobileViTConfig {
  positiveInt(config, 'stemWidth');
  const stemStride = positiveInt(config, 'stemStride');
  if (stemStride > 2) fail(config, 'stemStride', stemStride, '1 or 2');
  const widths = positiveIntList(config, 'widths');
  const stages = widths.length;
  positiveIntList(config, 'stageBlocks', stages);
  const strides = positiveIntList(config, 'strides', stages);
  strides.forEach((s, i) => s > 2 && fail(config, `strides[${i}]`, s, '1 or 2'));
  const dims = nonNegativeIntList(config, 'transformerDims', stages);
  const depths = nonNegativeIntList(config, 'transformerDepths', stages);
  const heads = positiveInt(config, 'heads');
  const ratio = positiveNumber(config, 'mlpRatio');
  const expansion = positiveNumber(config, 'expansion');
  if (!Number.isFinite(expansion)) fail(config, 'expansion', expansion, 'a finite positive number');
  const patch = positiveInt(config, 'patchSize');
  positiveInt(config, 'numFeatures');
  rate(config, 'dropPathRate');
  const c = config as MobileViTConfig;
  let side = convSide(c.imageSize, stemStride);
  dims.forEach((d, s) => {
    side = convSide(side, strides[s]!);
    if ((d === 0) !== (depths[s] === 0)) fail(config, `transformerDepths[${s}]`, depths[s], d === 0 ? '0 (stage has no MobileViT block)' : 'a positive integer');
    if (d === 0) return;
    if (d % heads !== 0) fail(config, 'heads', heads, `a divisor of every transformer width (transformerDims[${s}] is ${d})`);
    if (!Number.isInteger(d * ratio)) fail(config, 'mlpRatio', ratio, `a ratio giving an integer hidden size for transformerDims[${s}] ${d}`);
    // timm interpolates a map that patches do not tile (bilinear, up then down); vitscope refuses it instead
    if (side % patch !== 0) fail(config, 'patchSize', patch, `a divisor of stage ${s}'s map side ${side} (imageSize ${c.imageSize}, stem and stage strides)`);
  });
  return c;
}

/** A list of `length` integers >= 0. */
function nonNegativeIntList(config: ModelConfig, name: string, length: number): number[] {
  const v = (config as Record<string, unknown>)[name];
  if (!Array.isArray(v) || v.length !== length || v.some((e) => typeof e !== 'number' || !Number.isInteger(e) || e < 0))
    fail(config, name, v, `a list of ${length} integers >= 0 (one per stage)`);
  return v as number[];
}

/** Closed form per layer (independent of the class above, so tests can compare the two); see complexity.ts. */
function complexity(c: MobileViTConfig): Complexity {
  const bn = (ch: number) => 2 * ch;
  let side = Math.floor((c.imageSize - 1) / c.stemStride) + 1; // 3x3, padding 1
  let params = 27 * c.stemWidth + bn(c.stemWidth);
  let macs = side * side * 27 * c.stemWidth;
  let cin = c.stemWidth;
  c.widths.forEach((w, s) => {
    for (let j = 0; j < c.stageBlocks[s]!; j++) {
      const stride = j === 0 ? c.strides[s]! : 1;
      const hid = makeDivisible(cin * c.expansion);
      const out = Math.floor((side - 1) / stride) + 1;
      params += cin * hid + bn(hid) + 9 * hid + bn(hid) + hid * w + bn(w);
      macs += side * side * cin * hid + out * out * (9 * hid + hid * w);
      side = out;
      cin = w;
    }
    const d = c.transformerDims[s]!;
    if (d === 0) return;
    const hid = Math.round(d * c.mlpRatio);
    const pixels = side * side;
    const seqLen = pixels / (c.patchSize * c.patchSize);
    const layer = 2 * d + (3 * d * d + 3 * d) + (d * d + d) + 2 * d + (d * hid + hid) + (hid * d + d);
    params += 9 * w * w + bn(w) + w * d + c.transformerDepths[s]! * layer + 2 * d + d * w + bn(w) + 9 * 2 * w * w + bn(w);
    // per pixel: conv_kxk, conv_1x1, per layer qkv + proj + MLP and attention (each token meets seqLen others), conv_proj, conv_fusion
    macs += pixels * (9 * w * w + w * d + c.transformerDepths[s]! * (4 * d * d + 2 * d * hid + 2 * seqLen * d) + d * w + 18 * w * w);
  });
  const last = c.widths[c.widths.length - 1]!;
  params += last * c.numFeatures + bn(c.numFeatures) + c.numFeatures * c.numClasses + c.numClasses;
  macs += side * side * last * c.numFeatures + c.numFeatures * c.numClasses;
  return { params, macs };
}

/** timm >= 0.9's ByobNet names: ours with .kernel/.gamma/.beta as .weight/.bias, the head as head.fc. */
const TIMM_MOBILEVIT: CheckpointSource<MobileViTConfig> = {
  id: 'timm-mobilevit',
  title: "timm's MobileViT (ByobNet, e.g. mobilevit_xxs)",
  recognises: (keys) => keys.has('stem.conv.weight') && keys.has('final_conv.conv.weight') && keys.has('head.fc.weight') &&
    [...keys].some((k) => /^stages\.\d+\.\d+\.conv_kxk\.conv\.weight$/.test(k)),
  headKey: 'head.fc.weight',
  key: (target) => torchName(target).replace(/^head\./, 'head.fc.'),
  ignored: /\.num_batches_tracked$/,
};

registerFamily<MobileViTConfig>({
  name: 'mobilevit',
  display: { color: '#17becf', matches: /mobilevit|mvit/ },
  validate,
  complexity,
  build: (config, seed) => new MobileViT(config, seed),
  checkpoints: [TIMM_MOBILEVIT],
});

/** timm's mobilevit_xxs (ImageNet, 256x256). */
const MOBILEVIT_XXS: MobileViTConfig = {
  family: 'mobilevit',
  preset: 'mobilevit-xxs',
  numClasses: 100,
  imageSize: 256,
  stemWidth: 16,
  stemStride: 2,
  widths: [16, 24, 48, 64, 80],
  stageBlocks: [1, 3, 1, 1, 1],
  strides: [1, 2, 2, 2, 2],
  transformerDims: [0, 0, 64, 80, 96],
  transformerDepths: [0, 0, 2, 4, 3],
  expansion: 2,
  heads: 4,
  mlpRatio: 2,
  patchSize: 2,
  numFeatures: 320,
  dropPathRate: 0,
};

// timm's pretrained_cfg of mobilevit_xxs: pixels / 255 only (mean 0, std 1), bicubic, crop 0.9
registerPreset(MOBILEVIT_XXS,
  "timm's mobilevit_xxs: 256x256 (pixels / 255), stem 16, inverted residuals 16-24-48-64-80 (expansion 2), MobileViT blocks d 64/80/96 with 2/4/3 layers, 4 heads, 2x2 patches, SiLU, final conv 320",
  { pretrained: { inputSize: 256, mean: [0, 0, 0], std: [1, 1, 1], interpolation: 'bicubic', cropPct: 0.9 } });
// CIFAR: with timm's strides (stem 2, stages 1-2-2-2-2: overall 32) a 32x32 image leaves 2x2 and 1x1 maps for the
// last two MobileViT blocks (one token per sequence: attention degenerates, and 1x1 is not even tiled by 2x2
// patches). Stem and stage-1 strides of 1 (overall 8, as CIFAR ResNets) give maps of 16, 8 and 4 pixels: 64, 16 and
// 4 tokens per sequence. Same layers and parameters as mobilevit_xxs apart from the 100-class head.
registerPreset({ ...MOBILEVIT_XXS, preset: 'mobilevit-xxs-cifar', imageSize: 32, stemStride: 1, strides: [1, 1, 2, 2, 2] },
  'MobileViT-XXS for CIFAR: 32x32, stem and stage-1 stride 1 (overall stride 8, maps 32-32-16-8-4), so the MobileViT blocks see 64, 16 and 4 tokens per 2x2-patch sequence');
