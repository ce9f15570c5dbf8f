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
import { tf } from '../backend/tf.ts';
import { BaseModel, kaimingFanOut, normal, uniform, type Collector } from './base.ts';
import type { AlterNetConfig } from './configs.ts';
import {
  batchNorm,
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

export interface AlterBlockSpec {
  name: string;
  kind: 'conv' | 'msa';
  stage: number;
  cin: number;
  planes: number;
  cout: number;
  stride: number;
  resolution: number; // input map size
  projection: boolean;
  dropPath: number;
  // MSA blocks
  width: number;
  heads: number;
  inner: number;
  window: number;
}

export function alternetBlockSpecs(
  c: Pick<AlterNetConfig, 'imageSize' | 'block' | 'stemWidth' | 'widths' | 'stageBlocks' | 'msaBlocks' | 'heads' | 'headDim' | 'windowSize' | 'dropPathRate'>,
): AlterBlockSpec[] {
  const expansion = c.block === 'bottleneck' ? 4 : 1;
  const total = c.stageBlocks.reduce((a, b) => a + b, 0);
  const specs: AlterBlockSpec[] = [];
  let cin = c.stemWidth;
  let res = c.imageSize;
  let idx = 0;
  c.widths.forEach((planes, s) => {
    for (let j = 0; j < c.stageBlocks[s]!; j++) {
      const stride = j === 0 && s > 0 ? 2 : 1;
      const cout = planes * expansion;
      const msa = c.msaBlocks[s]!.includes(j);
      specs.push({
        name: `layers.${s}.blocks.${j}`,
        kind: msa ? 'msa' : 'conv',
        stage: s,
        cin,
        planes,
        cout,
        stride,
        resolution: res,
        projection: stride !== 1 || cin !== cout,
        dropPath: total > 1 ? (c.dropPathRate * idx) / (total - 1) : c.dropPathRate,
        width: Math.max(1, Math.floor(cin / expansion)),
        heads: c.heads[s]!,
        inner: c.heads[s]! * c.headDim,
        window: Math.min(c.windowSize, res),
      });
      res /= stride;
      cin = cout;
      idx++;
    }
  });
  return specs;
}

export class AlterNet extends BaseModel {
  declare readonly config: AlterNetConfig;
  readonly specs: AlterBlockSpec[];

  constructor(config: AlterNetConfig, seed: number) {
    super(config, seed);
    const c = config;
    this.specs = alternetBlockSpecs(c);
    this.param('stem.conv.kernel', [3, 3, 3, c.stemWidth], 'weight', kaimingFanOut(3, c.stemWidth));
    for (const s of this.specs) {
      const n = s.name;
      if (s.kind === 'msa') {
        this.batchNormParams(`${n}.bn1`, s.cin);
        this.param(`${n}.conv.kernel`, [1, 1, s.cin, s.width], 'weight', kaimingFanOut(1, s.width));
        this.batchNormParams(`${n}.bn2`, s.width);
        const a = 1 / Math.sqrt(s.width);
        this.param(`${n}.attn.q.kernel`, [1, 1, s.width, s.inner], 'weight', uniform(a));
        this.param(`${n}.attn.kv.kernel`, [1, 1, s.width, 2 * s.inner], 'weight', uniform(a));
        this.param(`${n}.attn.relative_position_bias_table`, [(2 * s.window - 1) ** 2, 1], 'position', normal(0.02));
        const o = 1 / Math.sqrt(s.inner);
        this.param(`${n}.attn.proj.kernel`, [1, 1, s.inner, s.cout], 'weight', uniform(o));
        this.param(`${n}.attn.proj.bias`, [s.cout], 'bias', uniform(o));
      } else if (c.block === 'basic') {
        this.batchNormParams(`${n}.bn1`, s.cin);
        this.param(`${n}.conv1.kernel`, [3, 3, s.cin, s.planes], 'weight', kaimingFanOut(3, s.planes));
        this.batchNormParams(`${n}.bn2`, s.planes);
        this.param(`${n}.conv2.kernel`, [3, 3, s.planes, s.cout], 'weight', kaimingFanOut(3, s.cout));
      } else {
        this.batchNormParams(`${n}.bn1`, s.cin);
        this.param(`${n}.conv1.kernel`, [1, 1, s.cin, s.planes], 'weight', kaimingFanOut(1, s.planes));
        this.batchNormParams(`${n}.bn2`, s.planes);
        this.param(`${n}.conv2.kernel`, [3, 3, s.planes, s.planes], 'weight', kaimingFanOut(3, s.planes));
        this.batchNormParams(`${n}.bn3`, s.planes);
        this.param(`${n}.conv3.kernel`, [1, 1, s.planes, s.cout], 'weight', kaimingFanOut(1, s.cout));
      }
      if (s.projection) this.param(`${n}.shortcut.conv.kernel`, [1, 1, s.cin, s.cout], 'weight', kaimingFanOut(1, s.cout));
    }
    const last = this.specs[this.specs.length - 1]!.cout;
    this.batchNormParams('norm', last);
    this.param('head.kernel', [last, c.numClasses], 'weight', uniform(1 / Math.sqrt(last)));
    this.param('head.bias', [c.numClasses], 'bias', uniform(1 / Math.sqrt(last)));
  }

  protected run(x: tf.Tensor4D, ctx: Ctx, collect: Collector): tf.Tensor2D {
    let h = convKxK(x, ctx.p('stem.conv.kernel'), 1);
    collect?.('stem', 'embedding', h);
    for (const s of this.specs) {
      h = s.kind === 'msa' ? this.msaBlock(ctx, s, h) : this.convBlock(ctx, s, h);
      collect?.(s.name, s.kind === 'msa' ? 'msa' : s.stride > 1 ? 'pool' : 'conv', h);
    }
    const pooled = globalAvgPool(tf.relu(batchNorm(ctx, 'norm', h)));
    return dense(ctx, 'head', pooled, true) as tf.Tensor2D;
  }

  private convBlock(ctx: Ctx, s: AlterBlockSpec, x: tf.Tensor4D): tf.Tensor4D {
    const n = s.name;
    const pre = tf.relu(batchNorm(ctx, `${n}.bn1`, x));
    const skip = s.projection ? conv1x1(pre, ctx.p(`${n}.shortcut.conv.kernel`), s.stride) : x;
    let r: tf.Tensor4D;
    if (this.config.block === 'basic') {
      r = convKxK(pre, ctx.p(`${n}.conv1.kernel`), s.stride);
      r = convKxK(tf.relu(batchNorm(ctx, `${n}.bn2`, r)), ctx.p(`${n}.conv2.kernel`), 1);
    } else {
      r = conv1x1(pre, ctx.p(`${n}.conv1.kernel`), 1);
      r = convKxK(tf.relu(batchNorm(ctx, `${n}.bn2`, r)), ctx.p(`${n}.conv2.kernel`), s.stride);
      r = conv1x1(tf.relu(batchNorm(ctx, `${n}.bn3`, r)), ctx.p(`${n}.conv3.kernel`), 1);
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
