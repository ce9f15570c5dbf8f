// createModel: a preset name or a configuration in, an initialised Model out (built by its registered family).
import type { Model, ModelConfig } from './model.ts';
import './families.ts';
import { getFamily, getPreset, validateConfig } from './registry.ts';
import { withoutInitialisation } from './base.ts';

export interface CreateOptions {
  /** Overrides the configuration's numClasses (default: the config's, 100 for presets). */
  numClasses?: number;
  /** Initialisation seed (default 0): the same seed gives bit-identical parameters. */
  seed?: number;
  /** false: every parameter and buffer starts at zero, not sampled (the caller assigns them all next, e.g. an import). */
  initialise?: boolean;
}

/** The configuration createModel would build, validated (preset name or configuration). */
export function resolveConfig(presetOrConfig: string | ModelConfig, opts: CreateOptions = {}): ModelConfig {
  const base: ModelConfig =
    typeof presetOrConfig === 'string' ? getPreset(presetOrConfig) : (JSON.parse(JSON.stringify(presetOrConfig)) as ModelConfig);
  if (opts.numClasses !== undefined) base.numClasses = opts.numClasses;
  delete (base as { description?: string }).description;
  return validateConfig(base);
}

export function createModel(presetOrConfig: string | ModelConfig, opts: CreateOptions = {}): Model {
  const config = resolveConfig(presetOrConfig, opts);
  const build = (): Model => getFamily(config.family).build(config, opts.seed ?? 0);
  return opts.initialise === false ? withoutInitialisation(build) : build();
}
