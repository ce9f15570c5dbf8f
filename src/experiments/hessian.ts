// The Hessian experiment (Park & Kim 2022, Fig. 1c, 4): the max-eigenvalue spectrum (top-k eigenvalues by magnitude
// of each of many mini-batches, pooled; NEP and APE) and the spectrum of the Hessian averaged over batches
// (top/bottom eigenvalues by Lanczos, spectral density by SLQ, trace by Hutchinson), each with its spread over
// disjoint data subsets; optionally the cost of a Hessian-vector product against a training step. The data are
// the training pipeline's: augmented batches with soft targets, each model's in its own input transform. The work is
// units (plan.json, units/; --resume, --shard); <run>/hessian.json and the figures are written when all units are
// there. Settings: src/hessian/protocol.ts; hessian.json records all.
import * as path from 'node:path';
import { existsSync } from 'node:fs';
import { tf } from '../backend/tf.ts';
import { protocolOptions, type ResolvedSettings } from '../util/protocol.ts';
import { mixTrainingBatch, NO_MIX, PAPER_MIX } from '../train/training-targets.ts';
import { PAPER_AUGMENT, resolveAugment } from '../data/augment.ts';
import { augmentRng, epochOrder, gatherBytes, normalizeImages } from '../data/batches.ts';
import { chooseImages, loadImageSet, type Dataset } from '../data/dataset.ts';
import type { Preprocessing } from '../data/preprocess.ts';
import type { HessianBatch } from '../hessian/model-operator.ts';
import { countParams, selectParamNames } from '../hessian/param-groups.ts';
import { HESSIAN_PROTOCOLS, type HessianProtocol, type HessianSettings } from '../hessian/protocol.ts';
import {
  lanczosUnit, maxEigenvalueKde, maxEigenvalueUnit, reduceMaxEigenvalueUnits, reduceSpectrumUnits, slqUnit, traceUnit,
  type BatchEigen, type HessianSpectrum, type LanczosPart, type MaxEigenSpectrum, type SlqPart, type SubsetParts, type TracePart,
} from '../hessian/spectrum.ts';
import { checkHessianLayout, hessianDataLayout, hessianModelUnits, type HessianDataLayout, type HessianUnitSpec } from '../hessian/units-plan.ts';
import { meanAndVariance, studentTQuantile } from '../util/stats.ts';
import { secondsPerProduct as secondsPerProductOf, timeHvpVsStep, type StepTiming } from '../hessian/timing.ts';
import { faultPoint } from '../io/fault-points.ts';
import { collectUnits, stableHash, type PlannedUnit, type UnitPlanFile, type UnitRecord } from '../io/unit-store.ts';
import type { ExportFormat } from '../plots/export.ts';
import { checkpointDir, listCheckpointTags } from '../io/checkpoint-tags.ts';
import type { MixConfig } from '../train/mixup.ts';
import type { Figure } from '../plots/figure.ts';
import { maxEigenvalueSpectrumFigure, spectralDensityFigure } from '../plots/index.ts';
import { ExpectedError } from '../util/errors.ts';
import { OptionError, type OptionSpec } from '../util/settings.ts';
import {
  ANALYSIS_DEFAULTS, ANALYSIS_SETTING_KEYS, MODEL_OPTIONS, analysisPreprocessing, checkAnalysisSettings, checkProtocolBounds, checkSettingKeys,
  disposeModels, exportAnalysisFigures, loadAnalysisModels, openAnalysisData, protocolKeys, requireLabels, resolveAnalysisProtocol, secondsSince,
  verifyModelsUnchanged, writeJsonAtomic, type AnalysedModel, type AnalysisSettings, type ProtocolChoice,
} from './analysis-support.ts';
import { UNIT_OPTIONS, UNIT_SETTING_KEYS, checkUnitRunSettings, missingUnitsError, plannedModels, runPlannedUnits, type UnitRunSettings, type UnitRunStatus } from './unit-runner.ts';
import { logOf, type RunOptions } from './run-options.ts';

export const HESSIAN_ANALYSES = ['maxeig', 'spectrum', 'timing'] as const;
export type HessianAnalysis = (typeof HESSIAN_ANALYSES)[number];

const ANALYSES_OPTION: OptionSpec = { name: 'analyses', type: 'list', default: [...HESSIAN_ANALYSES], choices: HESSIAN_ANALYSES, help: 'what to compute' };
const PARAMS_OPTION: OptionSpec = {
  name: 'params', type: 'string', default: 'all',
  help: "parameter subset: a group of declared parameters (all, embedding, msa, mlp, token-mlp, conv, pool, head, norm), layout:<dense|conv|depthwise|tokens|spatial|vector>, block:<i>, or a regex on names; ',' joins",
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
  ...UNIT_OPTIONS,
];

export type HessianExperimentSettings = AnalysisSettings &
  UnitRunSettings &
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
  /** The input transform of this model's batches (name, size, resize, interpolation, mean, std). */
  preprocessing?: Omit<Preprocessing, 'key'>;
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
  /** complete: merged (hessian.json written); stopped: stopped between units; shard-done: this shard finished, others missing; planned: --plan. */
  status: UnitRunStatus;
  units: { done: number; total: number };
}

/** The run's settings and what to compute; an OptionError names the option, the value and what is expected. */
export function resolveHessianSettings(settings: HessianExperimentSettings): { run: HessianRunSettings; analyses: Set<HessianAnalysis> } {
  checkSettingKeys('hessian', settings, [...ANALYSIS_SETTING_KEYS, ...protocolKeys(HESSIAN_PROTOCOLS), 'analyses', 'params', 'allCheckpoints', ...UNIT_SETTING_KEYS]);
  checkAnalysisSettings('hessian', settings);
  checkUnitRunSettings('hessian', settings);
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
    throw new OptionError(`hessian: option '--params' is ${JSON.stringify(params)}, expected a group (all, embedding, msa, mlp, token-mlp, conv, pool, head, norm), layout:<layout>, block:<i> or a regex`);
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

/** What merge needs besides the units, recorded in plan.json's context. */
interface HessianPlanContext {
  settings: HessianRunSettings;
  analyses: HessianAnalysis[];
  layout: HessianDataLayout;
  models: {
    label: string; source: string; preset: string; dim: number; paramNames: string[];
    data: { source: string; dir: string; poolSize: number; batches: number }; preprocessing: Omit<Preprocessing, 'key'>;
  }[];
}

/** The plan of a Hessian run with the measured cost of a product per model, as printed before a long run. */
export interface HessianPlan {
  plan: UnitPlanFile;
  /** Measured seconds of one single-batch Hessian-vector product, per model label. */
  secondsPerProduct: Record<string, number>;
  /** Single-batch products of the plan (the max-eigenvalue solver at its cap: an upper bound). */
  products: number;
  /** Estimated hours on this machine, and on `shards` shards of the same speed. */
  hours: number;
  shards: number;
  hoursSharded: number;
  lines: string[];
}

/** The units a Hessian run has for these settings and models (global indices, model by model in plan order). */
export function planHessianUnits(
  run: HessianRunSettings,
  analyses: ReadonlySet<HessianAnalysis>,
  models: readonly { label: string; fingerprint: string; source?: string }[],
  trainCount: number,
): { units: PlannedUnit[]; layout: HessianDataLayout; specs: HessianUnitSpec[] } {
  let layout: HessianDataLayout;
  try {
    layout = hessianDataLayout(run, trainCount);
    checkHessianLayout(layout, run, analyses);
  } catch (err) {
    throw new OptionError((err as Error).message);
  }
  if (analyses.has('maxeig') && layout.maxeigBatches === 0)
    throw new OptionError(`hessian: option '--batches' is 0 with '--fraction' 0: the max-eigenvalue spectrum has no batches; expected --batches >= 1 or a fraction`);
  const specs = hessianModelUnits(run, layout, analyses);
  const units: PlannedUnit[] = [];
  for (const m of models)
    for (const u of specs) units.push({ index: units.length, kind: u.kind, model: m.label, products: u.products, position: u.position, ...(u.run !== undefined ? { run: u.run } : {}) });
  return { units, layout, specs };
}

function hoursOf(seconds: number): string {
  return seconds < 60 ? `${seconds.toFixed(1)} s` : seconds < 3600 ? `${(seconds / 60).toFixed(1)} min` : `${(seconds / 3600).toFixed(1)} h`;
}

/** The plan's summary lines: units per kind, products, seconds per product, hours here and on `shards` shards. */
export function describeHessianPlan(plan: UnitPlanFile, secondsPerProduct: Record<string, number>, shards: number): Omit<HessianPlan, 'plan' | 'secondsPerProduct'> {
  const kinds = new Map<string, number>();
  for (const u of plan.units) kinds.set(u.kind, (kinds.get(u.kind) ?? 0) + 1);
  let products = 0;
  let seconds = 0;
  const perShard = new Array<number>(shards).fill(0);
  plan.units.forEach((u, p) => {
    const s = (u.products ?? 0) * (secondsPerProduct[u.model] ?? NaN);
    products += u.products ?? 0;
    seconds += s;
    perShard[p % shards]! += s;
  });
  const slowest = Math.max(...perShard);
  const lines = [
    `[hessian] plan: ${plan.totalUnits} units (${[...kinds].map(([k, n]) => `${n} ${k}`).join(', ')}) on ${plan.models.length} model${plan.models.length > 1 ? 's' : ''}`,
    `[hessian] plan: at most ${products} single-batch Hessian-vector products (the max-eigenvalue solver counted at its k · max-iter cap)`,
    ...Object.entries(secondsPerProduct).map(([label, sp]) => `[hessian] plan: ${label}: ${sp.toFixed(3)} s per product (measured here)`),
    `[hessian] plan: at most ${hoursOf(seconds)} here; ${hoursOf(slowest)} on ${shards} shards of this speed (the slowest shard)`,
  ];
  return { products, hours: seconds / 3600, shards, hoursSharded: slowest / 3600, lines };
}

/**
 * The training set's seeded, class-balanced pool and a lazy draw of batch `position` of its seeded epoch
 * (augmented, soft targets), decoded with a model's transform: only that batch's images are read, so an image
 * folder is never held in memory, and the batch is the same (bit for bit) whichever unit, shard or resumed process
 * draws it — the order, the augmentation and the mixing depend only on (seed, position), as in iterateBatches.
 */
interface BatchSource {
  source: string;
  dir: string;
  trainCount: number;
  numClasses: number;
  draw(position: number, poolSize: number, preprocessing: Preprocessing): Promise<HessianBatch>;
}

/** Call requireLabels first (the Hessian of the loss needs labels). */
function hessianBatchSource(dataset: Dataset, settings: HessianRunSettings): BatchSource {
  const { batchSize, augment, seed } = settings;
  const train = dataset.split('train');
  if (!dataset.classNames || !train.labels) throw new ExpectedError(`${dataset.dir}: found unlabelled images; the Hessian of the loss needs labels: expected class subfolders (class/*.JPEG) or CIFAR-format data`);
  const aug = resolveAugment(augment === 'none' ? false : augment === 'paper' ? PAPER_AUGMENT : true);
  const numClasses = dataset.classNames.length;
  // pool member k is train image indices[k]; the epoch visits pool members in `order` (iterateBatches' epoch 0)
  let pool: { size: number; indices: Int32Array; order: Int32Array } | null = null;
  return {
    source: dataset.kind, dir: dataset.dir, trainCount: train.count, numClasses,
    async draw(position, poolSize, preprocessing) {
      if (!pool || pool.size !== poolSize) {
        const indices = chooseImages(train, poolSize, seed) ?? Int32Array.from({ length: train.count }, (_, i) => i);
        pool = { size: poolSize, indices, order: epochOrder(indices.length, true, seed, 0) };
      }
      const { indices, order } = pool;
      // dropLast: only whole batches exist
      if (!(Number.isInteger(position) && position >= 0 && (position + 1) * batchSize <= order.length))
        throw new Error(`hessian: batch ${position} of the pool of ${poolSize} images does not exist`);
      const members = order.slice(position * batchSize, (position + 1) * batchSize);
      const chosen = Int32Array.from(members, (k) => indices[k]!);
      const images = await loadImageSet(train, preprocessing, chosen);
      const n = chosen.length;
      const bytes = gatherBytes(images, Int32Array.from({ length: n }, (_, i) => i), aug, aug ? augmentRng(seed, 0, position) : undefined);
      const x = tf.tensor4d(normalizeImages(bytes, n, undefined, preprocessing), [n, images.height, images.width, images.channels], 'float32');
      const y = tf.tensor1d(images.fineLabels, 'int32');
      const mixed = await mixTrainingBatch(x, y, { numClasses, mix: settings.mixConfig, labelSmoothing: settings.labelSmoothing, seed, index: position });
      tf.dispose([x, y]);
      return { x: mixed.x, y: mixed.targets, indices: Array.from(chosen) };
    },
  };
}

interface PreparedHessian {
  run: HessianRunSettings;
  analyses: Set<HessianAnalysis>;
  models: AnalysedModel[];
  source: BatchSource;
  plan: UnitPlanFile;
  context: HessianPlanContext;
  names: Map<string, string[]>;
  /** Each model's input transform (--preprocess with its pretrained config), by label. */
  preprocessing: Map<string, Preprocessing>;
}

async function prepareHessian(settings: HessianExperimentSettings, opts: RunOptions): Promise<PreparedHessian> {
  const { run, analyses } = resolveHessianSettings(settings);
  const checkpoints = settings.allCheckpoints ? await expandRunCheckpoints(settings.checkpoints ?? []) : settings.checkpoints;
  const dataset = await openAnalysisData(settings, opts);
  // presets get the dataset's class count (loadAnalysisModels)
  const models = await loadAnalysisModels({ ...settings, checkpoints }, opts, dataset);
  try {
    requireLabels(dataset, 'the Hessian of the loss', models);
    const source = hessianBatchSource(dataset, run);
    const planned = plannedModels(models);
    const { units, layout } = planHessianUnits(run, analyses, planned, source.trainCount);
    const names = new Map<string, string[]>();
    const preprocessing = new Map<string, Preprocessing>();
    const context: HessianPlanContext = { settings: run, analyses: HESSIAN_ANALYSES.filter((a) => analyses.has(a)), layout, models: [] };
    for (const m of models) {
      // every model's --params selection is checked before the run folder exists (a group a family does not declare is one line)
      const n = selectParamNames(m.model.paramInfo, run.params, `option '--params' (model '${m.label}')`);
      names.set(m.label, n);
      const p = analysisPreprocessing(settings, dataset, m.model);
      preprocessing.set(m.label, p);
      const { key: _key, ...transform } = p;
      context.models.push({
        label: m.label, source: m.source, preset: m.model.config.preset, dim: countParams(m.model.paramInfo, n), paramNames: n,
        data: { source: source.source, dir: source.dir, poolSize: layout.poolSize, batches: layout.maxeigBatches + layout.subsets.flat().length },
        preprocessing: transform,
      });
    }
    const settingsKey = stableHash({
      settings: run, analyses: context.analyses, data: source.source, trainCount: source.trainCount, preprocessing: models.map((m) => preprocessing.get(m.label)!.key),
    });
    const plan: UnitPlanFile = { analysis: 'hessian', totalUnits: units.length, shards: 1, units, settingsKey, createdAt: new Date().toISOString(), models: planned, context };
    return { run, analyses, models, source, plan, context, names, preprocessing };
  } catch (err) {
    disposeModels(models);
    throw err;
  }
}

async function measurePlan(p: PreparedHessian, shards: number): Promise<HessianPlan> {
  const secondsPerProduct: Record<string, number> = {};
  for (const m of p.models) {
    // batch 0 in this model's transform (models may differ in size and normalisation)
    const batch = await p.source.draw(0, p.context.layout.poolSize, p.preprocessing.get(m.label)!);
    try {
      secondsPerProduct[m.label] = await secondsPerProductOf(m.model, batch, { names: p.names.get(m.label), l2: p.run.l2 });
    } finally {
      tf.dispose([batch.x, batch.y]);
    }
  }
  return { plan: p.plan, secondsPerProduct, ...describeHessianPlan(p.plan, secondsPerProduct, shards) };
}

/** The plan of a Hessian run (units, products, measured seconds per product, hours here and on `planShards` shards), without computing it. */
export async function planHessianExperiment(settings: HessianExperimentSettings, opts: RunOptions = {}): Promise<HessianPlan> {
  const p = await prepareHessian(settings, opts);
  try {
    const out = await measurePlan(p, settings.planShards ?? 64);
    for (const line of out.lines) logOf(opts)(line);
    return out;
  } finally {
    disposeModels(p.models);
  }
}

/** Computes one planned unit (its batches drawn now, disposed after). */
async function computeHessianUnit(p: PreparedHessian, unit: PlannedUnit, onProduct: (info: { stage: string; count: number; ms: number }) => void): Promise<unknown> {
  const m = p.models.find((x) => x.label === unit.model)!;
  const { run, context } = p;
  const names = p.names.get(m.label);
  const position = unit.position ?? 0;
  const positions = unit.kind === 'maxeig-batch' || unit.kind === 'timing' ? [unit.kind === 'timing' ? 0 : position] : context.layout.subsets[position]!;
  const batches: HessianBatch[] = [];
  try {
    for (const b of positions) batches.push(await p.source.draw(b, context.layout.poolSize, p.preprocessing.get(m.label)!));
    const common = { names, l2: run.l2, labelSmoothing: 0, seed: run.seed, k: run.k, onProduct, subsets: run.subsets };
    switch (unit.kind) {
      case 'timing':
        return await timeHvpVsStep(m.model, batches[0]!, { names, seed: run.seed });
      case 'maxeig-batch':
        return await maxEigenvalueUnit(m.model, batches[0]!, position, { ...common, tol: run.tol, maxIter: run.maxIter, eigensolver: run.eigensolver, variant: run.power, batches: context.layout.maxeigBatches });
      case 'spectrum-lanczos':
        return { ...(await lanczosUnit(m.model, batches, position, { ...common, lanczosSteps: run.lanczosSteps, slqSteps: run.slqSteps, slqRuns: run.slqRuns })), indices: batches.flatMap((b) => [...(b.indices ?? [])]) };
      case 'spectrum-slq':
        return await slqUnit(m.model, batches, position, unit.run ?? 0, { ...common, slqSteps: run.slqSteps });
      case 'spectrum-trace':
        return await traceUnit(m.model, batches, position, { ...common, traceSamples: run.traceSamples });
      default:
        throw new Error(`hessian: unknown unit kind '${unit.kind}'`);
    }
  } finally {
    for (const b of batches) tf.dispose([b.x, b.y]);
  }
}

/** hessian.json from a plan and its units (in plan order): the same numbers whichever process computed which unit. */
export function reduceHessianUnits(plan: UnitPlanFile, units: ReadonlyMap<number, UnitRecord>): HessianReport {
  const context = plan.context as HessianPlanContext;
  const run = context.settings;
  const results: HessianModelResult[] = [];
  let seconds = 0;
  for (const info of context.models) {
    const mine = plan.units.filter((u) => u.model === info.label).map((u) => ({ unit: u, record: units.get(u.index)! }));
    const of = (kind: string) => mine.filter((x) => x.unit.kind === kind);
    const modelSeconds = mine.reduce((a, x) => a + x.record.seconds, 0);
    seconds += modelSeconds;
    const entry: HessianModelResult = {
      label: info.label, source: info.source, preset: info.preset, dim: info.dim, paramNames: info.paramNames, data: info.data,
      ...(info.preprocessing ? { preprocessing: info.preprocessing } : {}),
    };
    const timing = of('timing')[0];
    if (timing) entry.timing = timing.record.result as StepTiming;
    const maxeig = of('maxeig-batch').map((x) => x.record.result as BatchEigen & { products: number });
    if (maxeig.length > 0) {
      const res = reduceMaxEigenvalueUnits(maxeig, { groups: run.groups, eigensolver: run.eigensolver, variant: run.power });
      const perBatchMax = res.perBatch.map((b) => Math.max(...b.values));
      entry.maxEigenvalueSpectrum = { ...res, kde: maxEigenvalueKde(res.eigenvalues), sampleSize: sampleSizeAdvice(perBatchMax) };
    }
    const lanczosUnits = of('spectrum-lanczos');
    if (lanczosUnits.length > 0) {
      const parts: SubsetParts[] = lanczosUnits.map((lz) => {
        const s = lz.unit.position ?? 0;
        const lanczos = lz.record.result as LanczosPart & { indices: number[] };
        return {
          indices: lanczos.indices,
          lanczos,
          slq: of('spectrum-slq').filter((x) => x.unit.position === s).sort((a, b) => (a.unit.run ?? 0) - (b.unit.run ?? 0)).map((x) => x.record.result as SlqPart),
          trace: of('spectrum-trace').find((x) => x.unit.position === s)!.record.result as TracePart,
        };
      });
      entry.spectrum = reduceSpectrumUnits(parts, { l2: run.l2 });
    }
    entry.seconds = Math.round(modelSeconds * 10) / 10;
    results.push(entry);
  }
  return { analysis: 'hessian', settings: run, seconds: Math.round(seconds * 10) / 10, models: results };
}

/** Reduces a finished Hessian run's units into hessian.json and its figures; refuses units from other weights or settings. */
export async function mergeHessianRun(runDir: string, plan: UnitPlanFile, opts: RunOptions & { formats?: readonly ExportFormat[] } = {}): Promise<HessianExperimentResult> {
  const log = logOf(opts);
  const { units, missing } = collectUnits(runDir, plan);
  if (missing.length > 0) throw missingUnitsError(runDir, plan, missing);
  const report = reduceHessianUnits(plan, units);
  const jsonPath = path.join(runDir, 'hessian.json');
  await faultPoint('merge-summary');
  await writeJsonAtomic(jsonPath, report);
  for (const m of report.models) logModel(log, m);
  const figures = await exportAnalysisFigures(() => hessianFigures(report.models), runDir, opts.formats, opts);
  log(`[hessian] ${plan.totalUnits} units reduced; results in ${jsonPath}`);
  return { ...report, runDir, figures, status: 'complete', units: { done: units.size, total: plan.totalUnits } };
}

function logModel(log: (m: string) => void, m: HessianModelResult): void {
  const res = m.maxEigenvalueSpectrum;
  if (res) log(`[hessian] ${m.label}: NEP ${(100 * res.nep).toFixed(1)}% [${ci(res.nepCI, 100)}], APE ${res.ape.toPrecision(4)} [${ci(res.apeCI)}], ${res.products} products`);
  const spec = m.spectrum;
  if (spec) log(`[hessian] ${m.label}: λmax ${spec.top[0]!.mean.toPrecision(4)} [${ci(spec.top[0]!)}], λmin ${spec.bottom[0]!.mean.toPrecision(4)} [${ci(spec.bottom[0]!)}], trace ${spec.trace.mean.toPrecision(4)} [${ci(spec.trace)}]`);
  if (m.timing) log(`[hessian] ${m.label}: training step ${m.timing.trainStepMs.toFixed(0)} ms, Hessian-vector product ${m.timing.hvpMs.toFixed(0)} ms (${m.timing.ratio.toFixed(2)}x)`);
}

/**
 * The Hessian experiment as units of work: prints the plan, computes this process's units (all, or one shard's)
 * that the run folder does not hold yet, each appended and fsynced as it finishes, stops between units on the
 * signal, and merges when every unit of the plan is present. `status` says which of these happened.
 */
export async function runHessianExperiment(settings: HessianExperimentSettings, opts: RunOptions = {}): Promise<HessianExperimentResult> {
  const start = Date.now();
  const log = logOf(opts);
  const p = await prepareHessian(settings, opts);
  try {
    const estimate = await measurePlan(p, settings.planShards ?? 64);
    for (const line of estimate.lines) log(line);
    if (settings.planOnly)
      return { analysis: 'hessian', settings: p.run, seconds: secondsSince(start), models: [], runDir: '', figures: [], status: 'planned', units: { done: 0, total: p.plan.totalUnits } };
    const out = await runPlannedUnits(
      'hessian', settings, p.plan,
      (unit) => computeHessianUnit(p, unit, (info) => log(`[hessian] ${unit.model} ${info.stage}: Hessian-vector product ${info.count} (${(info.ms / 1000).toFixed(2)} s)`)),
      (runDir, plan) => mergeHessianRun(runDir, plan, { ...opts, formats: settings.formats }),
      // the timing's training-mode passes included: parameters and BatchNorm buffers are as loaded
      { signal: opts.signal, log, afterUnits: () => verifyModelsUnchanged('hessian', p.models) },
    );
    if (out.merged) {
      log(`[hessian] done in ${secondsSince(start)} s`);
      return out.merged;
    }
    return { analysis: 'hessian', settings: p.run, seconds: secondsSince(start), models: [], runDir: out.runDir, figures: [], status: out.status, units: out.units };
  } finally {
    disposeModels(p.models);
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
