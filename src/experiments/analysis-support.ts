// What the analysis experiments (hessian, fourier, noise, variance, landscape) share: the typed settings every
// analysis takes (which models, data, seed, where to write, figure formats), protocol settings resolved and
// checked with clear messages, models from checkpoints or presets, the evaluation data, CSV/JSON outputs and
// figure export that never loses computed results.
import * as path from 'node:path';
import { existsSync, statSync } from 'node:fs';
import { tf } from '../backend/tf.ts';
import type { ImageBatches } from '../analysis/depth.ts';
import { resolveProtocol, type AnalysisProtocols, type ResolvedSettings, type SettingValue } from '../util/protocol.ts';
import { PAPER_AUGMENT } from '../data/augment.ts';
import { iterateBatches, toTensor } from '../data/batches.ts';
import { chooseImages, imageBatches, loadDataset, loadImageSet, type Dataset } from '../data/dataset.ts';
import { PREPROCESS_NAMES, resolvePreprocessing, type Preprocessing, type PreprocessName } from '../data/preprocess.ts';
import { pretrainedCfgOf } from '../models/registry.ts';
import { writeFileAtomic, writeJsonAtomic } from '../io/atomic.ts';
import { chooseRunDir } from '../io/run-dir.ts';
import { createModel, loadCheckpoint, resolveCheckpointDir, type Model } from '../models/index.ts';
import { exportFigures, type ExportFormat } from '../plots/export.ts';
import type { Figure } from '../plots/figure.ts';
import { RUN_OPTIONS } from '../train/run-options.ts';
import { ExpectedError } from '../util/errors.ts';
import { nearestNames, OptionError, type OptionSpec } from '../util/settings.ts';
import { FIGURE_FORMAT_OPTION, logOf, type RunOptions } from './run-options.ts';

/** Which models an analysis runs on: checkpoints (or run folders: their newest checkpoint) and fresh presets. */
export interface ModelSelection {
  checkpoints?: readonly string[];
  /** Freshly initialised presets (seeded by `seed`), analysed after the checkpoints. */
  presets?: readonly string[];
  /** Legend labels, one per model (checkpoints first, then presets); default: preset name + checkpoint tag. */
  labels?: readonly string[];
}

/** The settings every analysis experiment takes besides its protocol's (defaults: the CLI options' defaults). */
export interface AnalysisSettings extends ModelSelection {
  /** Dataset (default: data/, else the generated stand-in, with a warning): a CIFAR-format folder, an image folder, a list file or an image. */
  data?: string;
  /** The evaluation transform (default: 'cifar' for CIFAR-format data, 'timm-eval' for images). */
  preprocess?: PreprocessName;
  seed?: number;
  /** Outputs go to <results>/<run>/ (default results/ and a new `<analysis>-<UTC time>` folder). */
  results?: string;
  run?: string;
  formats?: readonly ExportFormat[];
}

/** The keys of AnalysisSettings, for the check of unknown settings. */
export const ANALYSIS_SETTING_KEYS: readonly string[] = ['checkpoints', 'presets', 'labels', 'data', 'preprocess', 'seed', 'results', 'run', 'formats'];

function defaultOf<T>(specs: readonly OptionSpec[], name: string): T {
  const spec = specs.find((s) => s.name === name);
  if (spec?.default === undefined) throw new Error(`internal: option '--${name}' has no default`);
  return spec.default as T;
}

/** The defaults of the shared settings, read from the option schemas that declare them (one place). */
export const ANALYSIS_DEFAULTS = {
  seed: defaultOf<number>(RUN_OPTIONS, 'seed'),
  results: defaultOf<string>(RUN_OPTIONS, 'results'),
  formats: defaultOf<ExportFormat[]>([FIGURE_FORMAT_OPTION], 'formats'),
} as const;

/** Options every analysis command has: which models, labels, figure formats (data, seed, run, results are shared). */
export const MODEL_OPTIONS: readonly OptionSpec[] = [
  {
    name: 'checkpoint',
    type: 'list',
    help: 'checkpoint directories (or run directories: their latest checkpoint), comma-separated; several models share one figure',
  },
  { name: 'preset', type: 'list', help: 'freshly initialised model presets (e.g. vit-cpu,resnet-20), analysed beside or instead of checkpoints' },
  { name: 'label', type: 'list', help: 'legend labels, one per model (checkpoints first, then presets); default: preset name + checkpoint tag' },
  FIGURE_FORMAT_OPTION,
  {
    name: 'preprocess',
    type: 'string',
    choices: [...PREPROCESS_NAMES],
    help: "evaluation transform: timm-eval (resize to size/crop_pct, centre crop, the checkpoint's interpolation and mean/std), authors-fourier (PIL bicubic resize to size x size, ImageNet mean/std), cifar (as stored, CIFAR mean/std); default cifar for CIFAR-format data, timm-eval for images",
  },
];

/** A protocol's settings as an experiment takes them: which protocol, and any setting given explicitly. */
export type ProtocolChoice<S, P extends string> = { protocol?: P } & { [K in keyof S]?: S[K] };

/** Refuses a settings key the experiment does not know, naming it and the nearest valid one. */
export function checkSettingKeys(where: string, settings: object, valid: readonly string[]): void {
  for (const [key, value] of Object.entries(settings)) {
    if (value === undefined || valid.includes(key)) continue;
    const near = nearestNames(key, valid).slice(0, 3);
    throw new OptionError(`${where}: unknown setting '${key}'${near.length ? ` (did you mean ${near.join(' or ')}?)` : ''}; expected one of ${valid.join(', ')}`);
  }
}

/** The settings keys of a protocol definition ('protocol' and every setting). */
export function protocolKeys<S extends { [K in keyof S]: SettingValue }, P extends string>(def: AnalysisProtocols<S, P>): string[] {
  return ['protocol', ...Object.keys(def.settings)];
}

/**
 * The protocol's values with the given settings overriding them (recorded in `overridden`), each checked: a
 * wrong type or an unknown protocol is an OptionError naming the option, the value and what is expected.
 */
export function resolveAnalysisProtocol<S extends { [K in keyof S]: SettingValue }, P extends string>(
  def: AnalysisProtocols<S, P>,
  given: ProtocolChoice<S, P>,
): ResolvedSettings<S, P> {
  const byOption: Record<string, unknown> = { protocol: given.protocol };
  for (const key of Object.keys(def.settings) as (keyof S & string)[]) {
    const value = given[key];
    if (value !== undefined) byOption[def.settings[key].option] = value;
  }
  try {
    return resolveProtocol(def, byOption);
  } catch (err) {
    throw new OptionError((err as Error).message);
  }
}

/** Bounds of a numeric setting: the message says what was found and what range is expected. */
export interface Bounds {
  min?: number;
  /** Strictly above min instead of at least min. */
  above?: boolean;
  max?: number;
  integer?: boolean;
}

/** Throws an OptionError when `value` (option `--option`) is outside `bounds`. */
export function checkBounds(where: string, option: string, value: number | readonly number[], bounds: Bounds): void {
  const values = typeof value === 'number' ? [value] : value;
  const expected = [
    bounds.integer ? 'an integer' : 'a number',
    bounds.min !== undefined ? `${bounds.above ? '>' : '>='} ${bounds.min}` : '',
    bounds.max !== undefined ? `${bounds.min !== undefined ? 'and ' : ''}<= ${bounds.max}` : '',
  ].filter((s) => s !== '').join(' ');
  for (const v of values) {
    const ok =
      Number.isFinite(v) && (!bounds.integer || Number.isInteger(v)) &&
      (bounds.min === undefined || (bounds.above ? v > bounds.min : v >= bounds.min)) && (bounds.max === undefined || v <= bounds.max);
    if (!ok) throw new OptionError(`${where}: option '--${option}' is ${JSON.stringify(v)}, expected ${expected}${typeof value === 'number' ? '' : ' for every entry'}`);
  }
}

/** Checks every bounded setting of a resolved protocol (bounds by setting key; the option name comes from the protocol). */
export function checkProtocolBounds<S extends { [K in keyof S]: SettingValue }, P extends string>(
  def: AnalysisProtocols<S, P>,
  settings: S,
  bounds: { readonly [K in keyof S]?: Bounds },
): void {
  for (const key of Object.keys(bounds) as (keyof S & string)[]) {
    const b = bounds[key];
    const v = settings[key] as SettingValue;
    if (b && (typeof v === 'number' || Array.isArray(v))) checkBounds(def.analysis, def.settings[key].option, v as number | readonly number[], b);
  }
}

/** Checks the shared settings: models, labels, seed, formats (option names as on the command line). */
export function checkAnalysisSettings(where: string, s: AnalysisSettings): void {
  const lists: [keyof ModelSelection, string][] = [['checkpoints', 'checkpoint'], ['presets', 'preset'], ['labels', 'label']];
  for (const [key, option] of lists) {
    const v = s[key];
    if (v !== undefined && (!Array.isArray(v) || !v.every((e) => typeof e === 'string')))
      throw new OptionError(`${where}: option '--${option}' is ${JSON.stringify(v)}, expected a list of strings`);
  }
  const checkpoints = s.checkpoints ?? [];
  const presets = s.presets ?? [];
  const labels = s.labels ?? [];
  if (checkpoints.length + presets.length === 0)
    throw new OptionError(`${where}: option '--checkpoint' (or '--preset') is missing: expected at least one checkpoint directory or model preset`);
  if (labels.length > 0 && labels.length !== checkpoints.length + presets.length)
    throw new OptionError(`${where}: option '--label' has ${labels.length} entries, expected one per model (${checkpoints.length + presets.length})`);
  if (s.seed !== undefined) checkBounds(where, 'seed', s.seed, { integer: true });
  for (const f of s.formats ?? [])
    if (!FIGURE_FORMAT_OPTION.choices!.includes(f)) throw new OptionError(`${where}: option '--formats' has '${f}', expected one of ${FIGURE_FORMAT_OPTION.choices!.join(', ')}`);
  for (const [key, v] of [['data', s.data], ['results', s.results], ['run', s.run]] as const)
    if (v !== undefined && typeof v !== 'string') throw new OptionError(`${where}: option '--${key}' is ${JSON.stringify(v)}, expected a path`);
  if (s.preprocess !== undefined && !(PREPROCESS_NAMES as readonly unknown[]).includes(s.preprocess))
    throw new OptionError(`${where}: option '--preprocess' is ${JSON.stringify(s.preprocess)}, expected one of ${PREPROCESS_NAMES.join(', ')}`);
}

export interface AnalysedModel {
  label: string;
  model: Model;
  /** Checkpoint directory, or 'preset:<name>' for a freshly initialised model. */
  source: string;
  /** modelFingerprint() when loaded: verifyModelsUnchanged() compares against it. */
  fingerprint?: ReadonlyMap<string, number>;
}

/** FNV-1a over the float32 bits of a tensor's values: equal iff bit-identical (up to a 2^-32 collision). */
function hashValues(values: ArrayLike<number>): number {
  const f = Float32Array.from(values);
  const bits = new Uint32Array(f.buffer);
  let h = 0x811c9dc5;
  for (let i = 0; i < bits.length; i++) h = Math.imul(h ^ bits[i]!, 0x01000193) >>> 0;
  return h;
}

/** A hash of every parameter ('param:<name>') and buffer ('buffer:<name>') of a model, bit for bit. */
export async function modelFingerprint(model: Pick<Model, 'params' | 'buffers'>): Promise<Map<string, number>> {
  const out = new Map<string, number>();
  for (const [name, v] of model.params) out.set(`param:${name}`, hashValues(await v.data()));
  for (const [name, v] of model.buffers) out.set(`buffer:${name}`, hashValues(await v.data()));
  return out;
}

/**
 * No analysis may change a model: throws, naming the model and the tensors, when any parameter or buffer
 * differs from its fingerprint at load time (models without one are skipped).
 */
export async function verifyModelsUnchanged(analysis: string, models: readonly AnalysedModel[]): Promise<void> {
  for (const m of models) {
    if (!m.fingerprint) continue;
    const now = await modelFingerprint(m.model);
    const changed = [...m.fingerprint].filter(([k, h]) => now.get(k) !== h).map(([k]) => k);
    if (changed.length > 0)
      throw new Error(`${analysis}: model '${m.label}' (${m.source}) changed during the analysis: ${changed.slice(0, 5).join(', ')}${changed.length > 5 ? `, … (${changed.length})` : ''} differ; no analysis may modify parameters or buffers`);
  }
}

/**
 * Loads every checkpoint and creates every preset (seeded by `seed`; with the dataset's class count when it is
 * labelled, else the preset's), with unique labels. Call checkAnalysisSettings first.
 */
export async function loadAnalysisModels(s: ModelSelection & { seed?: number }, opts: RunOptions, data: Dataset | number | undefined): Promise<AnalysedModel[]> {
  const numClasses = typeof data === 'number' ? data : (data?.classNames?.length ?? undefined);
  const log = logOf(opts);
  const checkpoints = (s.checkpoints ?? []).filter((c) => c !== '');
  const presets = (s.presets ?? []).filter((p) => p !== '');
  const labels = (s.labels ?? []).filter((l) => l !== '');
  if (checkpoints.length + presets.length === 0)
    throw new OptionError(`option '--checkpoint' (or '--preset') is missing: expected at least one checkpoint directory or model preset`);
  if (labels.length > 0 && labels.length !== checkpoints.length + presets.length)
    throw new OptionError(`option '--label' has ${labels.length} entries, expected one per model (${checkpoints.length + presets.length})`);
  for (const ckpt of checkpoints)
    if (!existsSync(ckpt) || !statSync(ckpt).isDirectory())
      throw new OptionError(`option '--checkpoint': '${ckpt}' is not a directory (expected a checkpoint directory or a run directory)`);
  const out: AnalysedModel[] = [];
  try {
    for (const ckpt of checkpoints) {
      const dir = resolveCheckpointDir(ckpt);
      log(`[vitscope] loading checkpoint ${dir}`);
      const { model } = await loadCheckpoint(dir);
      out.push({ label: `${model.config.preset} (${path.basename(dir)})`, model, source: path.resolve(dir) });
    }
    const seed = s.seed ?? ANALYSIS_DEFAULTS.seed;
    for (const preset of presets) out.push({ label: `${preset} (init)`, model: createModel(preset, { numClasses, seed }), source: `preset:${preset}` });
    for (const [i, m] of out.entries()) {
      if (labels[i]) m.label = labels[i]!;
      m.fingerprint = await modelFingerprint(m.model);
    }
  } catch (err) {
    disposeModels(out);
    throw err;
  }
  const seen = new Map<string, number>();
  for (const m of out) {
    const n = (seen.get(m.label) ?? 0) + 1;
    seen.set(m.label, n);
    if (n > 1) m.label = `${m.label} #${n}`;
  }
  return out;
}

/** Where the data of a run came from (recorded in each result JSON). */
export interface AnalysisDataInfo {
  source: string;
  dir: string;
  split: 'train' | 'test';
  images: number;
  /** The input transform the images were read with (--preprocess). */
  preprocess?: PreprocessName;
}

export interface AnalysisImages {
  x: tf.Tensor4D;
  /** Class indices; -1 where the data is unlabelled. */
  y: Int32Array;
  numClasses: number;
  source: string;
  count: number;
  dir: string;
  preprocess: PreprocessName;
}

/** Opens the data of an analysis (images are decoded only when used). */
export async function openAnalysisData(from: { data?: string }, opts: RunOptions): Promise<Dataset> {
  return loadDataset({ path: from.data, allowGenerated: true, log: logOf(opts) });
}

/** The transform for `model`: --preprocess (default: cifar for CIFAR-format data, timm-eval for images) with the model's pretrained config. */
export function analysisPreprocessing(from: { preprocess?: PreprocessName }, data: Dataset, model: Model): Preprocessing {
  const name = from.preprocess ?? (data.kind === 'cifar-100' || data.kind === 'generated' ? 'cifar' : 'timm-eval');
  return resolvePreprocessing(name, pretrainedCfgOf(model.config));
}

/** The one transform every model takes (an error when they need different ones: separate runs). */
export function commonPreprocessing(from: { preprocess?: PreprocessName }, data: Dataset, models: readonly AnalysedModel[]): Preprocessing {
  const all = models.map((m) => analysisPreprocessing(from, data, m.model));
  if (new Set(all.map((p) => p.key)).size > 1)
    throw new OptionError(`the models need different input transforms (${[...new Set(all.map((p) => `${p.size} px, mean ${p.mean.join('/')}`))].join('; ')}); analyse them in separate runs`);
  return all[0]!;
}

/**
 * An analysis that needs labels refuses unlabelled images, and image-folder classes that do not match a model's
 * outputs (a folder's class index is its sorted subfolder index, not the checkpoint's class index).
 */
export function requireLabels(data: Dataset, what: string, models: readonly AnalysedModel[] = []): void {
  if (!data.classNames)
    throw new ExpectedError(`${data.dir}: found unlabelled images; ${what} needs labels: expected class subfolders (ImageNet style class/*.JPEG) or CIFAR-format data`);
  if (data.kind === 'cifar-100' || data.kind === 'generated') return;
  for (const m of models)
    if (m.model.config.numClasses !== data.classNames.length)
      throw new ExpectedError(`${data.dir}: found ${data.classNames.length} class folders; ${what} needs one per output of model '${m.label}' (${m.model.config.numClasses} classes, in the checkpoint's class order)`);
}

/** The images the analyses run on: a seeded, class-balanced subset of a split, as normalised tensors. */
export async function loadAnalysisImages(
  from: { data?: string; seed?: number; preprocess?: PreprocessName },
  opts: RunOptions,
  split: 'train' | 'test',
  size: number,
  models: readonly AnalysedModel[],
  /** true or 'crop-flip': crop + flip; 'paper': crop + flip + RandAugment (data PAPER_AUGMENT). */
  augment: boolean | 'none' | 'crop-flip' | 'paper' = false,
  opened?: Dataset,
  needsLabels = true,
): Promise<AnalysisImages> {
  const data = opened ?? (await openAnalysisData(from, opts));
  if (needsLabels) requireLabels(data, 'this analysis', models);
  const p = commonPreprocessing(from, data, models);
  const source = data.split(split);
  const n = Math.min(size, source.count);
  const seed = from.seed ?? ANALYSIS_DEFAULTS.seed;
  const indices = chooseImages(source, n, seed);
  const set = await loadImageSet(source, p, indices);
  let x: tf.Tensor4D;
  let labels: Int32Array;
  if (augment === false || augment === 'none') {
    const t = toTensor(set, undefined, 'fine', p);
    x = t.x;
    labels = set.fineLabels.slice();
    t.y.dispose();
  } else {
    // One augmented copy (seeded) of the subset, in subset order.
    const aug = augment === 'paper' ? PAPER_AUGMENT : true;
    const batches = [...iterateBatches(set, { batchSize: 256, shuffle: false, seed, epoch: 0, augment: aug, normalization: p })];
    x = tf.concat(batches.map((b) => b.x)) as tf.Tensor4D;
    const parts: number[] = [];
    for (const b of batches) parts.push(...(await b.y.data()));
    labels = Int32Array.from(parts);
    for (const b of batches) tf.dispose([b.x, b.y]);
  }
  return { x, y: labels, numClasses: data.classNames?.length ?? 0, source: data.kind, count: n, dir: data.dir, preprocess: p.name };
}

/** The image size all models share (an error when they differ). */
export function commonImageSize(models: readonly AnalysedModel[]): number {
  const sizes = new Set(models.map((m) => m.model.config.imageSize));
  if (sizes.size !== 1) throw new OptionError(`models expect different image sizes (${[...sizes].join(', ')}); analyse them in separate runs`);
  return [...sizes][0]!;
}

/** The run folder of an analysis: <results>/<run>/ (rewritten if it exists), or a new `<name>-<UTC time>` folder. */
export async function analysisRunDir(s: Pick<AnalysisSettings, 'results' | 'run'>, name: string): Promise<string> {
  const chosen = await chooseRunDir({ results: s.results ?? ANALYSIS_DEFAULTS.results, run: s.run, prefix: name, reuse: false, overwrite: true });
  return chosen.dir;
}

function csvCell(v: unknown): string {
  const s = typeof v === 'number' ? (Number.isFinite(v) ? String(v) : '') : String(v ?? '');
  return /[",\n]/.test(s) ? `"${s.replace(/"/g, '""')}"` : s;
}

export async function writeCsv(file: string, header: readonly string[], rows: readonly (readonly unknown[])[]): Promise<void> {
  const lines = [header.map(csvCell).join(','), ...rows.map((r) => r.map(csvCell).join(','))];
  await writeFileAtomic(file, lines.join('\n') + '\n');
}

export { writeJsonAtomic };

/** Builds and exports figures; a failure is logged, never fatal (the numbers are already written). */
export async function exportAnalysisFigures(build: () => Figure[], runDir: string, formats: readonly ExportFormat[] | undefined, opts: RunOptions): Promise<string[]> {
  const log = logOf(opts);
  try {
    const written = await exportFigures(build(), runDir, { formats: [...(formats ?? ANALYSIS_DEFAULTS.formats)], warn: log });
    for (const f of written) log(`[vitscope] wrote ${f}`);
    return written;
  } catch (err) {
    log(`[vitscope] figures not written: ${(err as Error).message}`);
    return [];
  }
}

/** Seconds since `start` (ms), rounded to 0.1 s. */
export function secondsSince(start: number): number {
  return Math.round((Date.now() - start) / 100) / 10;
}

export function disposeModels(models: readonly AnalysedModel[]): void {
  for (const m of models) m.model.dispose();
}

/** One model's result of a block-by-block analysis (fourier, variance). */
export interface BlockAnalysisResult<B> {
  label: string;
  source: string;
  preset: string;
  seconds: number;
  /** The input transform of this model's images (name, size, resize, interpolation, mean, std). */
  preprocessing?: Omit<Preprocessing, 'key'>;
  blocks: B[];
}

/** The images a block-by-block analysis ran on (data info plus the seed of the subset). */
export interface BlockAnalysisData extends AnalysisDataInfo {
  seed: number;
  preprocess?: PreprocessName;
}

/** Normalised image batches decoded one batch at a time; each tensor is released when the next is asked for. */
async function* streamedBatches(source: ReturnType<Dataset['split']>, p: Preprocessing, batchSize: number, indices: Int32Array | undefined): AsyncGenerator<tf.Tensor4D> {
  for await (const b of imageBatches(source, p, batchSize, indices)) {
    try {
      yield b.x;
    } finally {
      b.x.dispose();
    }
  }
}

/**
 * The loop the block-by-block analyses share: load the models and a class-balanced image subset, run
 * `analyse` on each model over batches of the images (decoded batch by batch with that model's transform, so an
 * image folder is never held in memory), log `summarise(blocks)`, check that no model changed, and always
 * release the models.
 */
export async function runBlockAnalysis<B>(
  name: string,
  settings: AnalysisSettings,
  opts: RunOptions,
  sample: { images: number; batchSize: number; split: 'test' | 'train' },
  analyse: (model: Model, batches: ImageBatches, signal: AbortSignal | undefined) => Promise<B[]>,
  summarise: (blocks: readonly B[]) => string,
): Promise<{ models: BlockAnalysisResult<B>[]; data: BlockAnalysisData }> {
  const log = logOf(opts);
  const dataset = await openAnalysisData(settings, opts);
  const models = await loadAnalysisModels(settings, opts, dataset);
  try {
    const source = dataset.split(sample.split);
    if (dataset.singleSplit) log(`[${name}] ${dataset.dir}: ${source.count} images (${dataset.kind}; --split does not apply)`);
    const seed = settings.seed ?? ANALYSIS_DEFAULTS.seed;
    const count = Math.min(sample.images, source.count);
    const indices = chooseImages(source, count, seed);
    const results: BlockAnalysisResult<B>[] = [];
    const names = new Set<PreprocessName>();
    for (const m of models) {
      const t0 = Date.now();
      const p = analysisPreprocessing(settings, dataset, m.model);
      names.add(p.name);
      log(`[${name}] ${m.label}: ${count} images, --preprocess ${p.name} (${p.size} px, mean ${p.mean.join('/')}, std ${p.std.join('/')})`);
      const blocks = await analyse(m.model, streamedBatches(source, p, sample.batchSize, indices), opts.signal);
      const { key: _key, ...preprocessing } = p;
      results.push({ label: m.label, source: m.source, preset: m.model.config.preset, seconds: secondsSince(t0), preprocessing, blocks });
      log(`[${name}] ${m.label} (${secondsSince(t0)} s): ${summarise(blocks)}`);
    }
    await verifyModelsUnchanged(name, models);
    const data: BlockAnalysisData = { source: dataset.kind, dir: dataset.dir, split: sample.split, images: count, seed, ...(names.size === 1 ? { preprocess: [...names][0]! } : {}) };
    return { models: results, data };
  } finally {
    disposeModels(models);
  }
}
