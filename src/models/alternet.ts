// AlterNet (Park & Kim 2022): a pre-activation ResNet whose Conv blocks at the ends of stages are
// replaced by MSA blocks, following the authors' models/alternet.py:
// - stem: one 3x3 stride-1 conv (no BN/ReLU: pre-activation);
// - Conv blocks: pre-activation basic (BN-ReLU-3x3, BN-ReLU-3x3) or bottleneck (BN-ReLU-1x1,
//   BN-ReLU-3x3 with the stride, BN-ReLU-1x1 x4); where shape changes, the shortcut is a 1x1 conv
//   (with the stride) of the pre-activated input;
// - MSA blocks ("AttentionBlockB"): BN-GELU, 1x1 conv to width = in / expansion, BN, local window
//   attention (q, kv and output projections are 1x1 convs, heads x headDim inner width, one
//   relative-position-bias table shared by the heads as in the authors' LocalAttention), drop path,
//   identity shortcut;
// - classifier: BN-ReLU, global average pooling, linear.
// Init: convs kaiming-normal fan_out (as the ResNets here), attention projections and the head
// PyTorch's default U(+-1/sqrt(fan_in)), bias table normal(0.02) (the authors' randn * 0.02).
// Feature maps: 'stem' ('embedding'), then each block: 'msa', 'pool' (a subsampling Conv block)
// or 'conv'.
// This file is the alternet family: configuration, checks, presets, cost and registration (src/models/registry.ts);
// the stage layout is src/models/cnn-stages.ts.
import { tf } from '../backend/tf.ts';
import { BaseModel, biasOf, convKernel, denseKernel, kaimingFanOut, normal, tokensOf, uniform, type Collector } from './base.ts';
import { checkCnnStages, cnnBlocks, expansionOf, type CnnBlock, type CnnStageConfig } from './cnn-stages.ts';
import type { RefusedCheckpoint } from './checkpoint-source.ts';
import { fail, positiveInt, positiveIntList } from './config-checks.ts';
import type { ModelConfig } from './model.ts';
import {
  batchNorm,
  batchNormRelu,
  conv1x1,
  convKxK,
  dense,
  dropPath,
  gelu,
  globalAvgPool,
  multiHeadAttention,
  relativePositionBias,
  windowPartition,
  windowReverse,
  type Ctx,
} from './ops.ts';
import { registerFamily, registerPreset, type Complexity } from './registry.ts';

/** Pre-activation Conv blocks (BN-ReLU-conv), as the authors' AlterNet; `block` applies to the Conv blocks. */
export interface AlterNetConfig extends ModelConfig, CnnStageConfig {
  family: 'alternet';
  /** 0-based indices, per stage, of the blocks that are MSA blocks instead of Conv blocks. */
  msaBlocks: number[][];
  heads: number[];
  headDim: number;
  windowSize: number;
}

interface AlterBlockSpec extends CnnBlock {
  kind: 'conv' | 'msa';
  projection: boolean;
  // MSA blocks
  width: number;
  heads: number;
  inner: number;
  window: number;
}

function blockSpecs(c: AlterNetConfig): AlterBlockSpec[] {
  const expansion = expansionOf(c.block);
  return cnnBlocks(c, c.imageSize).map((b) => ({
    ...b,
    kind: c.msaBlocks[b.stage]!.includes(b.index) ? 'msa' : 'conv',
    projection: b.stride !== 1 || b.cin !== b.cout,
    width: Math.max(1, Math.floor(b.cin / expansion)),
    heads: c.heads[b.stage]!,
    inner: c.heads[b.stage]! * c.headDim,
    window: Math.min(c.windowSize, b.inputSize),
  }));
}

export class AlterNet extends BaseModel {
  declare readonly config: AlterNetConfig;
  private readonly specs: AlterBlockSpec[];

  constructor(config: AlterNetConfig, seed: number) {
    super(config, seed);
    const c = config;
    this.specs = blockSpecs(c);
    this.param('stem.conv.kernel', [3, 3, 3, c.stemWidth], convKernel('conv'), kaimingFanOut(3, c.stemWidth));
    for (const s of this.specs) {
      this.declareBlock(() => {
        const n = s.name;
        if (s.kind === 'msa') {
          // all of the MSA block is 'msa', its 1x1 input conv included (a conv layout in an MSA block)
          this.batchNormParams(`${n}.bn1`, s.cin, 'msa');
          this.param(`${n}.conv.kernel`, [1, 1, s.cin, s.width], convKernel('msa'), kaimingFanOut(1, s.width));
          this.batchNormParams(`${n}.bn2`, s.width, 'msa');
          const a = 1 / Math.sqrt(s.width);
          this.param(`${n}.attn.q.kernel`, [1, 1, s.width, s.inner], convKernel('msa'), uniform(a));
          this.param(`${n}.attn.kv.kernel`, [1, 1, s.width, 2 * s.inner], convKernel('msa'), uniform(a));
          this.param(`${n}.attn.relative_position_bias_table`, [(2 * s.window - 1) ** 2, 1], tokensOf('msa', 'position'), normal(0.02));
          const o = 1 / Math.sqrt(s.inner);
          this.param(`${n}.attn.proj.kernel`, [1, 1, s.inner, s.cout], convKernel('msa'), uniform(o));
          this.param(`${n}.attn.proj.bias`, [s.cout], biasOf('msa'), uniform(o));
        } else if (c.block === 'basic') {
          this.batchNormParams(`${n}.bn1`, s.cin, 'conv');
          this.param(`${n}.conv1.kernel`, [3, 3, s.cin, s.planes], convKernel('conv'), kaimingFanOut(3, s.planes));
          this.batchNormParams(`${n}.bn2`, s.planes, 'conv');
          this.param(`${n}.conv2.kernel`, [3, 3, s.planes, s.cout], convKernel('conv'), kaimingFanOut(3, s.cout));
        } else {
          this.batchNormParams(`${n}.bn1`, s.cin, 'conv');
          this.param(`${n}.conv1.kernel`, [1, 1, s.cin, s.planes], convKernel('conv'), kaimingFanOut(1, s.planes));
          this.batchNormParams(`${n}.bn2`, s.planes, 'conv');
          this.param(`${n}.conv2.kernel`, [3, 3, s.planes, s.planes], convKernel('conv'), kaimingFanOut(3, s.planes));
          this.batchNormParams(`${n}.bn3`, s.planes, 'conv');
          this.param(`${n}.conv3.kernel`, [1, 1, s.planes, s.cout], convKernel('conv'), kaimingFanOut(1, s.cout));
        }
        if (s.projection) this.param(`${n}.shortcut.conv.kernel`, [1, 1, s.cin, s.cout], convKernel('conv'), kaimingFanOut(1, s.cout));
      });
    }
    const last = this.specs[this.specs.length - 1]!.cout;
    this.batchNormParams('norm', last, 'head');
    this.param('head.kernel', [last, c.numClasses], denseKernel('head'), uniform(1 / Math.sqrt(last)));
    this.param('head.bias', [c.numClasses], biasOf('head'), uniform(1 / Math.sqrt(last)));
  }

  protected run(x: tf.Tensor4D, ctx: Ctx, collect: Collector): tf.Tensor2D {
    let h = convKxK(x, ctx.p('stem.conv.kernel'), 1);
    collect?.('stem', 'embedding', h);
    for (const s of this.specs) {
      h = s.kind === 'msa' ? this.msaBlock(ctx, s, h) : this.convBlock(ctx, s, h);
      collect?.(s.name, s.kind === 'msa' ? 'msa' : s.stride > 1 ? 'pool' : 'conv', h);
    }
    const pooled = globalAvgPool(batchNormRelu(ctx, 'norm', h));
    return dense(ctx, 'head', pooled, true) as tf.Tensor2D;
  }

  private convBlock(ctx: Ctx, s: AlterBlockSpec, x: tf.Tensor4D): tf.Tensor4D {
    const n = s.name;
    const pre = batchNormRelu(ctx, `${n}.bn1`, x);
    const skip = s.projection ? conv1x1(pre, ctx.p(`${n}.shortcut.conv.kernel`), s.stride) : x;
    let r: tf.Tensor4D;
    if (this.config.block === 'basic') {
      r = convKxK(pre, ctx.p(`${n}.conv1.kernel`), s.stride);
      r = convKxK(batchNormRelu(ctx, `${n}.bn2`, r), ctx.p(`${n}.conv2.kernel`), 1);
    } else {
      r = conv1x1(pre, ctx.p(`${n}.conv1.kernel`), 1);
      r = convKxK(batchNormRelu(ctx, `${n}.bn2`, r), ctx.p(`${n}.conv2.kernel`), s.stride);
      r = conv1x1(batchNormRelu(ctx, `${n}.bn3`, r), ctx.p(`${n}.conv3.kernel`), 1);
    }
    return tf.add(skip, dropPath(ctx, r, s.dropPath)) as tf.Tensor4D;
  }

  private msaBlock(ctx: Ctx, s: AlterBlockSpec, x: tf.Tensor4D): tf.Tensor4D {
    const n = s.name;
    const [b, hh, ww] = x.shape;
    const pre = gelu(batchNorm(ctx, `${n}.bn1`, x)) as tf.Tensor4D;
    const skip = s.projection ? conv1x1(pre, ctx.p(`${n}.shortcut.conv.kernel`), 1) : x;
    let h = batchNorm(ctx, `${n}.bn2`, conv1x1(pre, ctx.p(`${n}.conv.kernel`), 1));
    const win = windowPartition(h, s.window); // [B*nW, ws*ws, width]
    const q = dense1x1(ctx, `${n}.attn.q`, win);
    const [k, v] = tf.split(dense1x1(ctx, `${n}.attn.kv`, win), 2, 2) as [tf.Tensor3D, tf.Tensor3D];
    const bias = relativePositionBias(ctx.p(`${n}.attn.relative_position_bias_table`), s.window);
    const a = multiHeadAttention(q, k, v, s.heads, bias);
    const kernel = ctx.p(`${n}.attn.proj.kernel`);
    const out = tf.add(tf.matMul(tf.reshape(a, [-1, s.inner]), tf.reshape(kernel, [s.inner, s.cout])), ctx.p(`${n}.attn.proj.bias`));
    h = windowReverse(tf.reshape(out, [-1, s.window * s.window, s.cout]) as tf.Tensor3D, s.window, b, hh, ww);
    return tf.add(skip, dropPath(ctx, h, s.dropPath)) as tf.Tensor4D;
  }
}

/** A 1x1 conv kernel [1, 1, in, out] applied to tokens [G, N, in]. */
function dense1x1(ctx: Ctx, prefix: string, t: tf.Tensor3D): tf.Tensor3D {
  const k = ctx.p(`${prefix}.kernel`);
  return tf.reshape(tf.matMul(tf.reshape(t, [-1, k.shape[2]!]), tf.reshape(k, [k.shape[2]!, k.shape[3]!])), [t.shape[0], t.shape[1], k.shape[3]!]);
}

function validate(config: ModelConfig): AlterNetConfig {
  const c = checkCnnStages(config);
  const stages = c.widths.length;
  const msa = (config as Record<string, unknown>).msaBlocks;
  if (!Array.isArray(msa) || msa.length !== stages) fail(config, 'msaBlocks', msa, `a list of ${stages} index lists`);
  (msa as unknown[]).forEach((list, s) => {
    const blocks = c.stageBlocks[s]!;
    if (!Array.isArray(list) || list.some((i) => !Number.isInteger(i) || i < 0 || i >= blocks))
      fail(config, `msaBlocks[${s}]`, list, `block indices in [0, ${blocks})`);
    if ((list as number[]).includes(0) && s > 0) fail(config, `msaBlocks[${s}]`, list, 'no MSA at block 0 of a downsampling stage');
  });
  positiveIntList(config, 'heads', stages);
  positiveInt(config, 'headDim');
  const windowSize = positiveInt(config, 'windowSize');
  for (let s = 0; s < stages; s++) {
    const size = config.imageSize / 2 ** s;
    if ((msa as number[][])[s]!.length > 0 && size % Math.min(windowSize, size) !== 0)
      fail(config, 'windowSize', windowSize, `a divisor of the stage-${s + 1} map size ${size}`);
  }
  return config as AlterNetConfig;
}

/** Closed form per layer (independent of the class above, so tests can compare the two); see complexity.ts. */
function complexity(c: AlterNetConfig): Complexity {
  const bottleneck = c.block === 'bottleneck';
  const e = expansionOf(c.block);
  let params = 27 * c.stemWidth;
  let macs = c.imageSize * c.imageSize * 27 * c.stemWidth;
  for (const b of cnnBlocks(c, c.imageSize)) {
    const { stage: s, cin, planes: p, cout, inputSize: ri, outputSize: r } = b;
    if (c.msaBlocks[s]!.includes(b.index)) {
      const width = Math.max(1, Math.floor(cin / e));
      const inner = c.heads[s]! * c.headDim;
      const w = Math.min(c.windowSize, r);
      params += 2 * cin + cin * width + 2 * width + 3 * width * inner + (2 * w - 1) ** 2 + inner * cout + cout;
      macs += r * r * (cin * width + 3 * width * inner + inner * cout) + 2 * r * r * w * w * inner;
    } else if (bottleneck) {
      params += 2 * cin + cin * p + 2 * p + 9 * p * p + 2 * p + p * cout;
      macs += ri * ri * cin * p + r * r * (9 * p * p + p * cout);
    } else {
      params += 2 * cin + 9 * cin * p + 2 * p + 9 * p * cout;
      macs += r * r * (9 * cin * p + 9 * p * cout);
    }
    if (b.stride !== 1 || cin !== cout) {
      params += cin * cout;
      macs += r * r * cin * cout;
    }
  }
  const last = c.widths[c.widths.length - 1]! * e;
  params += 2 * last + last * c.numClasses + c.numClasses;
  macs += last * c.numClasses;
  return { params, macs };
}

/** The authors' AlterNet files are recognised, and refused: nothing maps them into this family's parameters. */
const AUTHORS_ALTERNET: RefusedCheckpoint = {
  title: "the authors' AlterNet (how-do-vits-work models/alternet.py)",
  recognises: (keys) => [...keys].some((k) => /\.attn\.to_q\.weight$|\.to_kv\.weight$/.test(k)),
  reason:
    "its MSA blocks (1x1-conv q/kv projections, the authors' own relative position embedding) have no counterpart in " +
    "vitscope's alternet family's parameters, which are not mapped",
};

registerFamily<AlterNetConfig>({
  name: 'alternet',
  display: { color: '#2ca02c', matches: /alter-?(res)?net/ },
  validate,
  complexity,
  build: (config, seed) => new AlterNet(config, seed),
  refusedCheckpoints: [AUTHORS_ALTERNET],
});

/** The paper's Alter-ResNet-50; presets override some fields. */
const ALTERNET_50: AlterNetConfig = {
  family: 'alternet',
  preset: 'alternet-50',
  numClasses: 100,
  imageSize: 32,
  block: 'bottleneck',
  stemWidth: 64,
  widths: [64, 128, 256, 512],
  stageBlocks: [3, 4, 6, 4],
  msaBlocks: [[], [3], [5], [1, 3]],
  heads: [3, 6, 12, 24],
  headDim: 64,
  windowSize: 4,
  dropPathRate: 0.1,
};

const preset = (name: string, description: string, o: Partial<AlterNetConfig> = {}): void =>
  registerPreset({ ...ALTERNET_50, ...o, preset: name }, description);

preset('alternet-50', 'Alter-ResNet-50 (paper): pre-activation bottlenecks 3-4-6-4, MSA at ends of stages 2-3 and blocks 2, 4 of stage 4');
preset('alternet-20', 'CPU AlterNet: pre-activation ResNet-20 whose last blocks of stages 2 and 3 are MSA blocks', {
  block: 'basic', stemWidth: 16, widths: [16, 32, 64], stageBlocks: [3, 3, 3], msaBlocks: [[], [2], [2]], heads: [1, 2, 4], headDim: 16, windowSize: 4,
});
