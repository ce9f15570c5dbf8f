// The frequency-band noise experiment (Park & Kim 2022, Fig. 2c): top-1 accuracy change under noise restricted to
// one frequency band, f = 0.1π … 0.9π (ViTs are hurt most by low-frequency noise, ResNets by high-frequency noise).
// Every model gets the same images and the same noise. Writes <run>/noise.json, noise.csv and the figure.
// Settings: src/analysis/noise-protocol.ts; noise.json records them all.
import * as path from 'node:path';
import { bandNoise, correctFlags, reduceNoiseFlags, type NoiseRobustnessResult } from '../analysis/noise-robustness.ts';
import { tf } from '../backend/tf.ts';
import { faultPoint } from '../io/fault-points.ts';
import { collectUnits, stableHash, type PlannedUnit, type UnitPlanFile, type UnitRecord } from '../io/unit-store.ts';
import type { Model } from '../models/model.ts';
import type { ExportFormat } from '../plots/export.ts';
import { NOISE_PROTOCOLS, type NoiseProtocol, type NoiseSettings } from '../analysis/noise-protocol.ts';
import { protocolOptions, type ResolvedSettings } from '../util/protocol.ts';
import type { Figure } from '../plots/figure.ts';
import { noiseRobustnessFigure } from '../plots/index.ts';
import type { OptionSpec } from '../util/settings.ts';
import {
  ANALYSIS_DEFAULTS, ANALYSIS_SETTING_KEYS, MODEL_OPTIONS, checkAnalysisSettings, checkBounds, checkProtocolBounds, checkSettingKeys,
  disposeModels, openAnalysisData, exportAnalysisFigures, loadAnalysisImages, loadAnalysisModels, protocolKeys, resolveAnalysisProtocol,
  secondsSince, verifyModelsUnchanged, writeCsv, writeJsonAtomic,
  type AnalysisDataInfo, type AnalysisSettings, type ProtocolChoice,
} from './analysis-support.ts';
import { logOf, type RunOptions } from './run-options.ts';
import {
  UNIT_OPTIONS, UNIT_SETTING_KEYS, checkUnitRunSettings, missingUnitsError, plannedModels, runPlannedUnits, type UnitRunSettings, type UnitRunStatus,
} from './unit-runner.ts';

/** The options of `noise` (flags, --help, --config): the models, then the protocol's settings. */
export const NOISE_SETTINGS: readonly OptionSpec[] = [
  ...MODEL_OPTIONS,
  ...protocolOptions(NOISE_PROTOCOLS),
  { name: 'unit-batches', type: 'integer', default: 0, help: 'batches of images per unit of work (0: all images of a band in one unit)' },
  ...UNIT_OPTIONS,
];

export type NoiseExperimentSettings = AnalysisSettings & UnitRunSettings & ProtocolChoice<NoiseSettings, NoiseProtocol> & {
  /** Batches of images per unit (0: one unit per band and model). */
  unitBatches?: number;
};

/** The settings noise.json records: the protocol's, resolved, and the seed of the images and the noise. */
export type NoiseRunSettings = ResolvedSettings<NoiseSettings, NoiseProtocol> & { seed: number };

export interface NoiseModelResult extends NoiseRobustnessResult {
  source: string;
  preset: string;
}

/** What noise.json holds. */
export interface NoiseReport {
  analysis: 'noise';
  description: string;
  protocol: NoiseProtocol;
  protocolDescription: string;
  data: AnalysisDataInfo;
  settings: NoiseRunSettings;
  seconds: number;
  models: NoiseModelResult[];
}

export interface NoiseExperimentResult extends NoiseReport {
  runDir: string;
  figures: string[];
  /** complete: merged (noise.json written); stopped: stopped between units; shard-done: this shard finished, others missing. */
  status: UnitRunStatus;
  units: { done: number; total: number };
}

export function resolveNoiseSettings(settings: NoiseExperimentSettings): NoiseRunSettings {
  checkSettingKeys('noise', settings, [...ANALYSIS_SETTING_KEYS, ...protocolKeys(NOISE_PROTOCOLS), 'unitBatches', ...UNIT_SETTING_KEYS]);
  checkAnalysisSettings('noise', settings);
  checkUnitRunSettings('noise', settings);
  if (settings.unitBatches !== undefined) checkBounds('noise', 'unit-batches', settings.unitBatches, { integer: true, min: 0 });
  const resolved = resolveAnalysisProtocol(NOISE_PROTOCOLS, settings);
  checkProtocolBounds(NOISE_PROTOCOLS, resolved, {
    frequencies: { min: 0, max: 1 },
    bandwidth: { min: 0, above: true },
    scale: { min: 0 },
    images: { integer: true, min: 1 },
    groups: { integer: true, min: 1 },
    batchSize: { integer: true, min: 1 },
  });
  return { ...resolved, seed: settings.seed ?? ANALYSIS_DEFAULTS.seed };
}

/** What merge needs besides the units (plan.json's context). */
interface NoiseContext {
  settings: NoiseRunSettings;
  data: AnalysisDataInfo;
  /** Images per unit (a range of whole batches; the last range may be shorter). */
  unitImages: number;
  models: { label: string; source: string; preset: string }[];
}

/**
 * The units of a noise run: per model, the clean pass and each band, each over ranges of `unitBatches` batches
 * (0: all images in one range). Position = band (-1: clean), run = range.
 */
export function planNoiseUnits(run: NoiseRunSettings, images: number, models: readonly { label: string }[], unitBatches = 0): { units: PlannedUnit[]; unitImages: number } {
  const unitImages = unitBatches > 0 ? unitBatches * run.batchSize : images;
  const ranges = Math.max(1, Math.ceil(images / unitImages));
  const units: PlannedUnit[] = [];
  for (const m of models)
    for (let band = -1; band < run.frequencies.length; band++)
      for (let r = 0; r < ranges; r++)
        units.push({ index: units.length, kind: band < 0 ? 'noise-clean' : 'noise-band', model: m.label, position: band, run: r, products: Math.min(unitImages, images - r * unitImages) });
  return { units, unitImages };
}

/** The correct-flags of one unit's image range as '0'/'1' text (exact, compact). */
async function computeNoiseUnit(model: Model, images: { x: tf.Tensor4D; y: Int32Array }, unit: PlannedUnit, run: NoiseRunSettings, unitImages: number): Promise<{ flags: string }> {
  const n = images.x.shape[0];
  const start = (unit.run ?? 0) * unitImages;
  const size = Math.min(unitImages, n - start);
  const band = unit.position ?? -1;
  const noise = band >= 0 ? await bandNoise(images.x.shape, band, run) : null;
  const x = tf.slice(images.x, [start, 0, 0, 0], [size, -1, -1, -1]) as tf.Tensor4D;
  const noiseRange = noise ? (tf.slice(noise, [start, 0, 0, 0], [size, -1, -1, -1]) as tf.Tensor4D) : undefined;
  noise?.dispose();
  try {
    const flags = await correctFlags(model, x, images.y.subarray(start, start + size), run.batchSize, noiseRange);
    return { flags: Array.from(flags).join('') };
  } finally {
    tf.dispose([x, ...(noiseRange ? [noiseRange] : [])]);
  }
}

/** noise.json from the plan and its units, in plan order. */
export function reduceNoiseUnits(plan: UnitPlanFile, units: ReadonlyMap<number, UnitRecord>): NoiseReport {
  const ctx = plan.context as NoiseContext;
  const flagsOf = (label: string, band: number): Uint8Array =>
    Uint8Array.from(plan.units.filter((u) => u.model === label && u.position === band).sort((a, b) => (a.run ?? 0) - (b.run ?? 0))
      .flatMap((u) => [...(units.get(u.index)!.result as { flags: string }).flags].map(Number)));
  const seconds = plan.units.reduce((a, u) => a + units.get(u.index)!.seconds, 0);
  const models = ctx.models.map((m) => ({
    ...reduceNoiseFlags(m.label, flagsOf(m.label, -1), ctx.settings.frequencies.map((_, band) => flagsOf(m.label, band)), ctx.settings),
    source: m.source, preset: m.preset,
  }));
  return {
    analysis: 'noise',
    description: 'top-1 accuracy with band-limited noise minus clean accuracy (percentage points; negative = hurt), CI over disjoint image groups',
    protocol: ctx.settings.protocol,
    protocolDescription: NOISE_PROTOCOLS.protocols[ctx.settings.protocol].description,
    data: ctx.data,
    settings: ctx.settings,
    seconds: Math.round(seconds * 10) / 10,
    models,
  };
}

/** Reduces a noise run's units into noise.json, noise.csv and the figure (refusing foreign units). */
export async function mergeNoiseRun(runDir: string, plan: UnitPlanFile, opts: RunOptions & { formats?: readonly ExportFormat[] } = {}): Promise<NoiseExperimentResult> {
  const log = logOf(opts);
  const { units, missing } = collectUnits(runDir, plan);
  if (missing.length > 0) throw missingUnitsError(runDir, plan, missing);
  const report = reduceNoiseUnits(plan, units);
  await faultPoint('merge-summary');
  await writeJsonAtomic(path.join(runDir, 'noise.json'), report);
  const results = report.models;
  await writeCsv(
    path.join(runDir, 'noise.csv'),
    ['label', 'frequency_pi', 'clean_accuracy', 'noisy_accuracy', 'accuracy_change_pp', 'ci_lower_pp', 'ci_upper_pp'],
    results.flatMap((r) => r.frequency.map((f, i) => [r.label, f, r.cleanAccuracy, r.noisyAccuracy[i], r.accuracyChange[i], r.changeLower[i], r.changeUpper[i]])),
  );
  for (const r of results)
    log(`[noise] ${r.label}: clean ${r.cleanAccuracy.toFixed(1)}%; change (pp) ` + r.frequency.map((f, i) => `${f}π ${r.accuracyChange[i]!.toFixed(1)}`).join(', '));
  const figures = await exportAnalysisFigures(() => noiseFigures(results), runDir, opts.formats, opts);
  return { ...report, runDir, figures, status: 'complete', units: { done: units.size, total: plan.totalUnits } };
}

export async function runNoiseExperiment(settings: NoiseExperimentSettings, opts: RunOptions = {}): Promise<NoiseExperimentResult> {
  const start = Date.now();
  const log = logOf(opts);
  const resolved = resolveNoiseSettings(settings);
  const dataset = await openAnalysisData(settings, opts);
  const models = await loadAnalysisModels(settings, opts, dataset);
  try {
    // labels required and one input transform for all models (loadAnalysisImages); the run folder is runPlannedUnits' (locked)
    const images = await loadAnalysisImages(settings, opts, 'test', resolved.images, models, false, dataset);
    try {
      const data: AnalysisDataInfo = { source: images.source, dir: images.dir, split: 'test', images: images.count, preprocess: images.preprocess };
      const { units, unitImages } = planNoiseUnits(resolved, images.count, models, settings.unitBatches ?? 0);
      const context: NoiseContext = { settings: resolved, data, unitImages, models: models.map((m) => ({ label: m.label, source: m.source, preset: m.model.config.preset })) };
      const plan: UnitPlanFile = {
        analysis: 'noise', totalUnits: units.length, shards: 1, units, createdAt: new Date().toISOString(), models: plannedModels(models), context,
        settingsKey: stableHash({ settings: resolved, data: { source: data.source, images: data.images, preprocess: data.preprocess }, unitImages }),
      };
      log(`[noise] plan: ${units.length} units (${models.length} model${models.length > 1 ? 's' : ''} × ${resolved.frequencies.length + 1} passes × ${units.length / models.length / (resolved.frequencies.length + 1)} image ranges of ${unitImages})`);
      const out = settings.planOnly
        ? { status: 'planned' as const, units: { done: 0, total: units.length }, runDir: '', merged: null }
        : await runPlannedUnits(
        'noise', settings, plan,
        (unit) => {
          const m = models.find((x) => x.label === unit.model)!;
          log(`[noise] ${m.label}: ${(unit.position ?? -1) < 0 ? 'clean accuracy' : `noise at ${resolved.frequencies[unit.position!]!.toFixed(2)}π`}, images from ${(unit.run ?? 0) * unitImages}`);
          return computeNoiseUnit(m.model, images, unit, resolved, unitImages);
        },
        (runDir, p) => mergeNoiseRun(runDir, p, { ...opts, formats: settings.formats }),
        { signal: opts.signal, log, afterUnits: () => verifyModelsUnchanged('noise', models) },
      );
      if (out.merged) {
        log(`[noise] done in ${secondsSince(start)} s; results in ${out.runDir}`);
        return out.merged;
      }
      return {
        analysis: 'noise', description: '', protocol: resolved.protocol, protocolDescription: NOISE_PROTOCOLS.protocols[resolved.protocol].description,
        data, settings: resolved, seconds: secondsSince(start), models: [], runDir: out.runDir, figures: [], status: out.status, units: out.units,
      };
    } finally {
      images.x.dispose();
    }
  } finally {
    disposeModels(models);
  }
}

/** Accuracy drop by band; the figure's contract: accuracyDrop = clean - noisy as a fraction (positive = hurt). */
export function noiseFigures(results: readonly NoiseRobustnessResult[]): Figure[] {
  return [
    noiseRobustnessFigure(
      results.map((r) => ({
        label: r.label,
        frequency: r.frequency,
        accuracyDrop: r.accuracyChange.map((v) => -v / 100),
        lower: r.changeUpper.map((v) => -v / 100),
        upper: r.changeLower.map((v) => -v / 100),
      })),
    ),
  ];
}
