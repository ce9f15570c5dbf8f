// The model-family registry, in the spirit of timm's: each family file registers, under its `family` name,
// how to check, cost and build a configuration, and its named presets. Lookups see what is registered so
// far; `src/models/index.ts` (through families.ts) registers the built-in families before anything else.
import type { Model, ModelConfig } from './model.ts';
import type { CheckpointSource, RefusedCheckpoint } from './checkpoint-source.ts';
import { fail, ModelConfigError, positiveInt } from './config-checks.ts';
import { checkPretrainedCfg, cifarPretrainedCfg, type PretrainedCfg } from './pretrained-cfg.ts';

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
  /** Checkpoint layouts it imports from (timm's, the authors'), first match wins; see checkpoint-source.ts. */
  readonly checkpoints?: readonly CheckpointSource<C>[];
  /** Checkpoint layouts of this family recognised by their keys and refused, with the reason. */
  readonly refusedCheckpoints?: readonly RefusedCheckpoint[];
  /** The preprocessing of a configuration that is not a registered preset's (default: CIFAR-100 statistics at its imageSize). */
  pretrainedCfg?(config: C): PretrainedCfg;
}

/** A preset's configuration (numClasses 100 unless asked otherwise) and its one-line description. */
export type Preset = ModelConfig & { description: string };

const FAMILIES = new Map<string, ModelFamily>();
const PRESETS = new Map<string, Preset>();
const PRESET_CFGS = new Map<string, PretrainedCfg>();

const NAME = /^[a-z][a-z0-9]*(-[a-z0-9]+)*$/;
const COLOR = /^#[0-9a-f]{6}$/i;

function expectedOneOf(names: Iterable<string>): string {
  const list = [...names];
  return list.length === 0 ? 'nothing registered yet' : `one of ${list.join(', ')}`;
}

/** Edit distance (insertions, deletions, substitutions, adjacent swaps), for "did you mean". */
function editDistance(a: string, b: string): number {
  const d = Array.from({ length: a.length + 1 }, (_, i) => Array.from({ length: b.length + 1 }, (_, j) => (i === 0 ? j : j === 0 ? i : 0)));
  for (let i = 1; i <= a.length; i++)
    for (let j = 1; j <= b.length; j++) {
      const cost = a[i - 1] === b[j - 1] ? 0 : 1;
      let v = Math.min(d[i - 1]![j]! + 1, d[i]![j - 1]! + 1, d[i - 1]![j - 1]! + cost);
      if (i > 1 && j > 1 && a[i - 1] === b[j - 2] && a[i - 2] === b[j - 1]) v = Math.min(v, d[i - 2]![j - 2]! + 1);
      d[i]![j] = v;
    }
  return d[a.length]![b.length]!;
}

/** The registered name closest to `name` (a typo, or a longer/shorter variant), or null when none is close. */
export function nearestName(name: string, names: Iterable<string>): string | null {
  let best: { n: string; score: number } | null = null;
  for (const n of names) {
    const dist = editDistance(name, n);
    // sharing all but the last of three or more words ('pit-ti-384' vs 'pit-ti-224') counts as close too
    const words = name.split('-');
    const prefix = words.length > 2 && n.startsWith(words.slice(0, -1).join('-') + '-') ? 1 : 0;
    // every word of the name in the preset, in order ('vit-ti-224' in 'vit-ti-16-224', 'mixer-b16' in 'mixer-b16-224')
    const theirs = n.split('-');
    let at = 0;
    for (const w of theirs) if (at < words.length && w === words[at]) at++;
    const contained = words.length > 1 && at === words.length ? 1 : 0;
    const score = dist - 2 * prefix - 3 * contained;
    if (dist <= Math.max(2, Math.floor(name.length / 3)) || prefix || contained) if (!best || score < best.score) best = { n, score };
  }
  return best?.n ?? null;
}

function unknownName(what: string, name: string, names: string[]): ModelConfigError {
  const near = nearestName(name, names);
  return new ModelConfigError(`unknown ${what} '${name}'${near ? ` (did you mean '${near}'?)` : ''}, expected ${expectedOneOf(names)}`);
}

/** Adds a family; its name must be new, lower-case words joined by '-'. */
export function registerFamily<C extends ModelConfig>(family: ModelFamily<C>): void {
  if (!NAME.test(family.name)) throw new Error(`registerFamily: name ${JSON.stringify(family.name)}, expected lower-case letters and digits in words joined by '-'`);
  if (FAMILIES.has(family.name)) throw new Error(`registerFamily: model family '${family.name}' is already registered; expected a new name`);
  if (!COLOR.test(family.display.color))
    throw new Error(`registerFamily: family '${family.name}' display.color is ${JSON.stringify(family.display.color)}, expected #rrggbb`);
  const ids = new Set(checkpointSources().map((s) => s.source.id));
  for (const s of family.checkpoints ?? []) {
    if (ids.has(s.id)) throw new Error(`registerFamily: family '${family.name}' checkpoint source id '${s.id}' is already registered; expected a new id`);
    ids.add(s.id);
  }
  FAMILIES.set(family.name, family as unknown as ModelFamily);
}

/**
 * Adds a named preset (its name is config.preset) of a registered family; the configuration is checked now.
 * `pretrained`: the preprocessing its weights expect (timm's pretrained_cfg); default: the family's, else
 * CIFAR-100 statistics at the preset's imageSize.
 */
export function registerPreset(config: ModelConfig, description: string, opts: { pretrained?: PretrainedCfg } = {}): void {
  const name = config.preset;
  if (typeof name !== 'string' || !NAME.test(name))
    throw new Error(`registerPreset: preset name ${JSON.stringify(name)}, expected lower-case letters and digits in words joined by '-'`);
  const existing = PRESETS.get(name);
  if (existing) throw new Error(`registerPreset: model preset '${name}' is already registered (family ${existing.family}); expected a new name`);
  if (!FAMILIES.has(config.family))
    throw new Error(`registerPreset: preset '${name}' has family '${config.family}', which is not registered; expected ${expectedOneOf(FAMILIES.keys())} (register the family first)`);
  if (typeof description !== 'string' || description === '') throw new Error(`registerPreset: preset '${name}' has no description; expected a one-line description`);
  const copy = JSON.parse(JSON.stringify(config)) as ModelConfig;
  const checked = validateConfig(copy);
  if (opts.pretrained) {
    const cfg = checkPretrainedCfg(checked, JSON.parse(JSON.stringify(opts.pretrained)), 'pretrained');
    if (cfg.inputSize !== checked.imageSize) fail(checked, 'pretrained.inputSize', cfg.inputSize, `the preset's imageSize ${checked.imageSize}`);
    PRESET_CFGS.set(name, cfg);
  }
  PRESETS.set(name, { ...checked, description });
}

/** A registered family by name. */
export function getFamily(name: string): ModelFamily {
  const f = FAMILIES.get(name);
  if (!f) throw unknownName('model family', name, [...FAMILIES.keys()]);
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
  if (!p) throw unknownName('model preset', name, [...PRESETS.keys()]);
  return JSON.parse(JSON.stringify({ ...p, numClasses })) as Preset;
}

/** Checks a configuration with its family's rules; errors name the preset, the field, what was found and what was expected. */
export function validateConfig(config: ModelConfig): ModelConfig {
  const family = FAMILIES.get(config.family);
  if (!family)
    fail(config, 'family', config.family, expectedOneOf([...FAMILIES.keys()].map((n) => `'${n}'`)));
  positiveInt(config, 'numClasses');
  positiveInt(config, 'imageSize');
  if (config.pretrainedCfg !== undefined) {
    const cfg = checkPretrainedCfg(config, config.pretrainedCfg);
    if (cfg.inputSize !== config.imageSize) fail(config, 'pretrainedCfg.inputSize', cfg.inputSize, `the imageSize ${config.imageSize}`);
  }
  return family.validate(config);
}

/** Every registered checkpoint source with its family, in registration order. */
export function checkpointSources(): { family: ModelFamily; source: CheckpointSource }[] {
  return [...FAMILIES.values()].flatMap((family) => (family.checkpoints ?? []).map((source) => ({ family, source })));
}

/**
 * The preprocessing a configuration's weights expect: its own `pretrainedCfg` (an imported checkpoint's), else its
 * preset's (when config.preset is a registered preset of the same family and size), else its family's default,
 * else CIFAR-100's statistics at its imageSize. A copy.
 */
export function pretrainedCfgOf(config: ModelConfig): PretrainedCfg {
  const copy = (c: PretrainedCfg): PretrainedCfg => JSON.parse(JSON.stringify(c)) as PretrainedCfg;
  if (config.pretrainedCfg !== undefined) return copy(checkPretrainedCfg(config, config.pretrainedCfg));
  const preset = PRESETS.get(config.preset);
  const own = PRESET_CFGS.get(config.preset);
  if (preset && own && preset.family === config.family && own.inputSize === config.imageSize) return copy(own);
  const family = FAMILIES.get(config.family);
  return copy(family?.pretrainedCfg?.(config) ?? cifarPretrainedCfg(config.imageSize));
}

