// The Hessian experiment (Park & Kim 2022, Fig. 1c, 4): the max-eigenvalue spectrum (top-k eigenvalues by magnitude
// of each of many mini-batches, pooled; NEP and APE) and the spectrum of the Hessian averaged over batches
// (top/bottom eigenvalues by Lanczos, spectral density by SLQ, trace by Hutchinson), each with its spread over
// disjoint data subsets; optionally the cost of a Hessian-vector product against a training step. The data are
// the training pipeline's: augmented batches with soft targets. Writes <run>/hessian.json (after each stage, so
// a long run keeps what it finished) and the figures. Settings: src/hessian/protocol.ts; hessian.json records all.
import * as path from 'node:path';
import { existsSync } from 'node:fs';
import { tf } from '../backend/tf.ts';
import { protocolOptions, type ResolvedSettings } from '../util/protocol.ts';
import { mixTrainingBatch, NO_MIX, PAPER_MIX } from '../train/training-targets.ts';
import { PAPER_AUGMENT } from '../data/augment.ts';
import { iterateBatches } from '../data/batches.ts';
import { loadCifar } from '../data/load.ts';
import { subset } from '../data/subset.ts';
import type { HessianBatch } from '../hessian/model-operator.ts';
import { countParams, selectParamNames } from '../hessian/param-groups.ts';
import { HESSIAN_PROTOCOLS, type HessianProtocol, type HessianSettings } from '../hessian/protocol.ts';
import { hessianSpectrum, maxEigenvalueKde, maxEigenvalueSpectrum, splitGroups, type HessianSpectrum, type MaxEigenSpectrum } from '../hessian/spectrum.ts';
import { meanAndVariance, studentTQuantile } from '../util/stats.ts';
import { timeHvpVsStep, type StepTiming } from '../hessian/timing.ts';
import { checkpointDir, listCheckpointTags } from '../io/checkpoint-tags.ts';
import type { MixConfig } from '../train/mixup.ts';
import type { Figure } from '../plots/figure.ts';
import { maxEigenvalueSpectrumFigure, spectralDensityFigure } from '../plots/index.ts';
import { ExpectedError } from '../util/errors.ts';
import { OptionError, type OptionSpec } from '../util/settings.ts';
import {
  ANALYSIS_DEFAULTS, ANALYSIS_SETTING_KEYS, MODEL_OPTIONS, analysisRunDir, checkAnalysisSettings, checkProtocolBounds, checkSettingKeys,
  disposeModels, exportAnalysisFigures, loadAnalysisModels, protocolKeys, resolveAnalysisProtocol, secondsSince, verifyModelsUnchanged,
  writeJsonAtomic, type AnalysisSettings, type ProtocolChoice,
} from './analysis-support.ts';
import { logOf, type RunOptions } from './run-options.ts';

export const HESSIAN_ANALYSES = ['maxeig', 'spectrum', 'timing'] as const;
export type HessianAnalysis = (typeof HESSIAN_ANALYSES)[number];

const ANALYSES_OPTION: OptionSpec = { name: 'analyses', type: 'list', default: [...HESSIAN_ANALYSES], choices: HESSIAN_ANALYSES, help: 'what to compute' };
const PARAMS_OPTION: OptionSpec = {
  name: 'params', type: 'string', default: 'all',
  help: "parameter subset: group (all, msa, mlp, conv, norm, head, embedding), block:<i>, or a regex; ',' joins",
};
const ALL_CHECKPOINTS_OPTION: OptionSpec = {
  name: 'all-checkpoints', type: 'boolean', default: false, help: 'a run directory given to --checkpoint stands for all its checkpoints (a series)',
};

/** The options of `hessian` (flags, --help, --config). `--model` is the command line's alias of `--preset`. */
export const HESSIAN_SETTINGS: readonly OptionSpec[] = [
  ...MODEL_OPTIONS,
  { name: 'model', type: 'list', help: 'freshly initialised model presets (same as --preset)' },
  ALL_CHECKPOINTS_OPTION,
  ...protocolOptions(HESSIAN_PROTOCOLS),
  ANALYSES_OPTION,
  PARAMS_OPTION,
];

export type HessianExperimentSettings = AnalysisSettings &
  ProtocolChoice<HessianSettings, HessianProtocol> & {
    /** What to compute (default: all three; an empty list also means all). */
    analyses?: readonly HessianAnalysis[];
    /** Parameter subset (src/hessian/param-groups.ts): a group, block:<i>, or a regex; ',' joins (default 'all'). */
    params?: string;
    /** A run folder among `checkpoints` stands for every checkpoint under it (a series). */
    allCheckpoints?: boolean;
  };

/** Every setting hessian.json records: the protocol's, resolved, and how the loss, CIs and KDE are taken. */
export type HessianRunSettings = ResolvedSettings<HessianSettings, HessianProtocol> & {
  protocolDescription: string;
  params: string;
  seed: number;
  mixConfig: MixConfig;
  bnMode: 'eval';
  loss: string;
  ci: string;
  kde: string;
};

/** How many mini-batches make the mean per-batch max eigenvalue stable (sampleSizeAdvice). */
export interface SampleSizeAdvice {
  n: number;
  mean: number;
  sd: number;
  relHalfWidth: number;
  batchesFor10pct: number;
  batchesFor5pct: number;
}

export interface HessianModelResult {
  label: string;
  source: string;
  preset: string;
  /** Number of parameters in the selected subset. */
  dim: number;
  paramNames: string[];
  data?: { source: string; dir: string; poolSize: number; batches: number };
  timing?: StepTiming;
  maxEigenvalueSpectrum?: MaxEigenSpectrum & { kde: ReturnType<typeof maxEigenvalueKde>; sampleSize: SampleSizeAdvice };
  spectrum?: HessianSpectrum;
  /** Set when the model is done. */
  seconds?: number;
}

/** What hessian.json holds. */
export interface HessianReport {
  analysis: 'hessian';
  settings: HessianRunSettings;
  seconds: number;
  models: HessianModelResult[];
}

export interface HessianExperimentResult extends HessianReport {
  runDir: string;
  figures: string[];
}

/** The run's settings and what to compute; an OptionError names the option, the value and what is expected. */
export function resolveHessianSettings(settings: HessianExperimentSettings): { run: HessianRunSettings; analyses: Set<HessianAnalysis> } {
  checkSettingKeys('hessian', settings, [...ANALYSIS_SETTING_KEYS, ...protocolKeys(HESSIAN_PROTOCOLS), 'analyses', 'params', 'allCheckpoints']);
  checkAnalysisSettings('hessian', settings);
  const resolved = resolveAnalysisProtocol(HESSIAN_PROTOCOLS, settings);
  checkProtocolBounds(HESSIAN_PROTOCOLS, resolved, {
    fraction: { min: 0, max: 1 },
    batches: { integer: true, min: 0 },
    batchSize: { integer: true, min: 1 },
    labelSmoothing: { min: 0, max: 1 },
    l2: { min: 0 },
    k: { integer: true, min: 1 },
    tol: { min: 0, above: true },
    maxIter: { integer: true, min: 1 },
    groups: { integer: true, min: 1 },
    subsets: { integer: true, min: 1 },
    subsetBatches: { integer: true, min: 1 },
    lanczosSteps: { integer: true, min: 1 },
    slqSteps: { integer: true, min: 1 },
    slqRuns: { integer: true, min: 1 },
    traceSamples: { integer: true, min: 1 },
  });
  const asked = settings.analyses ?? [];
  for (const a of asked)
    if (!(HESSIAN_ANALYSES as readonly string[]).includes(a))
      throw new OptionError(`hessian: option '--analyses' has '${a}', expected one of ${HESSIAN_ANALYSES.join(', ')}`);
  const analyses = new Set<HessianAnalysis>(asked.length > 0 ? asked : (ANALYSES_OPTION.default as HessianAnalysis[]));
  const params = settings.params ?? (PARAMS_OPTION.default as string);
  if (typeof params !== 'string' || params.trim() === '')
    throw new OptionError(`hessian: option '--params' is ${JSON.stringify(params)}, expected a group (all, msa, mlp, conv, norm, head, embedding), block:<i> or a regex`);
  const run: HessianRunSettings = {
    ...resolved,
    protocolDescription: HESSIAN_PROTOCOLS.protocols[resolved.protocol].description,
    params,
    seed: settings.seed ?? ANALYSIS_DEFAULTS.seed,
    mixConfig: resolved.mix ? PAPER_MIX : NO_MIX,
    bnMode: 'eval',
    loss: 'mean cross-entropy against the soft targets (label smoothing, mixup/CutMix when mix) + (l2/2)·||θ||², twice-differentiable log-softmax',
    ci: '95% Student-t interval of the mean over disjoint data subsets (or groups of batches)',
    kde: 'per sign: each side with its own Silverman bandwidth, scaled by its share (the figure’s curves)',
  };
  return { run, analyses };
}

/** With `all`: a run folder stands for every checkpoint under it, in tag order (warm-up end included); others stay. */
export async function expandRunCheckpoints(checkpoints: readonly string[]): Promise<string[]> {
  const out: string[] = [];
  for (const c of checkpoints) {
    const tags = existsSync(path.join(c, 'checkpoints')) ? await listCheckpointTags(c) : [];
    if (tags.length === 0) out.push(c);
    else out.push(...tags.map((t) => checkpointDir(c, t)));
  }
  return out;
}

interface DataSample {
  batches: HessianBatch[];
  source: string;
  dir: string;
  poolSize: number;
}

/**
 * Draws `count` disjoint batches of the training set (from a seeded class-balanced pool), augmented, with the
 * training pipeline's soft targets (mixup/CutMix when settings.mix, label smoothing): y is [B, K].
 */
async function drawBatches(data: string | undefined, log: (m: string) => void, imageSize: number, count: number, settings: HessianRunSettings): Promise<DataSample> {
  const { batchSize, fraction, augment, seed } = settings;
  const cifar = await loadCifar({ dir: data, allowGenerated: true, log });
  const set = cifar.train;
  if (set.height !== imageSize) throw new ExpectedError(`${cifar.dir}: images are ${set.height} x ${set.width}, but the model expects ${imageSize} x ${imageSize}`);
  const poolSize = fraction > 0 ? Math.max(batchSize, Math.round(fraction * set.count)) : Math.min(set.count, count * batchSize);
  const pool = subset(set, { size: poolSize, seed });
  const total = fraction > 0 && count === 0 ? Math.floor(poolSize / batchSize) : count;
  const aug = augment === 'none' ? false : augment === 'paper' ? PAPER_AUGMENT : true;
  const batches: HessianBatch[] = [];
  const numClasses = cifar.fineLabelNames.length;
  try {
    for (const b of iterateBatches(pool, { batchSize, shuffle: true, seed, epoch: 0, augment: aug, dropLast: true, endBatch: total })) {
      const mixed = await mixTrainingBatch(b.x, b.y, { numClasses, mix: settings.mixConfig, labelSmoothing: settings.labelSmoothing, seed, index: batches.length });
      tf.dispose([b.x, b.y]);
      batches.push({ x: mixed.x, y: mixed.targets, indices: Array.from(b.indices, (i) => pool.indices[i]!) });
    }
    if (batches.length < total)
      throw new OptionError(`hessian: option '--batches': asked for ${total} batches of ${batchSize}, the pool of ${poolSize} images gives ${batches.length}`);
  } catch (err) {
    for (const b of batches) tf.dispose([b.x, b.y]);
    throw err;
  }
  return { batches, source: cifar.source, dir: cifar.dir, poolSize };
}

export async function runHessianExperiment(settings: HessianExperimentSettings, opts: RunOptions = {}): Promise<HessianExperimentResult> {
  const start = Date.now();
  const log = logOf(opts);
  const { run, analyses } = resolveHessianSettings(settings);
  const checkpoints = settings.allCheckpoints ? await expandRunCheckpoints(settings.checkpoints ?? []) : settings.checkpoints;
  const models = await loadAnalysisModels({ ...settings, checkpoints }, opts, 100);
  const seed = run.seed;
  try {
    const runDir = await analysisRunDir(settings, 'hessian');
    const results: HessianModelResult[] = [];
    const jsonPath = path.join(runDir, 'hessian.json');
    const report = (): HessianReport => ({ analysis: 'hessian', settings: run, seconds: secondsSince(start), models: results });
    const save = async (): Promise<void> => writeJsonAtomic(jsonPath, report());
    for (const m of models) {
      const t0 = Date.now();
      const names = selectParamNames(m.model.paramInfo, run.params, "option '--params'");
      const dim = countParams(m.model.paramInfo, names);
      log(`[hessian] ${m.label}: ${dim} parameters selected ('${run.params}', ${names.length} tensors), protocol ${run.protocol}`);
      const entry: HessianModelResult = { label: m.label, source: m.source, preset: m.model.config.preset, dim, paramNames: names };
      results.push(entry);
      const onProduct = (info: { stage: string; count: number; ms: number }): void =>
        log(`[hessian] ${m.label} ${info.stage}: Hessian-vector product ${info.count} (${(info.ms / 1000).toFixed(2)} s)`);

      const maxeigBatches = run.batches;
      const spectrumBatches = run.subsets * run.subsetBatches;
      const need = (analyses.has('maxeig') ? maxeigBatches : 0) + (analyses.has('spectrum') ? spectrumBatches : 0);
      const sample = await drawBatches(settings.data, log, m.model.config.imageSize,
        run.fraction > 0 && maxeigBatches === 0 && analyses.has('maxeig') ? 0 : Math.max(need, 1), run);
      entry.data = { source: sample.source, dir: sample.dir, poolSize: sample.poolSize, batches: sample.batches.length };
      try {
        // Disjoint batches: the max-eigenvalue batches first, the spectrum subsets after them.
        const nMax = analyses.has('maxeig') ? (maxeigBatches > 0 ? maxeigBatches : Math.max(1, sample.batches.length - (analyses.has('spectrum') ? spectrumBatches : 0))) : 0;
        if (analyses.has('timing')) {
          const timing = await timeHvpVsStep(m.model, sample.batches[0]!, { names, seed });
          entry.timing = timing;
          log(`[hessian] ${m.label}: training step ${timing.trainStepMs.toFixed(0)} ms, Hessian-vector product ${timing.hvpMs.toFixed(0)} ms (${timing.ratio.toFixed(2)}x), batch ${run.batchSize}`);
        }
        if (analyses.has('maxeig')) {
          const res = await maxEigenvalueSpectrum(m.model, sample.batches.slice(0, nMax), {
            names, l2: run.l2, labelSmoothing: 0, seed, k: run.k, tol: run.tol,
            maxIter: run.maxIter, groups: run.groups, variant: run.power, onProduct,
            onBatch: (b, n, v) => log(`[hessian] ${m.label} max-eig batch ${b}/${n}: ${v.map((x) => x.toPrecision(4)).join(', ')}`),
          });
          const perBatchMax = res.perBatch.map((p) => Math.max(...p.values));
          entry.maxEigenvalueSpectrum = { ...res, kde: maxEigenvalueKde(res.eigenvalues), sampleSize: sampleSizeAdvice(perBatchMax) };
          log(`[hessian] ${m.label}: NEP ${(100 * res.nep).toFixed(1)}% [${ci(res.nepCI, 100)}], APE ${res.ape.toPrecision(4)} [${ci(res.apeCI)}], ${res.products} products in ${(res.ms / 1000).toFixed(1)} s`);
          await save();
        }
        if (analyses.has('spectrum')) {
          const rest = sample.batches.slice(nMax);
          const subsets = splitGroups(rest.length, run.subsets).map((g) => g.map((i) => rest[i]!));
          const spec = await hessianSpectrum(m.model, subsets, {
            names, l2: run.l2, labelSmoothing: 0, seed, k: run.k,
            lanczosSteps: run.lanczosSteps, slqSteps: run.slqSteps, slqRuns: run.slqRuns,
            traceSamples: run.traceSamples, onProduct,
          });
          entry.spectrum = spec;
          log(`[hessian] ${m.label}: λmax ${spec.top[0]!.mean.toPrecision(4)} [${ci(spec.top[0]!)}], λmin ${spec.bottom[0]!.mean.toPrecision(4)} [${ci(spec.bottom[0]!)}], trace ${spec.trace.mean.toPrecision(4)} [${ci(spec.trace)}] in ${(spec.ms / 1000).toFixed(1)} s`);
        }
      } finally {
        for (const b of sample.batches) tf.dispose([b.x, b.y]);
      }
      // the timing's training-mode passes included: parameters and BatchNorm buffers are as loaded
      await verifyModelsUnchanged('hessian', [m]);
      entry.seconds = secondsSince(t0);
      await save();
    }
    const final = report();
    await writeJsonAtomic(jsonPath, final);
    const figures = await exportAnalysisFigures(() => hessianFigures(results), runDir, settings.formats, opts);
    log(`[hessian] done in ${secondsSince(start)} s; results in ${jsonPath}`);
    return { ...final, runDir, figures };
  } finally {
    disposeModels(models);
  }
}

function ci(c: { lower: number; upper: number }, scale = 1): string {
  if (!Number.isFinite(c.lower)) return 'n/a';
  return `${(c.lower * scale).toPrecision(3)}, ${(c.upper * scale).toPrecision(3)}`;
}

/**
 * How many mini-batches make the mean per-batch max eigenvalue stable: the 95% half-width is
 * t·sd/√n, so n = (t·sd / (r·mean))² batches give a relative half-width r (10% and 5%).
 */
export function sampleSizeAdvice(perBatchMax: readonly number[]): SampleSizeAdvice {
  const n = perBatchMax.length;
  const { mean, variance } = meanAndVariance(perBatchMax);
  const sd = Math.sqrt(variance);
  const t = n > 1 ? studentTQuantile(0.975, n - 1) : NaN;
  const z = 1.96;
  return {
    n, mean, sd,
    relHalfWidth: (t * sd) / Math.sqrt(n) / Math.abs(mean),
    batchesFor10pct: Math.ceil(((z * sd) / (0.1 * Math.abs(mean))) ** 2),
    batchesFor5pct: Math.ceil(((z * sd) / (0.05 * Math.abs(mean))) ** 2),
  };
}

/** The spectral density (models with a spectrum) and the max-eigenvalue spectrum (models with one). */
export function hessianFigures(results: readonly HessianModelResult[]): Figure[] {
  const figs: Figure[] = [];
  const dens = results.flatMap((r) => {
    if (!r.spectrum) return [];
    const s = r.spectrum.density;
    return [{ label: r.label, grid: s.grid, density: s.mean, lower: s.lower.map((v) => Math.max(0, v)), upper: s.upper }];
  });
  if (dens.length) figs.push(spectralDensityFigure(dens));
  const maxe = results.flatMap((r) => {
    const s = r.maxEigenvalueSpectrum;
    return s ? [{ label: r.label, kde: s.kde, nep: s.nep, ape: Number.isFinite(s.ape) ? s.ape : 0 }] : [];
  });
  if (maxe.length) figs.push(maxEigenvalueSpectrumFigure(maxe));
  return figs;
}
