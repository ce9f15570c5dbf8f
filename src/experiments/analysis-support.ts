// What the analysis experiments (hessian, fourier, noise, variance, landscape) share: models from checkpoints
// or presets, the evaluation data, CSV/JSON outputs and figure export that never loses computed results.
// (Moved from src/analysis/run-support.ts: it reads run settings and writes figures, so it sits above analysis and plots.)
import * as path from 'node:path';
import { existsSync, statSync } from 'node:fs';
import { tf } from '../backend/tf.ts';
import { sliceBatches } from '../analysis/depth.ts';
import { PAPER_AUGMENT } from '../data/augment.ts';
import { iterateBatches, toTensor } from '../data/batches.ts';
import { loadCifar } from '../data/load.ts';
import { selectImages, subsetIndices } from '../data/subset.ts';
import { writeFileAtomic, writeJsonAtomic } from '../io/atomic.ts';
import { loadCheckpoint, resolveCheckpointDir } from '../models/checkpoint.ts';
import { createModel } from '../models/create.ts';
import type { Model } from '../models/model.ts';
import { exportFigures } from '../plots/export.ts';
import type { Figure } from '../plots/figure.ts';
import { OptionError, type OptionSpec, type OptionValues } from '../util/settings.ts';
import { ExpectedError } from '../util/errors.ts';
import type { ProgressFactory } from '../util/progress.ts';

/** Where an analysis reports (the CLI's command context has this shape; a notebook passes its own). */
export interface AnalysisContext {
  log(message: string): void;
  signal: AbortSignal;
  progress?: ProgressFactory;
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
export function modelFingerprint(model: Pick<Model, 'params' | 'buffers'>): Map<string, number> {
  const out = new Map<string, number>();
  for (const [name, v] of model.params) out.set(`param:${name}`, hashValues(v.dataSync()));
  for (const [name, v] of model.buffers) out.set(`buffer:${name}`, hashValues(v.dataSync()));
  return out;
}

/**
 * No analysis may change a model: throws, naming the model and the tensors, when any parameter or buffer
 * differs from its fingerprint at load time (models without one are skipped).
 */
export function verifyModelsUnchanged(analysis: string, models: readonly AnalysedModel[]): void {
  for (const m of models) {
    if (!m.fingerprint) continue;
    const now = modelFingerprint(m.model);
    const changed = [...m.fingerprint].filter(([k, h]) => now.get(k) !== h).map(([k]) => k);
    if (changed.length > 0)
      throw new Error(`${analysis}: model '${m.label}' (${m.source}) changed during the analysis: ${changed.slice(0, 5).join(', ')}${changed.length > 5 ? `, … (${changed.length})` : ''} differ; no analysis may modify parameters or buffers`);
  }
}

/** Options every analysis command has: which models, labels, figure formats. */
export const MODEL_OPTIONS: readonly OptionSpec[] = [
  {
    name: 'checkpoint',
    type: 'list',
    help: 'checkpoint directories (or run directories: their latest checkpoint), comma-separated; several models share one figure',
  },
  { name: 'preset', type: 'list', help: 'freshly initialised model presets (e.g. vit-cpu,resnet-20), analysed beside or instead of checkpoints' },
  { name: 'label', type: 'list', help: 'legend labels, one per model (checkpoints first, then presets); default: preset name + checkpoint tag' },
  { name: 'formats', type: 'list', default: ['html'], choices: ['html', 'svg', 'png'], help: 'figure formats (html, svg, png); svg/png need Chromium' },
];

function listOpt(opts: OptionValues, name: string): string[] {
  const v = opts[name];
  if (v === undefined) return [];
  if (!Array.isArray(v)) throw new OptionError(`option '--${name}' should be a list, got ${JSON.stringify(v)}`);
  return v.filter((s) => s !== '');
}

/** Loads every `--checkpoint` and creates every `--preset` (seeded by `--seed`), with unique labels. */
export async function loadAnalysisModels(opts: OptionValues, ctx: AnalysisContext, numClasses: number): Promise<AnalysedModel[]> {
  const checkpoints = listOpt(opts, 'checkpoint');
  const presets = listOpt(opts, 'preset');
  const labels = listOpt(opts, 'label');
  if (checkpoints.length + presets.length === 0)
    throw new OptionError(`option '--checkpoint' (or '--preset') is missing: expected at least one checkpoint directory or model preset`);
  if (labels.length > 0 && labels.length !== checkpoints.length + presets.length)
    throw new OptionError(`option '--label' has ${labels.length} entries, expected one per model (${checkpoints.length + presets.length})`);
  const out: AnalysedModel[] = [];
  for (const ckpt of checkpoints) {
    if (!existsSync(ckpt) || !statSync(ckpt).isDirectory())
      throw new OptionError(`option '--checkpoint': '${ckpt}' is not a directory (expected a checkpoint directory or a run directory)`);
    const dir = resolveCheckpointDir(ckpt);
    ctx.log(`[vitscope] loading checkpoint ${dir}`);
    const { model } = await loadCheckpoint(dir);
    out.push({ label: `${model.config.preset} (${path.basename(dir)})`, model, source: path.resolve(dir) });
  }
  const seed = typeof opts.seed === 'number' ? opts.seed : 0;
  for (const preset of presets) {
    out.push({ label: `${preset} (init)`, model: createModel(preset, { numClasses, seed }), source: `preset:${preset}` });
  }
  out.forEach((m, i) => {
    if (labels[i]) m.label = labels[i]!;
    m.fingerprint = modelFingerprint(m.model);
  });
  const seen = new Map<string, number>();
  for (const m of out) {
    const n = (seen.get(m.label) ?? 0) + 1;
    seen.set(m.label, n);
    if (n > 1) m.label = `${m.label} #${n}`;
  }
  return out;
}

/** The images the analyses run on: a seeded, class-balanced subset of a split, as normalised tensors. */
export async function loadAnalysisImages(
  opts: OptionValues,
  ctx: AnalysisContext,
  split: 'train' | 'test',
  size: number,
  imageSize: number,
  /** true or 'crop-flip': crop + flip; 'paper': crop + flip + RandAugment (data PAPER_AUGMENT). */
  augment: boolean | 'none' | 'crop-flip' | 'paper' = false,
): Promise<{ x: tf.Tensor4D; y: Int32Array; numClasses: number; source: string; count: number; dir: string }> {
  const cifar = await loadCifar({ dir: typeof opts.data === 'string' ? opts.data : undefined, allowGenerated: true, log: (m: string) => ctx.log(m) });
  const set = cifar[split];
  if (set.height !== imageSize || set.width !== imageSize)
    throw new ExpectedError(`${cifar.dir}: images are ${set.height} x ${set.width}, but the model expects ${imageSize} x ${imageSize}`);
  const n = Math.min(size, set.count);
  const seed = typeof opts.seed === 'number' ? opts.seed : 0;
  const indices = n === set.count ? undefined : subsetIndices(set, { size: n, seed });
  let x: tf.Tensor4D;
  let labels: Int32Array;
  if (augment === false || augment === 'none') {
    const t = toTensor(set, indices);
    x = t.x;
    labels = Int32Array.from(t.y.dataSync());
    t.y.dispose();
  } else {
    // One augmented copy (seeded) of the subset, in subset order.
    const chosen = indices ? selectImages(set, indices) : set;
    const aug = augment === 'paper' ? PAPER_AUGMENT : true;
    const batches = [...iterateBatches(chosen, { batchSize: 256, shuffle: false, seed, epoch: 0, augment: aug })];
    x = tf.concat(batches.map((b) => b.x)) as tf.Tensor4D;
    labels = Int32Array.from(batches.flatMap((b) => Array.from(b.y.dataSync())));
    for (const b of batches) tf.dispose([b.x, b.y]);
  }
  return { x, y: labels, numClasses: cifar.fineLabelNames.length, source: cifar.source, count: n, dir: cifar.dir };
}

/** The image size all models share (an error when they differ). */
export function commonImageSize(models: readonly AnalysedModel[]): number {
  const sizes = new Set(models.map((m) => m.model.config.imageSize));
  if (sizes.size !== 1) throw new OptionError(`models expect different image sizes (${[...sizes].join(', ')}); analyse them in separate runs`);
  return [...sizes][0]!;
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
export async function exportAnalysisFigures(build: () => Figure[], runDir: string, opts: OptionValues, ctx: AnalysisContext): Promise<string[]> {
  try {
    const formats = listOpt(opts, 'formats') as ('html' | 'svg' | 'png')[];
    const written = await exportFigures(build(), runDir, { formats: formats.length ? formats : undefined, warn: (m: string) => ctx.log(m) });
    for (const f of written) ctx.log(`[vitscope] wrote ${f}`);
    return written;
  } catch (err) {
    ctx.log(`[vitscope] figures not written: ${(err as Error).message}`);
    return [];
  }
}

/** Seconds since `start` (ms), rounded to 0.1 s. */
export function secondsSince(start: number): number {
  return Math.round((Date.now() - start) / 100) / 10;
}

export function numberOpt(opts: OptionValues, name: string, fallback: number): number {
  const v = opts[name];
  if (v === undefined) return fallback;
  if (typeof v !== 'number' || !Number.isFinite(v)) throw new OptionError(`option '--${name}' should be a number, got ${JSON.stringify(v)}`);
  return v;
}

export function numberListOpt(opts: OptionValues, name: string, fallback: readonly number[]): number[] {
  const v = listOpt(opts, name);
  if (v.length === 0) return [...fallback];
  return v.map((s) => {
    const n = Number(s);
    if (s.trim() === '' || !Number.isFinite(n)) throw new OptionError(`option '--${name}': '${s}' is not a number`);
    return n;
  });
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
  blocks: B[];
}

/**
 * The loop the block-by-block commands share: load the models and a class-balanced image subset, run
 * `analyse` on each model over batches of the images, log `summarise(blocks)`, and always release the
 * models and images. `write` gets the results while the run directory and data description are known.
 */
export async function runBlockAnalysis<B>(
  name: string,
  opts: OptionValues,
  ctx: AnalysisContext,
  sample: { images: number; batchSize: number; split: 'test' | 'train' },
  analyse: (model: Model, batches: Iterable<tf.Tensor4D>, signal: AbortSignal) => Promise<B[]>,
  summarise: (blocks: readonly B[]) => string,
  write: (results: BlockAnalysisResult<B>[], data: { source: string; dir: string; split: unknown; images: number; seed: unknown }, start: number) => Promise<void>,
): Promise<void> {
  const start = Date.now();
  const models = await loadAnalysisModels(opts, ctx, 100);
  try {
    const imageSize = commonImageSize(models);
    const data = await loadAnalysisImages(opts, ctx, sample.split, sample.images, imageSize);
    const batchSize = sample.batchSize;
    const results: BlockAnalysisResult<B>[] = [];
    try {
      for (const m of models) {
        const t0 = Date.now();
        ctx.log(`[${name}] ${m.label}: ${data.count} images`);
        const blocks = await analyse(m.model, sliceBatches(data.x, batchSize), ctx.signal);
        results.push({ label: m.label, source: m.source, preset: m.model.config.preset, seconds: secondsSince(t0), blocks });
        ctx.log(`[${name}] ${m.label} (${secondsSince(t0)} s): ${summarise(blocks)}`);
      }
    } finally {
      data.x.dispose();
    }
    verifyModelsUnchanged(name, models);
    await write(results, { source: data.source, dir: data.dir, split: sample.split, images: data.count, seed: opts.seed }, start);
  } finally {
    disposeModels(models);
  }
}
