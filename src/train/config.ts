// The training configuration: one flat record whose fields are the `train` command's options (kebab-case on
// the command line and in configs/*.json, camelCase here). Defaults are the paper's CIFAR-100 recipe
// (configs/cifar100_vit.yaml of the authors' repository) except the weight-decay exclusion, which follows the
// common practice; configs/<preset>.json state every value explicitly.
import { camelCase, completeSettings, type OptionSpec, type OptionValues } from '../util/settings.ts';
import { listPresets, nearestName } from '../models/index.ts';
import type { ParamRole } from '../models/model.ts';
import type { ScheduleName } from './schedule.ts';
import { RUN_OPTIONS } from './run-options.ts';
import { checkRoles, DEFAULT_NO_DECAY_ROLES, PARAM_ROLES } from './weight-decay.ts';
import { ConfigError } from '../util/errors.ts';

export interface TrainConfig {
  model: string;
  /** Stochastic depth rate passed to the model config (dropPathRate); undefined: the preset's (0.1). */
  dropPath?: number;
  labels: 'fine' | 'coarse';
  /** Dataset directory (loadCifar's dir); undefined: its default. */
  data?: string;
  download: boolean;
  trainSize?: number;
  trainFraction?: number;
  testSize?: number;
  epochs: number;
  /** Cap on batches per epoch (0: the whole training set). */
  stepsPerEpoch: number;
  batchSize: number;
  evalBatchSize: number;
  dropLast: boolean;
  optimizer: 'adamw' | 'sgd';
  lr: number;
  weightDecay: number;
  noDecayRoles: ParamRole[];
  momentum: number;
  nesterov: boolean;
  beta1: number;
  beta2: number;
  eps: number;
  schedule: ScheduleName;
  warmupEpochs: number;
  warmupStartLr: number;
  minLr: number;
  milestones: number[];
  gamma: number;
  clipNorm: number;
  augment: boolean;
  crop: boolean;
  flip: boolean;
  randAugmentOps: number;
  randAugmentMagnitude: number;
  randAugmentStd: number;
  mixup: number;
  cutmix: number;
  mixProb: number;
  mixSwitchProb: number;
  labelSmoothing: number;
  seed: number;
  run?: string;
  results: string;
  checkpointAt: string[];
  keepLast: number;
  resume: boolean;
  /** Replace an existing run of the same name (refused otherwise unless resuming). */
  overwrite: boolean;
  backend?: string;
}

/** The `train` command's options; `datasize` and `all` reuse them. */
export const TRAIN_OPTIONS: readonly OptionSpec[] = [
  // Not a `choices` list: the test presets (8x8 images) stay usable from tests without being offered here.
  { name: 'model', type: 'string', help: `model preset: ${listPresets().join(', ')}` },
  { name: 'drop-path', type: 'number', help: "stochastic depth rate (default: the preset's)" },
  { name: 'labels', type: 'string', default: 'fine', choices: ['fine', 'coarse'], help: 'CIFAR-100 labels: 100 fine or 20 coarse classes' },
  { name: 'download', type: 'boolean', default: true, help: 'download CIFAR-100 when it is missing (--no-download: use the generated stand-in instead)' },
  { name: 'train-size', type: 'integer', help: 'train on a class-balanced subset of this many images' },
  { name: 'train-fraction', type: 'number', help: 'train on a class-balanced subset of this share of the training set' },
  { name: 'test-size', type: 'integer', help: 'evaluate on a class-balanced subset of this many test images' },
  { name: 'epochs', type: 'integer', default: 300, help: 'training epochs' },
  { name: 'steps-per-epoch', type: 'integer', default: 0, help: 'cap on batches per epoch (0: the whole set)' },
  { name: 'batch-size', type: 'integer', default: 96, help: 'training batch size' },
  { name: 'eval-batch-size', type: 'integer', default: 250, help: 'evaluation batch size' },
  { name: 'drop-last', type: 'boolean', default: true, help: 'drop the last incomplete training batch' },
  { name: 'optimizer', type: 'string', default: 'adamw', choices: ['adamw', 'sgd'], help: 'optimiser' },
  { name: 'lr', type: 'number', default: 1.25e-4, help: 'base learning rate' },
  { name: 'weight-decay', type: 'number', default: 0.05, help: 'weight decay (decoupled for AdamW, L2 for SGD)' },
  { name: 'no-decay-roles', type: 'list', default: [...DEFAULT_NO_DECAY_ROLES], choices: PARAM_ROLES, help: "parameter roles exempt from weight decay ('' = decay all, as the paper)" },
  { name: 'momentum', type: 'number', default: 0.9, help: 'SGD momentum' },
  { name: 'nesterov', type: 'boolean', default: false, help: 'SGD Nesterov momentum' },
  { name: 'beta1', type: 'number', default: 0.9, help: 'AdamW beta1' },
  { name: 'beta2', type: 'number', default: 0.999, help: 'AdamW beta2' },
  { name: 'eps', type: 'number', default: 1e-8, help: 'AdamW epsilon' },
  { name: 'schedule', type: 'string', default: 'cosine', choices: ['cosine', 'step', 'constant'], help: 'learning-rate schedule (per iteration)' },
  { name: 'warmup-epochs', type: 'number', default: 5, help: 'linear warm-up length in epochs (may be fractional)' },
  { name: 'warmup-start-lr', type: 'number', default: 0, help: 'learning rate at the start of warm-up' },
  { name: 'min-lr', type: 'number', default: 0, help: 'cosine: final learning rate' },
  { name: 'milestones', type: 'list', default: [], help: 'step schedule: epochs at which the rate is multiplied by --gamma' },
  { name: 'gamma', type: 'number', default: 0.2, help: 'step schedule: factor at each milestone' },
  { name: 'clip-norm', type: 'number', default: 5, help: 'clip the global gradient norm to this (0: off)' },
  { name: 'augment', type: 'boolean', default: true, help: 'training augmentation (crop, flip, RandAugment); --no-augment turns all off' },
  { name: 'crop', type: 'boolean', default: true, help: '4-pixel padded random crop' },
  { name: 'flip', type: 'boolean', default: true, help: 'random horizontal flip' },
  { name: 'rand-augment-ops', type: 'integer', default: 2, help: 'RandAugment operations per image (0: off)' },
  { name: 'rand-augment-magnitude', type: 'number', default: 9, help: 'RandAugment magnitude (0..10)' },
  { name: 'rand-augment-std', type: 'number', default: 1, help: 'RandAugment magnitude standard deviation' },
  { name: 'mixup', type: 'number', default: 1.0, help: 'mixup alpha (0: off)' },
  { name: 'cutmix', type: 'number', default: 0.8, help: 'CutMix alpha (0: off)' },
  { name: 'mix-prob', type: 'number', default: 1.0, help: 'probability that a batch is mixed' },
  { name: 'mix-switch-prob', type: 'number', default: 0.5, help: 'probability of CutMix instead of mixup when both are on' },
  { name: 'label-smoothing', type: 'number', default: 0.1, help: 'label smoothing' },
  { name: 'checkpoint-at', type: 'list', default: ['warmup'], help: "extra tagged checkpoints: 'warmup' (end of warm-up), a step number N (tag step-N), 'epoch:N'" },
  { name: 'keep-last', type: 'integer', default: 3, help: 'epoch-N checkpoints kept (tagged ones are always kept)' },
  { name: 'resume', type: 'boolean', default: false, help: 'continue the run from its latest complete checkpoint (without --run: the newest run of the model)' },
  { name: 'overwrite', type: 'boolean', default: false, help: 'replace the existing run named by --run (its checkpoints and metrics are deleted); without it an existing run is refused' },
];

/** A TrainConfig field as the user writes it: `warmupEpochs` → `--warmup-epochs` (also the config-file key). */
export function optionName(field: string): string {
  return '--' + field.replace(/[A-Z]/g, (c) => '-' + c.toLowerCase());
}

/** Refuses a value (exit status 2), naming the option, what was found and what would be valid. */
function fail(field: string, found: unknown, expected: string): never {
  throw new ConfigError('train config', optionName(field), JSON.stringify(found) ?? String(found), expected);
}

/** Checks ranges and combinations that option types cannot express. */
export function validateTrainConfig(c: TrainConfig): TrainConfig {
  if (!c.model) fail('model', c.model, 'a preset name (give --model or --config configs/<preset>.json)');
  if (!listPresets().includes(c.model)) {
    const near = nearestName(c.model, listPresets());
    fail('model', c.model, `${near ? `'${near}' (the nearest preset) or ` : ''}one of ${listPresets().join(', ')}`);
  }
  const posInt = (f: keyof TrainConfig): void => {
    const v = c[f];
    if (typeof v !== 'number' || !Number.isInteger(v) || v < 1) fail(f, v, 'a positive integer');
  };
  const nonNeg = (f: keyof TrainConfig): void => {
    const v = c[f];
    if (typeof v !== 'number' || !(v >= 0)) fail(f, v, 'a number >= 0');
  };
  const unit = (f: keyof TrainConfig): void => {
    const v = c[f];
    if (typeof v !== 'number' || !(v >= 0 && v <= 1)) fail(f, v, 'a number in [0, 1]');
  };
  for (const f of ['epochs', 'batchSize', 'evalBatchSize'] as const) posInt(f);
  for (const f of ['lr', 'weightDecay', 'momentum', 'warmupEpochs', 'warmupStartLr', 'minLr', 'gamma', 'clipNorm', 'mixup', 'cutmix', 'randAugmentOps', 'randAugmentMagnitude', 'randAugmentStd', 'stepsPerEpoch', 'keepLast'] as const) nonNeg(f);
  for (const f of ['mixProb', 'mixSwitchProb', 'beta1', 'beta2'] as const) unit(f);
  if (!(c.labelSmoothing >= 0 && c.labelSmoothing < 1)) fail('labelSmoothing', c.labelSmoothing, 'a number in [0, 1)');
  if (c.dropPath !== undefined && !(c.dropPath >= 0 && c.dropPath < 1)) fail('dropPath', c.dropPath, 'a number in [0, 1)');
  if (c.trainSize !== undefined && c.trainFraction !== undefined) fail('trainFraction', c.trainFraction, 'not both trainSize and trainFraction');
  if (c.trainFraction !== undefined && !(c.trainFraction > 0 && c.trainFraction <= 1)) fail('trainFraction', c.trainFraction, 'a number in (0, 1]');
  if (c.trainSize !== undefined) posInt('trainSize');
  if (c.testSize !== undefined) posInt('testSize');
  // a warm-up longer than the run is shortened by fitWarmupToRun, not refused
  if (c.resume && c.overwrite) fail('overwrite', c.overwrite, 'not together with --resume (continue the run, or replace it, not both)');
  if (c.milestones.some((m) => !(m > 0))) fail('milestones', c.milestones, 'positive epoch numbers');
  try {
    checkRoles(c.noDecayRoles, 'train config: noDecayRoles');
  } catch {
    fail('noDecayRoles', c.noDecayRoles, `some of ${PARAM_ROLES.join(', ')}`);
  }
  for (const tag of c.checkpointAt)
    if (tag !== 'warmup' && !/^\d+$/.test(tag) && !/^epoch:\d+$/.test(tag)) fail('checkpointAt', tag, "'warmup', a step number or 'epoch:N'");
  for (const tag of c.checkpointAt) {
    const epoch = /^epoch:(\d+)$/.exec(tag);
    if (epoch && !(Number(epoch[1]) >= 1 && Number(epoch[1]) <= c.epochs)) fail('checkpointAt', tag, `'epoch:N' with N in 1..${c.epochs} (the run's epochs)`);
    if (/^\d+$/.test(tag) && Number(tag) < 1) fail('checkpointAt', tag, 'a step number >= 1');
  }
  return c;
}

/** The warm-up a run of `epochs` epochs uses when the one asked for is longer than the run: a tenth of the run. */
export function shortWarmupEpochs(epochs: number): number {
  return epochs / 10;
}

/**
 * A warm-up longer than the run (the paper's 5 epochs with `--epochs 1`) is shortened to a tenth of the run,
 * so that the learning rate still peaks and decays; `note` says so once, with the value used (null if unchanged).
 */
export function fitWarmupToRun(c: TrainConfig): { config: TrainConfig; note: string | null } {
  if (!(c.warmupEpochs > c.epochs)) return { config: c, note: null };
  const used = shortWarmupEpochs(c.epochs);
  const plural = (n: number): string => `${n} epoch${n === 1 ? '' : 's'}`;
  return {
    config: { ...c, warmupEpochs: used },
    note: `[train] note: the warm-up (--warmup-epochs ${c.warmupEpochs}) is longer than the run (${plural(c.epochs)}); using --warmup-epochs ${used} (a tenth of the run)`,
  };
}

const CONFIG_KEYS = new Set([...TRAIN_OPTIONS, ...RUN_OPTIONS].map((o) => o.name));

/** Option values (kebab-case, as the CLI resolves them) → a validated TrainConfig; options that are not training fields are ignored. */
export function trainConfigFromOptions(opts: OptionValues): TrainConfig {
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(opts)) {
    if (v === undefined || !CONFIG_KEYS.has(k)) continue;
    out[camelCase(k)] = v;
  }
  out.milestones = ((out.milestones as string[] | undefined) ?? []).map((s) => {
    const n = Number(s);
    if (!Number.isFinite(n)) fail('milestones', s, 'numbers');
    return n;
  });
  out.noDecayRoles = (out.noDecayRoles as string[] | undefined) ?? [...DEFAULT_NO_DECAY_ROLES];
  out.checkpointAt = (out.checkpointAt as string[] | undefined) ?? [];
  out.overwrite = out.overwrite === true;
  out.resume = out.resume === true;
  return validateTrainConfig(out as unknown as TrainConfig);
}

/** A complete TrainConfig from a partial one (camelCase or kebab-case keys): defaults filled, values checked. */
export function resolveTrainConfig(partial: Partial<TrainConfig> | OptionValues): TrainConfig {
  const asOptions: OptionValues = {};
  for (const [k, v] of Object.entries(partial)) {
    if (v === undefined) continue;
    asOptions[k] = Array.isArray(v) ? v.map(String) : (v as string | number | boolean);
  }
  return trainConfigFromOptions(completeSettings('train config', [...TRAIN_OPTIONS, ...RUN_OPTIONS], asOptions));
}
