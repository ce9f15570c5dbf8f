// createModel: a preset name or a configuration in, an initialised Model out.
import type { Model, ModelConfig } from './model.ts';
import { getPreset, validateConfig, type AnyModelConfig } from './configs.ts';
import { VisionTransformer } from './vit.ts';
import { ResNet } from './resnet.ts';
import { SwinTransformer } from './swin.ts';
import { AlterNet } from './alternet.ts';

export interface CreateOptions {
  /** Overrides the configuration's numClasses (default: the config's, 100 for presets). */
  numClasses?: number;
  /** Initialisation seed (default 0): the same seed gives bit-identical parameters. */
  seed?: number;
}

/** The configuration createModel would build, validated (preset name or configuration). */
export function resolveConfig(presetOrConfig: string | ModelConfig, opts: CreateOptions = {}): AnyModelConfig {
  const base: ModelConfig =
    typeof presetOrConfig === 'string' ? getPreset(presetOrConfig) : (JSON.parse(JSON.stringify(presetOrConfig)) as ModelConfig);
  if (opts.numClasses !== undefined) base.numClasses = opts.numClasses;
  delete (base as { description?: string }).description;
  return validateConfig(base);
}

export function createModel(presetOrConfig: string | ModelConfig, opts: CreateOptions = {}): Model {
  const config = resolveConfig(presetOrConfig, opts);
  const seed = opts.seed ?? 0;
  switch (config.family) {
    case 'vit':
      return new VisionTransformer(config, seed);
    case 'resnet':
      return new ResNet(config, seed);
    case 'swin':
      return new SwinTransformer(config, seed);
    case 'alternet':
      return new AlterNet(config, seed);
  }
}
