// ResNet for CIFAR (He et al. 2016): 3x3 stride-1 stem + BN + ReLU, no max-pool; stages of basic
// blocks (3x3, 3x3) or bottlenecks (1x1, 3x3 with the stride, 1x1 x4 — torchvision's "v1.5");
// post-activation (add, then ReLU); BatchNorm with running statistics; GAP + linear head.
// Shortcuts where shape changes: option A (parameter-free: subsample, zero-pad channels) or B
// (1x1 conv + BN). config.stem 'imagenet': torchvision's 7x7/2 stem + 3x3/2 max-pool (imported
// ImageNet weights). Init as torchvision: convs kaiming-normal fan_out, BN (1, 0), the head PyTorch's
// default Linear init U(+-1/sqrt(fan_in)).
// Feature maps: 'stem' (kind 'embedding'), then every block: 'conv', or 'pool' for the first block
// of a stage that subsamples.
import { tf } from '../backend/tf.ts';
import { BaseModel, kaimingFanOut, uniform, type Collector } from './base.ts';
import type { ResNetConfig } from './configs.ts';
import { batchNorm, convKxK, dense, dropPath, globalAvgPool, subsample2, type Ctx } from './ops.ts';

interface BlockSpec {
  name: string;
  cin: number;
  planes: number;
  cout: number;
  stride: number;
  dropPath: number;
  projection: boolean; // option-B shortcut conv
  padShortcut: boolean; // option-A shortcut
}

export function resnetBlockSpecs(c: Pick<ResNetConfig, 'block' | 'stemWidth' | 'widths' | 'stageBlocks' | 'dropPathRate'> & { shortcut?: 'A' | 'B' }): BlockSpec[] {
  const expansion = c.block === 'bottleneck' ? 4 : 1;
  const total = c.stageBlocks.reduce((a, b) => a + b, 0);
  const specs: BlockSpec[] = [];
  let cin = c.stemWidth;
  let idx = 0;
  c.widths.forEach((planes, s) => {
    for (let j = 0; j < c.stageBlocks[s]!; j++) {
      const stride = j === 0 && s > 0 ? 2 : 1;
      const cout = planes * expansion;
      const changes = stride !== 1 || cin !== cout;
      specs.push({
        name: `layers.${s}.blocks.${j}`,
        cin,
        planes,
        cout,
        stride,
        dropPath: total > 1 ? (c.dropPathRate * idx) / (total - 1) : c.dropPathRate,
        projection: changes && c.shortcut !== 'A',
        padShortcut: changes && c.shortcut === 'A',
      });
      cin = cout;
      idx++;
    }
  });
  return specs;
}

export class ResNet extends BaseModel {
  declare readonly config: ResNetConfig;
  private readonly specs: BlockSpec[];

  constructor(config: ResNetConfig, seed: number) {
    super(config, seed);
    const c = config;
    this.specs = resnetBlockSpecs(c);
    const k = c.stem === 'imagenet' ? 7 : 3;
    this.param('stem.conv.kernel', [k, k, 3, c.stemWidth], 'weight', kaimingFanOut(k, c.stemWidth));
    this.batchNormParams('stem.bn', c.stemWidth);
    for (const s of this.specs) {
      if (c.block === 'basic') {
        this.param(`${s.name}.conv1.kernel`, [3, 3, s.cin, s.planes], 'weight', kaimingFanOut(3, s.planes));
        this.batchNormParams(`${s.name}.bn1`, s.planes);
        this.param(`${s.name}.conv2.kernel`, [3, 3, s.planes, s.cout], 'weight', kaimingFanOut(3, s.cout));
        this.batchNormParams(`${s.name}.bn2`, s.cout);
      } else {
        this.param(`${s.name}.conv1.kernel`, [1, 1, s.cin, s.planes], 'weight', kaimingFanOut(1, s.planes));
        this.batchNormParams(`${s.name}.bn1`, s.planes);
        this.param(`${s.name}.conv2.kernel`, [3, 3, s.planes, s.planes], 'weight', kaimingFanOut(3, s.planes));
        this.batchNormParams(`${s.name}.bn2`, s.planes);
        this.param(`${s.name}.conv3.kernel`, [1, 1, s.planes, s.cout], 'weight', kaimingFanOut(1, s.cout));
        this.batchNormParams(`${s.name}.bn3`, s.cout);
      }
      if (s.projection) {
        this.param(`${s.name}.shortcut.conv.kernel`, [1, 1, s.cin, s.cout], 'weight', kaimingFanOut(1, s.cout));
        this.batchNormParams(`${s.name}.shortcut.bn`, s.cout);
      }
    }
    const last = this.specs[this.specs.length - 1]!.cout;
    this.param('head.kernel', [last, c.numClasses], 'weight', uniform(1 / Math.sqrt(last)));
    this.param('head.bias', [c.numClasses], 'bias', uniform(1 / Math.sqrt(last)));
  }

  protected run(x: tf.Tensor4D, ctx: Ctx, collect: Collector): tf.Tensor2D {
    const bottleneck = this.config.block === 'bottleneck';
    const imagenetStem = this.config.stem === 'imagenet';
    let h = tf.relu(batchNorm(ctx, 'stem.bn', convKxK(x, ctx.p('stem.conv.kernel'), imagenetStem ? 2 : 1)));
    if (imagenetStem) h = maxPool3x3Stride2(h);
    collect?.('stem', 'embedding', h);
    for (const s of this.specs) {
      const n = s.name;
      let r: tf.Tensor4D;
      if (!bottleneck) {
        r = tf.relu(batchNorm(ctx, `${n}.bn1`, convKxK(h, ctx.p(`${n}.conv1.kernel`), s.stride)));
        r = batchNorm(ctx, `${n}.bn2`, convKxK(r, ctx.p(`${n}.conv2.kernel`), 1));
      } else {
        r = tf.relu(batchNorm(ctx, `${n}.bn1`, convKxK(h, ctx.p(`${n}.conv1.kernel`), 1)));
        r = tf.relu(batchNorm(ctx, `${n}.bn2`, convKxK(r, ctx.p(`${n}.conv2.kernel`), s.stride)));
        r = batchNorm(ctx, `${n}.bn3`, convKxK(r, ctx.p(`${n}.conv3.kernel`), 1));
      }
      let skip: tf.Tensor4D = h;
      if (s.projection) skip = batchNorm(ctx, `${n}.shortcut.bn`, convKxK(h, ctx.p(`${n}.shortcut.conv.kernel`), s.stride));
      else if (s.padShortcut) skip = padShortcut(h, s.stride, s.cout);
      h = tf.relu(tf.add(skip, dropPath(ctx, r, s.dropPath))) as tf.Tensor4D;
      collect?.(n, s.stride > 1 ? 'pool' : 'conv', h);
    }
    return dense(ctx, 'head', globalAvgPool(h), true) as tf.Tensor2D;
  }
}

/** PyTorch's MaxPool2d(3, stride 2, padding 1) on post-ReLU input, where zero padding equals -inf padding. */
function maxPool3x3Stride2(x: tf.Tensor4D): tf.Tensor4D {
  return tf.maxPool(tf.pad(x, [[0, 0], [1, 1], [1, 1], [0, 0]]), 3, 2, 'valid');
}

/** Option-A shortcut: subsample by the stride, zero-pad channels evenly on both sides. */
export function padShortcut(x: tf.Tensor4D, stride: number, cout: number): tf.Tensor4D {
  const xs = stride === 2 ? subsample2(x) : x;
  const extra = cout - xs.shape[3];
  const before = Math.floor(extra / 2);
  return tf.pad(xs, [[0, 0], [0, 0], [0, 0], [before, extra - before]]);
}
