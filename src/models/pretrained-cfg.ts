// The preprocessing a model's weights expect, as timm's `pretrained_cfg` records it: input size, mean/std,
// interpolation and crop fraction. Every preset owns one (registerPreset's `pretrained`, else its family's
// default, else CIFAR-100's statistics at the preset's size); an imported checkpoint carries its own in
// config.pretrainedCfg, which wins. Data pipelines read it through `pretrainedCfgOf(model.config)`.
import { CIFAR100_MEAN, CIFAR100_STD } from '../data/types.ts';
import { fail } from './config-checks.ts';
import type { ModelConfig, PretrainedCfg } from './model.ts';

export type { PretrainedCfg } from './model.ts';
export type Interpolation = PretrainedCfg['interpolation'];
export const INTERPOLATIONS: readonly Interpolation[] = ['bicubic', 'bilinear', 'nearest'];

/** timm's IMAGENET_DEFAULT_MEAN / _STD. */
export const IMAGENET_MEAN: [number, number, number] = [0.485, 0.456, 0.406];
export const IMAGENET_STD: [number, number, number] = [0.229, 0.224, 0.225];
/** timm's IMAGENET_INCEPTION_MEAN / _STD (0.5), e.g. Mixer's and timm's ViT's in1k weights. */
export const INCEPTION_MEAN: [number, number, number] = [0.5, 0.5, 0.5];
export const INCEPTION_STD: [number, number, number] = [0.5, 0.5, 0.5];

/** The CIFAR-100 training statistics (src/data) at a size: what vitscope's CIFAR presets are trained with. */
export function cifarPretrainedCfg(inputSize: number): PretrainedCfg {
  return { inputSize, mean: [...CIFAR100_MEAN], std: [...CIFAR100_STD], interpolation: 'bicubic', cropPct: 1 };
}

/** timm's ImageNet evaluation defaults (crop 0.875, bicubic) with the given statistics and size. */
export function imagenetPretrainedCfg(
  inputSize = 224,
  o: Partial<Omit<PretrainedCfg, 'inputSize'>> = {},
): PretrainedCfg {
  return { inputSize, mean: [...IMAGENET_MEAN], std: [...IMAGENET_STD], interpolation: 'bicubic', cropPct: 0.875, ...o };
}

function triple(where: ModelConfig, field: string, v: unknown, positive: boolean): [number, number, number] {
  if (!Array.isArray(v) || v.length !== 3 || v.some((x) => typeof x !== 'number' || !Number.isFinite(x) || (positive && !(x > 0))))
    fail(where, field, v, `three ${positive ? 'positive ' : ''}finite numbers (R, G, B)`);
  return v as [number, number, number];
}

/** Checks a pretrained configuration (e.g. config.pretrainedCfg of a checkpoint); errors name the preset and field. */
export function checkPretrainedCfg(config: ModelConfig, value: unknown, field = 'pretrainedCfg'): PretrainedCfg {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) fail(config, field, value, 'an object { inputSize, mean, std, interpolation, cropPct }');
  const v = value as Record<string, unknown>;
  const known = ['inputSize', 'mean', 'std', 'interpolation', 'cropPct'];
  for (const k of Object.keys(v)) if (!known.includes(k)) fail(config, `${field}.${k}`, v[k], `no such field (fields: ${known.join(', ')})`);
  if (typeof v.inputSize !== 'number' || !Number.isInteger(v.inputSize) || v.inputSize <= 0) fail(config, `${field}.inputSize`, v.inputSize, 'a positive integer');
  triple(config, `${field}.mean`, v.mean, false);
  triple(config, `${field}.std`, v.std, true);
  if (typeof v.interpolation !== 'string' || !(INTERPOLATIONS as readonly string[]).includes(v.interpolation))
    fail(config, `${field}.interpolation`, v.interpolation, INTERPOLATIONS.map((i) => `'${i}'`).join(' or '));
  if (typeof v.cropPct !== 'number' || !(v.cropPct > 0 && v.cropPct <= 1)) fail(config, `${field}.cropPct`, v.cropPct, 'a number in (0, 1]');
  return v as unknown as PretrainedCfg;
}
