// ResNet for CIFAR (He et al. 2016): 3x3 stride-1 stem + BN + ReLU, no max-pool; stages of basic
// blocks (3x3, 3x3) or bottlenecks (1x1, 3x3 with the stride, 1x1 x4 — torchvision's "v1.5");
// post-activation (add, then ReLU); BatchNorm with running statistics; GAP + linear head.
// Shortcuts where shape changes: option A (parameter-free: subsample, zero-pad channels) or B
// (1x1 conv + BN). config.stem 'imagenet': torchvision's 7x7/2 stem + 3x3/2 max-pool (imported
// ImageNet weights). Init as torchvision: convs kaiming-normal fan_out, BN (1, 0), the head PyTorch's
// default Linear init U(+-1/sqrt(fan_in)).
// Feature maps: 'stem' (kind 'embedding'), then every block: 'conv', or 'pool' for the first block
// of a stage that subsamples.
// This file is the resnet family: configuration, checks, presets, cost and registration (src/models/registry.ts);
// the stage layout is src/models/cnn-stages.ts.
import { tf } from '../backend/tf.ts';
import { BaseModel, biasOf, convKernel, denseKernel, kaimingFanOut, uniform, type Collector } from './base.ts';
import { checkCnnStages, cnnBlocks, expansionOf, type CnnBlock, type CnnStageConfig } from './cnn-stages.ts';
import { torchName, type CheckpointSource } from './checkpoint-source.ts';
import { fail, oneOf } from './config-checks.ts';
import type { ModelConfig } from './model.ts';
import { batchNorm, batchNormRelu, convKxK, dense, dropPath, globalAvgPool, subsample2, type Ctx } from './ops.ts';
import { imagenetPretrainedCfg } from './pretrained-cfg.ts';
import { registerFamily, registerPreset, type Complexity } from './registry.ts';

export interface ResNetConfig extends ModelConfig, CnnStageConfig {
  family: 'resnet';
  /**
   * Shortcut when shape changes: 'A' = parameter-free (subsample by 2, zero-pad channels; He et al.
   * 2016 for CIFAR ResNet-20), 'B' = 1x1 convolution + BatchNorm (projection).
   */
  shortcut: 'A' | 'B';
  /**
   * 'cifar' (default when absent): 3x3 stride-1 conv, no max-pool. 'imagenet': torchvision/timm's 7x7
   * stride-2 conv (padding 3) and 3x3 stride-2 max-pool (padding 1), for imported ImageNet weights.
   */
  stem?: 'cifar' | 'imagenet';
}

interface BlockSpec extends CnnBlock {
  projection: boolean; // option-B shortcut conv
  padShortcut: boolean; // option-A shortcut
}

/** How much the stem shrinks the image: 4 for the ImageNet stem (conv stride 2, max-pool stride 2). */
function stemReduction(c: Pick<ResNetConfig, 'stem'>): number {
  return c.stem === 'imagenet' ? 4 : 1;
}

function blockSpecs(c: ResNetConfig): BlockSpec[] {
  return cnnBlocks(c, c.imageSize / stemReduction(c)).map((b) => {
    const changes = b.stride !== 1 || b.cin !== b.cout;
    return { ...b, projection: changes && c.shortcut === 'B', padShortcut: changes && c.shortcut === 'A' };
  });
}

export class ResNet extends BaseModel {
  declare readonly config: ResNetConfig;
  private readonly specs: BlockSpec[];

  constructor(config: ResNetConfig, seed: number) {
    super(config, seed);
    const c = config;
    this.specs = blockSpecs(c);
    const k = c.stem === 'imagenet' ? 7 : 3;
    this.param('stem.conv.kernel', [k, k, 3, c.stemWidth], convKernel('conv'), kaimingFanOut(k, c.stemWidth));
    this.batchNormParams('stem.bn', c.stemWidth, 'conv');
    for (const s of this.specs) {
      this.declareBlock(() => {
        if (c.block === 'basic') {
          this.param(`${s.name}.conv1.kernel`, [3, 3, s.cin, s.planes], convKernel('conv'), kaimingFanOut(3, s.planes));
          this.batchNormParams(`${s.name}.bn1`, s.planes, 'conv');
          this.param(`${s.name}.conv2.kernel`, [3, 3, s.planes, s.cout], convKernel('conv'), kaimingFanOut(3, s.cout));
          this.batchNormParams(`${s.name}.bn2`, s.cout, 'conv');
        } else {
          this.param(`${s.name}.conv1.kernel`, [1, 1, s.cin, s.planes], convKernel('conv'), kaimingFanOut(1, s.planes));
          this.batchNormParams(`${s.name}.bn1`, s.planes, 'conv');
          this.param(`${s.name}.conv2.kernel`, [3, 3, s.planes, s.planes], convKernel('conv'), kaimingFanOut(3, s.planes));
          this.batchNormParams(`${s.name}.bn2`, s.planes, 'conv');
          this.param(`${s.name}.conv3.kernel`, [1, 1, s.planes, s.cout], convKernel('conv'), kaimingFanOut(1, s.cout));
          this.batchNormParams(`${s.name}.bn3`, s.cout, 'conv');
        }
        if (s.projection) {
          this.param(`${s.name}.shortcut.conv.kernel`, [1, 1, s.cin, s.cout], convKernel('conv'), kaimingFanOut(1, s.cout));
          this.batchNormParams(`${s.name}.shortcut.bn`, s.cout, 'conv');
        }
      });
    }
    const last = this.specs[this.specs.length - 1]!.cout;
    this.param('head.kernel', [last, c.numClasses], denseKernel('head'), uniform(1 / Math.sqrt(last)));
    this.param('head.bias', [c.numClasses], biasOf('head'), uniform(1 / Math.sqrt(last)));
  }

  protected run(x: tf.Tensor4D, ctx: Ctx, collect: Collector): tf.Tensor2D {
    const bottleneck = this.config.block === 'bottleneck';
    const imagenetStem = this.config.stem === 'imagenet';
    let h = batchNormRelu(ctx, 'stem.bn', convKxK(x, ctx.p('stem.conv.kernel'), imagenetStem ? 2 : 1));
    if (imagenetStem) h = maxPool3x3Stride2(h);
    collect?.('stem', 'embedding', h);
    for (const s of this.specs) {
      const n = s.name;
      let r: tf.Tensor4D;
      if (!bottleneck) {
        r = batchNormRelu(ctx, `${n}.bn1`, convKxK(h, ctx.p(`${n}.conv1.kernel`), s.stride));
        r = batchNorm(ctx, `${n}.bn2`, convKxK(r, ctx.p(`${n}.conv2.kernel`), 1));
      } else {
        r = batchNormRelu(ctx, `${n}.bn1`, convKxK(h, ctx.p(`${n}.conv1.kernel`), 1));
        r = batchNormRelu(ctx, `${n}.bn2`, convKxK(r, ctx.p(`${n}.conv2.kernel`), s.stride));
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
function padShortcut(x: tf.Tensor4D, stride: number, cout: number): tf.Tensor4D {
  const xs = stride === 2 ? subsample2(x) : x;
  const extra = cout - xs.shape[3];
  const before = Math.floor(extra / 2);
  return tf.pad(xs, [[0, 0], [0, 0], [0, 0], [before, extra - before]]);
}

function validate(config: ModelConfig): ResNetConfig {
  const stem = oneOf(config, 'stem', ['cifar', 'imagenet'], { optional: true });
  const c = checkCnnStages(config, stemReduction({ stem }));
  const shortcut = oneOf(config, 'shortcut', ['A', 'B']);
  if (shortcut === 'A' && c.block === 'bottleneck') fail(config, 'shortcut', shortcut, "'B' for bottleneck blocks");
  return config as ResNetConfig;
}

/** Closed form per layer (independent of the class above, so tests can compare the two); see complexity.ts. */
function complexity(c: ResNetConfig): Complexity {
  const bottleneck = c.block === 'bottleneck';
  const k2 = c.stem === 'imagenet' ? 49 : 9;
  const stemOut = c.stem === 'imagenet' ? c.imageSize / 2 : c.imageSize; // before the max-pool
  let params = 3 * k2 * c.stemWidth + 2 * c.stemWidth;
  let macs = stemOut * stemOut * 3 * k2 * c.stemWidth;
  for (const b of cnnBlocks(c, c.imageSize / stemReduction(c))) {
    const { cin, planes: p, cout, inputSize: ri, outputSize: r } = b;
    if (bottleneck) {
      params += cin * p + 2 * p + 9 * p * p + 2 * p + p * cout + 2 * cout;
      macs += ri * ri * cin * p + r * r * (9 * p * p + p * cout);
    } else {
      params += 9 * cin * p + 2 * p + 9 * p * cout + 2 * cout;
      macs += r * r * (9 * cin * p + 9 * p * cout);
    }
    if ((b.stride !== 1 || cin !== cout) && c.shortcut === 'B') {
      params += cin * cout + 2 * cout;
      macs += r * r * cin * cout;
    }
  }
  const last = c.widths[c.widths.length - 1]! * expansionOf(c.block);
  params += last * c.numClasses + c.numClasses;
  macs += last * c.numClasses;
  return { params, macs };
}

/**
 * The authors' CIFAR ResNet (xxxnell/how-do-vits-work, models/resnet.py with resnet_dnn_block.py,
 * `models.get_model("resnet_50", num_classes=100, stem=False)`): a 3x3 stride-1 stem (layer0), post-activation
 * blocks with the stride on the 3x3 convolution, projection shortcuts (1x1 conv + BN) wherever the shape changes,
 * GAP + Linear (classifier.0.dense). resnet-18/resnet-50 are this network; each conv/BN pair sits in an
 * nn.Sequential there.
 */
const AUTHORS_RESNET: CheckpointSource<ResNetConfig> = {
  id: 'authors-resnet',
  title: "the authors' CIFAR ResNet (how-do-vits-work models/resnet.py, dnn blocks)",
  recognises: (keys) => keys.has('layer0.0.weight') && keys.has('classifier.0.dense.weight'),
  refusal(config) {
    if (config.shortcut === 'A')
      return `preset '${config.preset}' uses parameter-free option-A shortcuts; the authors' ResNet always projects (1x1 conv + BN) where the shape changes (use resnet-50 or resnet-18)`;
    return null;
  },
  headKey: 'classifier.0.dense.weight',
  key(target) {
    const name = torchName(target);
    let m = /^stem\.(conv|bn)\.(.+)$/.exec(name);
    if (m) return `layer0.${m[1] === 'conv' ? 0 : 1}.${m[2]}`;
    m = /^layers\.(\d+)\.blocks\.(\d+)\.(conv|bn)(\d)\.(.+)$/.exec(name);
    if (m) return `layer${Number(m[1]) + 1}.${m[2]}.conv${m[4]}.${m[3] === 'conv' ? 0 : 1}.${m[5]}`;
    m = /^layers\.(\d+)\.blocks\.(\d+)\.shortcut\.(conv|bn)\.(.+)$/.exec(name);
    if (m) return `layer${Number(m[1]) + 1}.${m[2]}.shortcut.${m[3] === 'conv' ? 0 : 1}.${m[4]}`;
    m = /^head\.(.+)$/.exec(name);
    if (m) return `classifier.0.dense.${m[1]}`;
    return name;
  },
  ignored: /\.num_batches_tracked$/,
};

/**
 * timm's ResNet (timm/models/resnet.py, the same names in all versions and in torchvision): conv1/bn1 stem (7x7
 * stride 2, then a 3x3 stride-2 max-pool), layer1..4 of BasicBlock (conv1, bn1, conv2, bn2) or Bottleneck (+ conv3,
 * bn3; stride on conv2), downsample.0/1 (1x1 conv + BN) where the shape changes, fc. Built with stem 'imagenet'.
 */
const TIMM_RESNET: CheckpointSource<ResNetConfig> = {
  id: 'timm-resnet',
  title: "timm's (torchvision's) ResNet",
  recognises: (keys) => keys.has('conv1.weight') && keys.has('layer1.0.conv1.weight') && keys.has('fc.weight'),
  refusal(config) {
    if (config.stem !== 'imagenet')
      return `timm's ResNet has the ImageNet stem (7x7 stride-2 conv + max-pool) and preset '${config.preset}' the CIFAR one; choose resnet-50-224 or resnet-18-224 (or a configuration with stem 'imagenet')`;
    if (config.shortcut === 'A') return `preset '${config.preset}' uses option-A shortcuts; timm's ResNet projects (downsample 1x1 conv + BN)`;
    return null;
  },
  headKey: 'fc.weight',
  key(target) {
    const name = torchName(target);
    let m = /^stem\.(conv|bn)\.(.+)$/.exec(name);
    if (m) return `${m[1] === 'conv' ? 'conv1' : 'bn1'}.${m[2]}`;
    m = /^layers\.(\d+)\.blocks\.(\d+)\.(.+)$/.exec(name);
    if (m) return `layer${Number(m[1]) + 1}.${m[2]}.${m[3]!.replace(/^shortcut\.conv\./, 'downsample.0.').replace(/^shortcut\.bn\./, 'downsample.1.')}`;
    m = /^head\.(.+)$/.exec(name);
    if (m) return `fc.${m[1]}`;
    return name;
  },
  ignored: /\.num_batches_tracked$/,
};

registerFamily<ResNetConfig>({
  name: 'resnet',
  display: { color: '#1f5fa8', matches: /resne[tx]/ },
  validate,
  complexity,
  build: (config, seed) => new ResNet(config, seed),
  checkpoints: [AUTHORS_RESNET, TIMM_RESNET],
});

/** ResNet-18, CIFAR variant; presets override some fields. */
const RESNET_18: ResNetConfig = {
  family: 'resnet',
  preset: 'resnet-18',
  numClasses: 100,
  imageSize: 32,
  block: 'basic',
  stemWidth: 64,
  widths: [64, 128, 256, 512],
  stageBlocks: [2, 2, 2, 2],
  shortcut: 'B',
  dropPathRate: 0.1,
};

const preset = (name: string, description: string, o: Partial<ResNetConfig> = {}, pretrained?: ReturnType<typeof imagenetPretrainedCfg>): void =>
  registerPreset({ ...RESNET_18, ...o, preset: name }, description, { pretrained });

// The paper's CIFAR settings.
preset('resnet-18', 'ResNet-18, CIFAR variant: 3x3 stem, no max-pool, basic blocks 2-2-2-2');
preset('resnet-50', 'ResNet-50, CIFAR variant: 3x3 stem, no max-pool, bottlenecks 3-4-6-3 (stride on the 3x3)', { block: 'bottleneck', stageBlocks: [3, 4, 6, 3] });
// timm's / torchvision's ImageNet ResNets (7x7 stride-2 stem + max-pool), for imported weights.
// pretrained_cfg: timm's default weights (resnet50.a1_in1k, resnet18.a1_in1k): ImageNet mean/std, bicubic, crop 0.95.
const timmResnetCfg = imagenetPretrainedCfg(224, { cropPct: 0.95 });
preset('resnet-50-224', "timm's resnet50: 224x224, 7x7 stride-2 stem + max-pool, bottlenecks 3-4-6-3", {
  imageSize: 224, stem: 'imagenet', block: 'bottleneck', stageBlocks: [3, 4, 6, 3],
}, timmResnetCfg);
preset('resnet-18-224', "timm's resnet18: 224x224, 7x7 stride-2 stem + max-pool, basic blocks 2-2-2-2", { imageSize: 224, stem: 'imagenet' }, timmResnetCfg);
// CPU-sized (defaults, notebooks, CI).
preset('resnet-20', 'ResNet-20 (He et al. 2016): 16-32-64 channels, 3 basic blocks per stage, option-A shortcut', {
  stemWidth: 16, widths: [16, 32, 64], stageBlocks: [3, 3, 3], shortcut: 'A',
});
