// The model-family registry, in the spirit of timm's: each family file registers, under its `family` name,
// how to check, cost and build a configuration, and its named presets. Lookups see what is registered so
// far; `src/models/index.ts` (through families.ts) registers the built-in families before anything else.
import type { Model, ModelConfig } from './model.ts';
import { fail, positiveInt } from './config-checks.ts';

export interface Complexity {
  params: number;
  /** Multiply-accumulates per image (forward). */
  macs: number;
}

/** How figures show a family (src/plots/style.ts reads it). */
export interface FamilyDisplay {
  /** #rrggbb, the paper's colour where it has one. */
  color: string;
  /** Recognises a free-text label (a preset or run name such as 'vit-cpu', 'ViT-Ti'; matched lower-cased) as this family. */
  matches: RegExp;
}

export interface ModelFamily<C extends ModelConfig = ModelConfig> {
  /** The configurations' `family` value. */
  readonly name: string;
  readonly display: FamilyDisplay;
  /** Checks every field of a configuration of this family and returns it typed (errors: see config-checks.ts). */
  validate(config: ModelConfig): C;
  /** Parameters and multiply-accumulates per image, in closed form from the configuration. */
  complexity(config: C): Complexity;
  /** An initialised model; the same seed gives bit-identical parameters. */
  build(config: C, seed: number): Model;
}

/** A preset's configuration (numClasses 100 unless asked otherwise) and its one-line description. */
export type Preset = ModelConfig & { description: string };

const FAMILIES = new Map<string, ModelFamily>();
const PRESETS = new Map<string, Preset>();

const NAME = /^[a-z][a-z0-9]*(-[a-z0-9]+)*$/;
const COLOR = /^#[0-9a-f]{6}$/i;

function expectedOneOf(names: Iterable<string>): string {
  const list = [...names];
  return list.length === 0 ? 'nothing registered yet' : `one of ${list.join(', ')}`;
}

/** Adds a family; its name must be new, lower-case words joined by '-'. */
export function registerFamily<C extends ModelConfig>(family: ModelFamily<C>): void {
  if (!NAME.test(family.name)) throw new Error(`registerFamily: name ${JSON.stringify(family.name)}, expected lower-case letters and digits in words joined by '-'`);
  if (FAMILIES.has(family.name)) throw new Error(`registerFamily: model family '${family.name}' is already registered; expected a new name`);
  if (!COLOR.test(family.display.color))
    throw new Error(`registerFamily: family '${family.name}' display.color is ${JSON.stringify(family.display.color)}, expected #rrggbb`);
  FAMILIES.set(family.name, family);
}

/** Adds a named preset (its name is config.preset) of a registered family; the configuration is checked now. */
export function registerPreset(config: ModelConfig, description: string): void {
  const name = config.preset;
  if (typeof name !== 'string' || !NAME.test(name))
    throw new Error(`registerPreset: preset name ${JSON.stringify(name)}, expected lower-case letters and digits in words joined by '-'`);
  const existing = PRESETS.get(name);
  if (existing) throw new Error(`registerPreset: model preset '${name}' is already registered (family ${existing.family}); expected a new name`);
  if (!FAMILIES.has(config.family))
    throw new Error(`registerPreset: preset '${name}' has family '${config.family}', which is not registered; expected ${expectedOneOf(FAMILIES.keys())} (register the family first)`);
  if (typeof description !== 'string' || description === '') throw new Error(`registerPreset: preset '${name}' has no description; expected a one-line description`);
  const copy = JSON.parse(JSON.stringify(config)) as ModelConfig;
  PRESETS.set(name, { ...validateConfig(copy), description });
}

/** A registered family by name. */
export function getFamily(name: string): ModelFamily {
  const f = FAMILIES.get(name);
  if (!f) throw new Error(`unknown model family '${name}', expected ${expectedOneOf(FAMILIES.keys())}`);
  return f;
}

/** Every registered family, in registration order. */
export function listFamilies(): ModelFamily[] {
  return [...FAMILIES.values()];
}

/** Every registered preset name in registration order, or only those of one family. */
export function listPresets(opts: { family?: string } = {}): string[] {
  if (opts.family !== undefined) getFamily(opts.family);
  return [...PRESETS.values()].filter((p) => opts.family === undefined || p.family === opts.family).map((p) => p.preset);
}

/** A copy of a preset's configuration and description (numClasses 100 unless given). */
export function getPreset(name: string, numClasses = 100): Preset {
  const p = PRESETS.get(name);
  if (!p) throw new Error(`unknown model preset '${name}', expected ${expectedOneOf(PRESETS.keys())}`);
  return JSON.parse(JSON.stringify({ ...p, numClasses })) as Preset;
}

/** Checks a configuration with its family's rules; errors name the preset, the field, what was found and what was expected. */
export function validateConfig(config: ModelConfig): ModelConfig {
  const family = FAMILIES.get(config.family);
  if (!family)
    fail(config, 'family', config.family, expectedOneOf([...FAMILIES.keys()].map((n) => `'${n}'`)));
  positiveInt(config, 'numClasses');
  positiveInt(config, 'imageSize');
  return family.validate(config);
}

