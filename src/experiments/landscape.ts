// The loss-landscape experiment (Li et al. 2018; Park & Kim 2022, Fig. 1): the loss on a 2-D grid along two
// random directions scaled to the weights (ViT's is flatter than ResNet's). The paper: 21 x 21 over [-1, 1]²,
// NLL + 0.05 Σ‖p‖ on augmented data. Writes <run>/landscape.json, landscape.csv and one figure per model.
// Settings: src/analysis/landscape-protocol.ts; landscape.json records them all.
import * as path from 'node:path';
import { tf } from '../backend/tf.ts';
import {
  clipLandscape, evaluateAt, landscapeAxis, landscapeRow, reduceLandscapeRows, type LandscapeBatch, type LandscapeRow, type LossLandscape,
} from '../analysis/landscape.ts';
import { faultPoint } from '../io/fault-points.ts';
import { collectUnits, stableHash, type PlannedUnit, type UnitPlanFile, type UnitRecord } from '../io/unit-store.ts';
import type { ExportFormat } from '../plots/export.ts';
import { LANDSCAPE_PROTOCOLS, type LandscapeProtocol, type LandscapeSettings } from '../analysis/landscape-protocol.ts';
import { protocolOptions, type ResolvedSettings } from '../util/protocol.ts';
import { trainingTargetBatches } from '../train/training-targets.ts';
import type { Figure } from '../plots/figure.ts';
import { lossLandscapeFigure, slug } from '../plots/index.ts';
import { OptionError, type OptionSpec } from '../util/settings.ts';
import {
  ANALYSIS_DEFAULTS, ANALYSIS_SETTING_KEYS, MODEL_OPTIONS, checkAnalysisSettings, checkProtocolBounds, checkSettingKeys,
  disposeModels, openAnalysisData, exportAnalysisFigures, loadAnalysisImages, loadAnalysisModels, protocolKeys, resolveAnalysisProtocol,
  secondsSince, verifyModelsUnchanged, writeCsv, writeJsonAtomic,
  type AnalysisDataInfo, type AnalysisSettings, type ProtocolChoice,
} from './analysis-support.ts';
import { logOf, type RunOptions } from './run-options.ts';
import {
  UNIT_OPTIONS, UNIT_SETTING_KEYS, checkUnitRunSettings, missingUnitsError, plannedModels, runPlannedUnits, type UnitRunSettings, type UnitRunStatus,
} from './unit-runner.ts';

const LOG_Z_OPTION: OptionSpec = { name: 'log-z', type: 'boolean', default: false, help: 'figure only: logarithmic loss axis (plots min(loss, min + clip) when clipping)' };

/** The options of `landscape` (flags, --help, --config): the models, the protocol's settings, the figure's axis. */
export const LANDSCAPE_SETTINGS: readonly OptionSpec[] = [...MODEL_OPTIONS, ...protocolOptions(LANDSCAPE_PROTOCOLS), LOG_Z_OPTION, ...UNIT_OPTIONS];

export type LandscapeExperimentSettings = AnalysisSettings &
  UnitRunSettings &
  ProtocolChoice<LandscapeSettings, LandscapeProtocol> & {
    /** Figure only: logarithmic loss axis (default false). */
    logZ?: boolean;
  };

/** The settings landscape.json records: the protocol's, resolved (range as [min, max]), and the seed. */
export type LandscapeRunSettings = Omit<ResolvedSettings<LandscapeSettings, LandscapeProtocol>, 'range'> & { range: [number, number]; seed: number };

export interface LandscapeSurface extends LossLandscape {
  label: string;
  source: string;
  preset: string;
  seconds: number;
  /** loss − min with points more than `clip` above the minimum dropped (NaN here, null in landscape.json), as the authors plot it. */
  clipped: number[][];
  summary: { centreLoss: number; centreAccuracy: number; min: number; max: number; meanRise: number };
}

/** What landscape.json holds. */
export interface LandscapeReport {
  analysis: 'landscape';
  description: string;
  protocol: LandscapeProtocol;
  protocolDescription: string;
  data: AnalysisDataInfo;
  settings: LandscapeRunSettings;
  seconds: number;
  models: LandscapeSurface[];
}

export interface LandscapeExperimentResult extends LandscapeReport {
  runDir: string;
  figures: string[];
  /** complete: merged (landscape.json written); stopped, shard-done, planned: see src/experiments/unit-runner.ts. */
  status: UnitRunStatus;
  units: { done: number; total: number };
}

export function resolveLandscapeSettings(settings: LandscapeExperimentSettings): LandscapeRunSettings {
  checkSettingKeys('landscape', settings, [...ANALYSIS_SETTING_KEYS, ...protocolKeys(LANDSCAPE_PROTOCOLS), 'logZ', ...UNIT_SETTING_KEYS]);
  checkAnalysisSettings('landscape', settings);
  checkUnitRunSettings('landscape', settings);
  const resolved = resolveAnalysisProtocol(LANDSCAPE_PROTOCOLS, settings);
  const [lo, hi] = resolved.range;
  if (resolved.range.length !== 2 || !(hi! > lo!))
    throw new OptionError(`landscape: option '--range' is ${JSON.stringify(resolved.range)}, expected min,max with max > min`);
  checkProtocolBounds(LANDSCAPE_PROTOCOLS, resolved, {
    resolution: { integer: true, min: 1 },
    images: { integer: true, min: 1 },
    batchSize: { integer: true, min: 1 },
    l2: { min: 0 },
    labelSmoothing: { min: 0, max: 1 },
    clip: { min: 0 },
  });
  return { ...resolved, range: [lo!, hi!], seed: settings.seed ?? ANALYSIS_DEFAULTS.seed };
}

/** What merge needs besides the units (plan.json's context). */
interface LandscapeContext {
  settings: LandscapeRunSettings;
  data: AnalysisDataInfo;
  images: number;
  logZ: boolean;
  models: { label: string; source: string; preset: string }[];
}

/** The units of a landscape run: per model one unit per grid row, and a centre unit when the grid misses (0, 0). */
export function planLandscapeUnits(run: LandscapeRunSettings, models: readonly { label: string }[]): PlannedUnit[] {
  const axis = landscapeAxis(run);
  const hasCentre = axis.includes(0);
  const units: PlannedUnit[] = [];
  for (const m of models) {
    for (let row = 0; row < axis.length; row++) units.push({ index: units.length, kind: 'landscape-row', model: m.label, position: row, products: axis.length });
    if (!hasCentre) units.push({ index: units.length, kind: 'landscape-centre', model: m.label, position: 0, products: 1 });
  }
  return units;
}

function surfaceOf(label: string, source: string, preset: string, seconds: number, surface: LossLandscape, clip: number): LandscapeSurface {
  const flat = surface.loss.flat();
  const summary = {
    centreLoss: surface.centre.loss,
    centreAccuracy: surface.centre.accuracy,
    min: Math.min(...flat),
    max: Math.max(...flat),
    meanRise: flat.reduce((a, b) => a + b, 0) / flat.length - surface.centre.loss,
  };
  return { label, source, preset, seconds, summary, clipped: clipLandscape(surface.loss, clip), ...surface };
}

/** landscape.json from the plan and its units, in plan order. */
export function reduceLandscapeUnits(plan: UnitPlanFile, units: ReadonlyMap<number, UnitRecord>): LandscapeReport {
  const ctx = plan.context as LandscapeContext;
  let total = 0;
  const surfaces = ctx.models.map((m) => {
    const mine = plan.units.filter((u) => u.model === m.label);
    const seconds = mine.reduce((a, u) => a + units.get(u.index)!.seconds, 0);
    total += seconds;
    const rows = mine.filter((u) => u.kind === 'landscape-row').sort((a, b) => (a.position ?? 0) - (b.position ?? 0)).map((u) => units.get(u.index)!.result as LandscapeRow);
    const centreUnit = mine.find((u) => u.kind === 'landscape-centre');
    const centre = centreUnit ? (units.get(centreUnit.index)!.result as LossLandscape['centre']) : undefined;
    const surface = reduceLandscapeRows(rows, ctx.settings, ctx.images, centre);
    return surfaceOf(m.label, m.source, m.preset, Math.round(seconds * 10) / 10, surface, ctx.settings.clip);
  });
  return {
    analysis: 'landscape',
    description: 'loss(w + x d1 + y d2) in evaluation mode; loss[j][i] at (x[i], y[j]); d1, d2 Gaussian, normalised to the weights, zero on 1-D and position parameters',
    protocol: ctx.settings.protocol,
    protocolDescription: LANDSCAPE_PROTOCOLS.protocols[ctx.settings.protocol].description,
    data: ctx.data,
    settings: ctx.settings,
    seconds: Math.round(total * 10) / 10,
    models: surfaces,
  };
}

/** Reduces a landscape run's units into landscape.json, landscape.csv and the figures (refusing foreign units). */
export async function mergeLandscapeRun(runDir: string, plan: UnitPlanFile, opts: RunOptions & { formats?: readonly ExportFormat[] } = {}): Promise<LandscapeExperimentResult> {
  const log = logOf(opts);
  const { units, missing } = collectUnits(runDir, plan);
  if (missing.length > 0) throw missingUnitsError(runDir, plan, missing);
  const report = reduceLandscapeUnits(plan, units);
  const ctx = plan.context as LandscapeContext;
  await faultPoint('merge-summary');
  await writeJsonAtomic(path.join(runDir, 'landscape.json'), report);
  const surfaces = report.models;
  await writeCsv(
    path.join(runDir, 'landscape.csv'),
    ['label', 'x', 'y', 'loss', 'nll', 'accuracy'],
    surfaces.flatMap((s) => s.y.flatMap((yv, j) => s.x.map((xv, i) => [s.label, xv, yv, s.loss[j]![i], s.nll[j]![i], s.accuracy[j]![i]]))),
  );
  for (const s of surfaces)
    log(
      `[landscape] ${s.label}: centre loss ${s.summary.centreLoss.toFixed(3)}, accuracy ${s.summary.centreAccuracy.toFixed(1)}%, ` +
        `max ${s.summary.max.toFixed(3)}, mean rise over the grid ${s.summary.meanRise.toFixed(3)}`,
    );
  const figures = await exportAnalysisFigures(() => landscapeFigures(surfaces, { clip: ctx.settings.clip, logZ: ctx.logZ }), runDir, opts.formats, opts);
  return { ...report, runDir, figures, status: 'complete', units: { done: units.size, total: plan.totalUnits } };
}

export async function runLandscapeExperiment(settings: LandscapeExperimentSettings, opts: RunOptions = {}): Promise<LandscapeExperimentResult> {
  const start = Date.now();
  const log = logOf(opts);
  const resolved = resolveLandscapeSettings(settings);
  const dataset = await openAnalysisData(settings, opts);
  const models = await loadAnalysisModels(settings, opts, dataset);
  try {
    // labels required and one input transform for all models (loadAnalysisImages); the run folder is runPlannedUnits' (locked)
    const images = await loadAnalysisImages(settings, opts, 'train', resolved.images, models, resolved.augment, dataset);
    let batches: LandscapeBatch[];
    try {
      // One fixed, seeded sample of augmented images and targets for every grid point (the authors draw
      // fresh augmentations at each point; a fixed sample keeps that noise out of the surface).
      batches = await trainingTargetBatches(images.x, images.y, {
        batchSize: resolved.batchSize, numClasses: images.numClasses, mix: resolved.mix, labelSmoothing: resolved.labelSmoothing, seed: resolved.seed,
      });
    } finally {
      images.x.dispose();
    }
    try {
      const data: AnalysisDataInfo = { source: images.source, dir: images.dir, split: 'train', images: images.count, preprocess: images.preprocess };
      const units = planLandscapeUnits(resolved, models);
      const context: LandscapeContext = {
        settings: resolved, data, images: batches.reduce((a, b) => a + b.y.length, 0), logZ: settings.logZ ?? (LOG_Z_OPTION.default as boolean),
        models: models.map((m) => ({ label: m.label, source: m.source, preset: m.model.config.preset })),
      };
      const plan: UnitPlanFile = {
        analysis: 'landscape', totalUnits: units.length, shards: 1, units, createdAt: new Date().toISOString(), models: plannedModels(models), context,
        settingsKey: stableHash({ settings: resolved, data: { source: data.source, images: data.images, preprocess: data.preprocess } }),
      };
      const per = resolved.resolution;
      log(`[landscape] plan: ${units.length} units (${models.length} model${models.length > 1 ? 's' : ''} × ${per} rows of ${per} points${units.length > models.length * per ? ' + the centre' : ''})`);
      const out = settings.planOnly
        ? { status: 'planned' as const, units: { done: 0, total: units.length }, runDir: '', merged: null }
        : await runPlannedUnits(
            'landscape', settings, plan,
            async (unit) => {
              const m = models.find((x) => x.label === unit.model)!;
              const lopts = {
                resolution: resolved.resolution, range: resolved.range, seed: resolved.seed, normalization: resolved.normalization,
                l2: resolved.l2, labelSmoothing: resolved.labelSmoothing,
              };
              if (unit.kind === 'landscape-centre') return evaluateAt(m.model, batches, m.model.params as ReadonlyMap<string, tf.Tensor>, lopts);
              log(`[landscape] ${m.label}: row ${(unit.position ?? 0) + 1}/${per}`);
              return landscapeRow(m.model, batches, unit.position ?? 0, lopts);
            },
            (runDir, p) => mergeLandscapeRun(runDir, p, { ...opts, formats: settings.formats }),
            { signal: opts.signal, log, afterUnits: () => verifyModelsUnchanged('landscape', models) },
          );
      if (out.merged) {
        log(`[landscape] done in ${secondsSince(start)} s; results in ${out.runDir}`);
        return out.merged;
      }
      return {
        analysis: 'landscape', description: '', protocol: resolved.protocol, protocolDescription: LANDSCAPE_PROTOCOLS.protocols[resolved.protocol].description,
        data, settings: resolved, seconds: secondsSince(start), models: [], runDir: out.runDir, figures: [], status: out.status, units: out.units,
      };
    } finally {
      for (const b of batches) tf.dispose([b.x, ...(b.targets ? [b.targets] : [])]);
    }
  } finally {
    disposeModels(models);
  }
}

/** One surface per model: the authors' loss − min with points above `clip` dropped (clip 0: the loss itself). */
export function landscapeFigures(surfaces: readonly LandscapeSurface[], opts: { clip: number; logZ?: boolean }): Figure[] {
  const { clip } = opts;
  const logZ = opts.logZ === true;
  return surfaces.map((s) => {
    // A log axis cannot show 0, so there the loss itself is drawn with the same points dropped.
    const z = clip > 0 ? (logZ ? s.clipped.map((row) => row.map((v) => v + s.summary.min)) : s.clipped) : s.loss;
    const title = `Loss landscape: ${s.label}${clip > 0 ? ` (loss − min, points > ${clip} dropped)` : ''}`;
    return lossLandscapeFigure({ label: s.label, x: s.x, y: s.y, z }, { name: `loss-landscape-${slug(s.label)}`, title, logZ });
  });
}
