// Architecture configurations of the four families and the named presets (one registry, like timm's).
import type { ModelConfig } from './model.ts';

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

export interface ResNetConfig extends ModelConfig {
  family: 'resnet';
  block: 'basic' | 'bottleneck';
  stemWidth: number;
  /** Planes per stage (a bottleneck stage outputs 4x planes). The first stage has stride 1, later ones 2. */
  widths: number[];
  stageBlocks: number[];
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
  dropPathRate: number;
}

export interface AlterNetConfig extends ModelConfig {
  family: 'alternet';
  /** Pre-activation Conv blocks (BN-ReLU-conv), as the authors' AlterNet. */
  block: 'basic' | 'bottleneck';
  stemWidth: number;
  widths: number[];
  stageBlocks: number[];
  /** 0-based indices, per stage, of the blocks that are MSA blocks instead of Conv blocks. */
  msaBlocks: number[][];
  heads: number[];
  headDim: number;
  windowSize: number;
  dropPathRate: number;
}

export type AnyModelConfig = ViTConfig | SwinConfig | ResNetConfig | AlterNetConfig;

/** A preset: a configuration (numClasses 100, replaced by createModel's option) and a description. */
export type Preset = AnyModelConfig & { description: string };

const vit = (preset: string, description: string, o: Partial<ViTConfig>): Preset => ({
  family: 'vit',
  preset,
  description,
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
  ...o,
}) as Preset;

const swin = (preset: string, description: string, o: Partial<SwinConfig>): Preset => ({
  family: 'swin',
  preset,
  description,
  numClasses: 100,
  imageSize: 32,
  patchSize: 1,
  windowSize: 4,
  dim: 96,
  depths: [2, 2, 6, 2],
  heads: [3, 6, 12, 24],
  mlpRatio: 4,
  qkvBias: true,
  dropPathRate: 0.1,
  dropRate: 0,
  ...o,
}) as Preset;

const resnet = (preset: string, description: string, o: Partial<ResNetConfig>): Preset => ({
  family: 'resnet',
  preset,
  description,
  numClasses: 100,
  imageSize: 32,
  block: 'basic',
  stemWidth: 64,
  widths: [64, 128, 256, 512],
  stageBlocks: [2, 2, 2, 2],
  shortcut: 'B',
  dropPathRate: 0.1,
  ...o,
}) as Preset;

const alternet = (preset: string, description: string, o: Partial<AlterNetConfig>): Preset => ({
  family: 'alternet',
  preset,
  description,
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
  ...o,
}) as Preset;

const PRESETS: Preset[] = [
  // The paper's CIFAR settings.
  vit('vit-ti', "ViT-Ti for CIFAR (paper): patch 2, dim 192, depth 12, 3 heads, no qkv bias, class token", {}),
  vit('vit-ti-gap', 'ViT-Ti with global average pooling instead of the class token (paper, Hessian study)', { pool: 'gap' }),
  swin('swin-ti', 'Swin-Ti for CIFAR (paper): patch 1, window 4, dim 96, depths 2-2-6-2, heads 3-6-12-24', {}),
  resnet('resnet-18', 'ResNet-18, CIFAR variant: 3x3 stem, no max-pool, basic blocks 2-2-2-2', {}),
  resnet('resnet-50', 'ResNet-50, CIFAR variant: 3x3 stem, no max-pool, bottlenecks 3-4-6-3 (stride on the 3x3)', {
    block: 'bottleneck',
    stageBlocks: [3, 4, 6, 3],
  }),
  alternet('alternet-50', 'Alter-ResNet-50 (paper): pre-activation bottlenecks 3-4-6-4, MSA at ends of stages 2-3 and blocks 2, 4 of stage 4', {}),
  // timm's ImageNet ViTs (224x224, patch 16, qkv bias; the class count comes from the imported head), for imported weights and the
  // paper's ImageNet Fourier/noise analyses (npm run experiment import -- --arch vit-ti-16-224).
  vit('vit-ti-16-224', "timm's vit_tiny_patch16_224: 224x224, patch 16, dim 192, depth 12, 3 heads, qkv bias", {
    imageSize: 224, patchSize: 16, qkvBias: true,
  }),
  vit('vit-s-16-224', "timm's vit_small_patch16_224: 224x224, patch 16, dim 384, depth 12, 6 heads, qkv bias", {
    imageSize: 224, patchSize: 16, dim: 384, heads: 6, qkvBias: true,
  }),
  vit('vit-b-16-224', "timm's vit_base_patch16_224: 224x224, patch 16, dim 768, depth 12, 12 heads, qkv bias", {
    imageSize: 224, patchSize: 16, dim: 768, heads: 12, qkvBias: true,
  }),
  // timm's / torchvision's ImageNet ResNets (7x7 stride-2 stem + max-pool), for imported weights.
  resnet('resnet-50-224', "timm's resnet50: 224x224, 7x7 stride-2 stem + max-pool, bottlenecks 3-4-6-3", {
    imageSize: 224, stem: 'imagenet', block: 'bottleneck', stageBlocks: [3, 4, 6, 3],
  }),
  resnet('resnet-18-224', "timm's resnet18: 224x224, 7x7 stride-2 stem + max-pool, basic blocks 2-2-2-2", {
    imageSize: 224, stem: 'imagenet',
  }),
  // CPU-sized presets (defaults, notebooks, CI).
  vit('vit-cpu', 'CPU ViT: patch 4, dim 192, depth 6, 3 heads, MLP ratio 4, class token', { patchSize: 4, depth: 6 }),
  swin('swin-cpu', 'CPU Swin: patch 2, window 4, dim 64, depths 2-2-2, heads 2-4-8', {
    patchSize: 2,
    dim: 64,
    depths: [2, 2, 2],
    heads: [2, 4, 8],
  }),
  resnet('resnet-20', 'ResNet-20 (He et al. 2016): 16-32-64 channels, 3 basic blocks per stage, option-A shortcut', {
    stemWidth: 16,
    widths: [16, 32, 64],
    stageBlocks: [3, 3, 3],
    shortcut: 'A',
  }),
  alternet('alternet-20', 'CPU AlterNet: pre-activation ResNet-20 whose last blocks of stages 2 and 3 are MSA blocks', {
    block: 'basic',
    stemWidth: 16,
    widths: [16, 32, 64],
    stageBlocks: [3, 3, 3],
    msaBlocks: [[], [2], [2]],
    heads: [1, 2, 4],
    headDim: 16,
    windowSize: 4,
  }),
  // Tiny configurations for fast tests.
  vit('vit-tiny-test', 'test only: 8x8 images, patch 2, dim 8, depth 2, 2 heads', {
    imageSize: 8, patchSize: 2, dim: 8, depth: 2, heads: 2, mlpRatio: 2, dropPathRate: 0,
  }),
  vit('vit-gap-tiny-test', 'test only: vit-tiny-test with global average pooling', {
    imageSize: 8, patchSize: 2, dim: 8, depth: 2, heads: 2, mlpRatio: 2, dropPathRate: 0, pool: 'gap',
  }),
  swin('swin-tiny-test', 'test only: 8x8 images, patch 1, window 2, dim 8, depths 2-2, heads 1-2', {
    imageSize: 8, patchSize: 1, windowSize: 2, dim: 8, depths: [2, 2], heads: [1, 2], mlpRatio: 2, dropPathRate: 0,
  }),
  resnet('resnet-tiny-test', 'test only: 8x8 images, basic blocks, widths 4-8, option-B shortcut', {
    imageSize: 8, stemWidth: 4, widths: [4, 8], stageBlocks: [1, 1], shortcut: 'B', dropPathRate: 0,
  }),
  resnet('resnet-a-tiny-test', 'test only: 8x8 images, basic blocks, widths 4-8, option-A shortcut', {
    imageSize: 8, stemWidth: 4, widths: [4, 8], stageBlocks: [1, 2], shortcut: 'A', dropPathRate: 0,
  }),
  resnet('resnet-bottleneck-tiny-test', 'test only: 8x8 images, bottlenecks, widths 2-4', {
    imageSize: 8, block: 'bottleneck', stemWidth: 4, widths: [2, 4], stageBlocks: [1, 1], shortcut: 'B', dropPathRate: 0,
  }),
  alternet('alternet-tiny-test', 'test only: 8x8 images, pre-activation basic blocks 4-8, MSA last in stage 2', {
    imageSize: 8, block: 'basic', stemWidth: 4, widths: [4, 8], stageBlocks: [1, 2], msaBlocks: [[], [1]],
    heads: [1, 2], headDim: 2, windowSize: 2, dropPathRate: 0,
  }),
  alternet('alternet-bottleneck-tiny-test', 'test only: 8x8 images, pre-activation bottlenecks 2-4, MSA last in stage 2', {
    imageSize: 8, block: 'bottleneck', stemWidth: 4, widths: [2, 4], stageBlocks: [1, 2], msaBlocks: [[], [1]],
    heads: [1, 2], headDim: 2, windowSize: 2, dropPathRate: 0,
  }),
];

const BY_NAME = new Map(PRESETS.map((p) => [p.preset, p]));

/** Every preset name, paper settings first, then CPU-sized, then tests. */
export function listPresets(opts: { includeTests?: boolean } = {}): string[] {
  return PRESETS.filter((p) => opts.includeTests === true || !p.preset.endsWith('-test')).map((p) => p.preset);
}

/** A copy of a preset's configuration (numClasses 100 unless given). */
export function getPreset(name: string, numClasses = 100): AnyModelConfig & { description: string } {
  const p = BY_NAME.get(name);
  if (!p) throw new Error(`unknown model preset '${name}', expected one of ${[...BY_NAME.keys()].join(', ')}`);
  return JSON.parse(JSON.stringify({ ...p, numClasses })) as AnyModelConfig & { description: string };
}

function fail(cfg: { preset?: unknown }, field: string, found: unknown, expected: string): never {
  throw new Error(`model config '${String(cfg.preset)}': field '${field}' is ${JSON.stringify(found)}, expected ${expected}`);
}

function posInt(cfg: Record<string, unknown>, field: string): void {
  const v = cfg[field];
  if (typeof v !== 'number' || !Number.isInteger(v) || v <= 0) fail(cfg, field, v, 'a positive integer');
}

function posIntList(cfg: Record<string, unknown>, field: string, length?: number): void {
  const v = cfg[field];
  if (!Array.isArray(v) || v.length === 0 || v.some((e) => typeof e !== 'number' || !Number.isInteger(e) || e <= 0))
    fail(cfg, field, v, 'a non-empty list of positive integers');
  if (length !== undefined && (v as number[]).length !== length) fail(cfg, field, v, `a list of ${length} entries`);
}

function rate(cfg: Record<string, unknown>, field: string): void {
  const v = cfg[field];
  if (typeof v !== 'number' || !(v >= 0 && v < 1)) fail(cfg, field, v, 'a number in [0, 1)');
}

/** Checks a configuration and returns it typed; errors name the field, what was found and what was expected. */
export function validateConfig(config: ModelConfig): AnyModelConfig {
  const c = config as unknown as Record<string, unknown>;
  posInt(c, 'numClasses');
  posInt(c, 'imageSize');
  const size = c.imageSize as number;
  switch (config.family) {
    case 'vit': {
      for (const f of ['patchSize', 'dim', 'depth', 'heads']) posInt(c, f);
      if (size % (c.patchSize as number) !== 0) fail(c, 'patchSize', c.patchSize, `a divisor of imageSize ${size}`);
      if ((c.dim as number) % (c.heads as number) !== 0) fail(c, 'heads', c.heads, `a divisor of dim ${String(c.dim)}`);
      if (typeof c.mlpRatio !== 'number' || !(c.mlpRatio > 0)) fail(c, 'mlpRatio', c.mlpRatio, 'a positive number');
      if (!Number.isInteger((c.dim as number) * c.mlpRatio)) fail(c, 'mlpRatio', c.mlpRatio, 'a ratio giving an integer hidden size');
      if (typeof c.qkvBias !== 'boolean') fail(c, 'qkvBias', c.qkvBias, 'a boolean');
      if (c.pool !== 'cls' && c.pool !== 'gap') fail(c, 'pool', c.pool, "'cls' or 'gap'");
      rate(c, 'dropPathRate');
      rate(c, 'dropRate');
      break;
    }
    case 'swin': {
      for (const f of ['patchSize', 'windowSize', 'dim']) posInt(c, f);
      posIntList(c, 'depths');
      const stages = (c.depths as number[]).length;
      posIntList(c, 'heads', stages);
      if (size % (c.patchSize as number) !== 0) fail(c, 'patchSize', c.patchSize, `a divisor of imageSize ${size}`);
      let res = size / (c.patchSize as number);
      for (let s = 0; s < stages; s++) {
        if (s > 0) {
          if (res % 2 !== 0) fail(c, 'depths', c.depths, `at most as many stages as the ${size / (c.patchSize as number)} token map can be halved`);
          res /= 2;
        }
        const ws = Math.min(c.windowSize as number, res);
        if (res % ws !== 0) fail(c, 'windowSize', c.windowSize, `a divisor of the stage-${s + 1} map size ${res}`);
        const d = (c.dim as number) * 2 ** s;
        if (d % (c.heads as number[])[s]! !== 0) fail(c, 'heads', c.heads, `divisors of the stage dims (stage ${s + 1}: ${d})`);
      }
      if (typeof c.mlpRatio !== 'number' || !(c.mlpRatio > 0)) fail(c, 'mlpRatio', c.mlpRatio, 'a positive number');
      if (typeof c.qkvBias !== 'boolean') fail(c, 'qkvBias', c.qkvBias, 'a boolean');
      rate(c, 'dropPathRate');
      rate(c, 'dropRate');
      break;
    }
    case 'resnet':
    case 'alternet': {
      if (c.block !== 'basic' && c.block !== 'bottleneck') fail(c, 'block', c.block, "'basic' or 'bottleneck'");
      posInt(c, 'stemWidth');
      posIntList(c, 'widths');
      const stages = (c.widths as number[]).length;
      posIntList(c, 'stageBlocks', stages);
      if (size % 2 ** (stages - 1) !== 0) fail(c, 'imageSize', size, `a multiple of ${2 ** (stages - 1)} for ${stages} stages`);
      rate(c, 'dropPathRate');
      if (config.family === 'resnet') {
        if (c.shortcut !== 'A' && c.shortcut !== 'B') fail(c, 'shortcut', c.shortcut, "'A' or 'B'");
        if (c.shortcut === 'A' && c.block === 'bottleneck') fail(c, 'shortcut', c.shortcut, "'B' for bottleneck blocks");
        if (c.stem !== undefined && c.stem !== 'cifar' && c.stem !== 'imagenet') fail(c, 'stem', c.stem, "'cifar' or 'imagenet'");
        if (c.stem === 'imagenet' && size % 2 ** (stages + 1) !== 0)
          fail(c, 'imageSize', size, `a multiple of ${2 ** (stages + 1)} for the ImageNet stem and ${stages} stages`);
      } else {
        const msa = c.msaBlocks;
        if (!Array.isArray(msa) || msa.length !== stages) fail(c, 'msaBlocks', msa, `a list of ${stages} index lists`);
        (msa as unknown[]).forEach((l, s) => {
          if (!Array.isArray(l) || l.some((i) => !Number.isInteger(i) || i < 0 || i >= (c.stageBlocks as number[])[s]!))
            fail(c, `msaBlocks[${s}]`, l, `block indices in [0, ${(c.stageBlocks as number[])[s]})`);
          if ((l as number[]).includes(0) && s > 0) fail(c, `msaBlocks[${s}]`, l, 'no MSA at block 0 of a downsampling stage');
        });
        posIntList(c, 'heads', stages);
        posInt(c, 'headDim');
        posInt(c, 'windowSize');
        for (let s = 0; s < stages; s++) {
          const res = size / 2 ** s;
          if ((msa as number[][])[s]!.length > 0 && res % Math.min(c.windowSize as number, res) !== 0)
            fail(c, 'windowSize', c.windowSize, `a divisor of the stage-${s + 1} map size ${res}`);
        }
      }
      break;
    }
    default:
      fail(c, 'family', config.family, "'vit', 'swin', 'resnet' or 'alternet'");
  }
  return config as AnyModelConfig;
}
