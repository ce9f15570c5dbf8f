// The data-size study (Park & Kim 2022, Fig. 3): one model per training-set fraction (class-balanced, seeded
// subsets) trained with the same recipe; records the final training NLL (on augmented data, as the paper) and
// the test error to <runDir>/datasize.{json,csv} and figures/data-size.*. Sub-runs live in <runDir>/runs/.
import { existsSync, promises as fs } from 'node:fs';
import * as path from 'node:path';
import { writeFileAtomic, writeJsonAtomic } from '../io/atomic.ts';
import { faultPoint } from '../io/fault-points.ts';
import { acquireLock } from '../io/lock-file.ts';
import {
  PLAN_FILE, UNITS_DIR, WHOLE_RUN, collectUnits, readUnitProgress, shardLockFile, shardName, stableHash, type PlannedUnit, type ShardSpec, type UnitPlanFile,
} from '../io/unit-store.ts';
import { dataSizeFigure } from '../plots/datasize.ts';
import { exportFigures } from '../plots/export.ts';
import { TRAIN_OPTIONS, type TrainConfig } from '../train/config.ts';
import { readMetrics, type EpochMetrics } from '../train/metrics-log.ts';
import type { TrainHooks } from '../train/train.ts';
import type { OptionSpec } from '../util/settings.ts';
import { FIGURE_FORMAT_OPTION, logOf, type ExportFormat, type RunOptions } from './run-options.ts';
import { runTrainExperiment } from './train.ts';
import { UNIT_INTERRUPTED, computeUnits, mergeLocked, missingUnitsError, type UnitLoopResult, type UnitRunStatus } from './unit-runner.ts';

/** The settings schema of `datasize`: the training options (train-size/train-fraction replaced per fraction) and its own. */
export const DATASIZE_SETTINGS: readonly OptionSpec[] = [
  ...TRAIN_OPTIONS,
  { name: 'fractions', type: 'list', default: ['0.02', '0.1', '0.5', '1.0'], help: 'training-set fractions (of the whole training set)' },
  { name: 'models', type: 'list', help: 'several presets, one series each (default: --model)' },
  FIGURE_FORMAT_OPTION,
  { name: 'shard', type: 'string', help: "train only shard i of n ('i/n'): the (model, fraction) units at positions p with p % n == i; needs --run (all shards share it)" },
];

export interface DataSizeSettings {
  /** The recipe every sub-run uses (its model, trainSize and trainFraction are replaced). */
  train: Partial<TrainConfig>;
  models: readonly string[];
  fractions: readonly number[];
  /** Where the study writes (the caller chooses it: src/cli/run-dir.ts for the CLI). */
  runDir: string;
  formats?: ExportFormat[];
  /** Images to use instead of loading CIFAR-100 (notebooks, tests); each fraction subsets its training part. */
  data?: TrainHooks['data'];
  /** Train only this shard's (model, fraction) units (src/io/unit-store.ts); all shards share runDir. */
  shard?: ShardSpec;
}

export interface DataSizePoint {
  model: string;
  fraction: number;
  trainImages: number;
  epochs: number;
  trainNll: number;
  testNll: number;
  testError: number;
  testAcc: number;
  run: string;
}

export interface DataSizeResult {
  runDir: string;
  /** The merged points (empty unless status is complete). */
  points: DataSizePoint[];
  /** True when a sub-run was interrupted (rerun with resume to continue). */
  interrupted: boolean;
  status: UnitRunStatus;
}

/** Checks the study's own settings; the message names the setting, the value and what is valid. */
export function checkDataSizeSettings(s: Pick<DataSizeSettings, 'models' | 'fractions'>): void {
  if (s.fractions.length === 0) throw new RangeError("datasize: setting 'fractions' is empty, expected fractions in (0, 1]");
  for (const f of s.fractions) if (!(f > 0 && f <= 1)) throw new RangeError(`datasize: setting 'fractions' has ${f}, expected fractions in (0, 1]`);
  if (s.models.length === 0) throw new RangeError("datasize: setting 'models' is empty, expected at least one preset");
}

/** The units of a data-size study: one per (model, fraction), models outer, fractions in the order given. */
export function planDataSizeUnits(s: Pick<DataSizeSettings, 'models' | 'fractions'>): PlannedUnit[] {
  return s.models.flatMap((model, m) => s.fractions.map((_, f) => ({ index: m * s.fractions.length + f, kind: 'datasize-fraction', model, position: f })));
}

function dataSizePlan(settings: DataSizeSettings): UnitPlanFile {
  const units = planDataSizeUnits(settings);
  const { resume: _resume, ...recipe } = settings.train;
  // no weights are loaded: a model's "fingerprint" is its preset and the recipe it is trained with
  const models = settings.models.map((label) => ({ label, fingerprint: stableHash({ preset: label, recipe }) }));
  return {
    analysis: 'datasize', totalUnits: units.length, shards: 1, units, createdAt: new Date().toISOString(), models,
    settingsKey: stableHash({ recipe, models: settings.models, fractions: settings.fractions }),
    context: { models: settings.models, fractions: settings.fractions, formats: settings.formats ?? ['html'] },
  };
}

/** datasize.json, datasize.csv and the figure from the units (in plan order); refuses foreign units. */
export async function mergeDataSizeRun(runDir: string, plan: UnitPlanFile, opts: RunOptions & { formats?: readonly ExportFormat[] } = {}): Promise<{ runDir: string; figures: string[]; points: DataSizePoint[] }> {
  const log = logOf(opts);
  const { units, missing } = collectUnits(runDir, plan);
  if (missing.length > 0) throw missingUnitsError(runDir, plan, missing);
  const points = plan.units.map((u) => units.get(u.index)!.result as DataSizePoint).filter((p) => p !== null);
  await faultPoint('merge-summary');
  await writeResults(runDir, points);
  const ctx = plan.context as { models: string[]; formats: ExportFormat[] };
  let figures: string[] = [];
  try {
    const series = ctx.models
      .map((m) => points.filter((p) => p.model === m))
      .filter((ps) => ps.length > 0)
      .map((ps) => ({ label: ps[0]!.model, fraction: ps.map((p) => p.fraction), trainNll: ps.map((p) => p.trainNll), testError: ps.map((p) => p.testError) }));
    if (series.length > 0) figures = await exportFigures([dataSizeFigure(series)], runDir, { formats: [...(opts.formats ?? ctx.formats)], warn: log });
  } catch (err) {
    log(`[datasize] WARNING: figure not written: ${(err as Error).message}`);
  }
  return { runDir, figures, points };
}

/**
 * One training run per (model, fraction) — a unit each, recorded in <runDir>/units/ when its run finishes; with a
 * shard only that shard's units. A sub-run resumes on its own (train's --resume); the study merges when all units
 * are present (datasize.json, csv and figure).
 */
export async function runDataSize(settings: DataSizeSettings, opts: RunOptions = {}): Promise<DataSizeResult> {
  checkDataSizeSettings(settings);
  const log = logOf(opts);
  const { runDir } = settings;
  const shard = settings.shard ?? WHOLE_RUN;
  const subRoot = path.join(runDir, 'runs');
  const plan = dataSizePlan(settings);
  await fs.mkdir(runDir, { recursive: true });
  const lock = acquireLock(shardLockFile(runDir, shard), `datasize ${shardName(shard)}`);
  let interrupted = false;
  let loop: UnitLoopResult;
  try {
    if (!settings.train.resume && shard.count === 1)
      for (const entry of [PLAN_FILE, UNITS_DIR]) await fs.rm(path.join(runDir, entry), { recursive: true, force: true });
    loop = await computeUnits({ runDir, shard, release: () => lock.release() }, plan, async (unit) => {
      const model = unit.model;
      const fraction = settings.fractions[unit.position ?? 0]!;
      const run = `${model}-f${fraction}`;
      const sub = path.join(subRoot, run);
      let metrics: EpochMetrics[];
      if (existsSync(path.join(sub, 'checkpoints', 'final', 'model.json')) && settings.train.resume) {
        log(`[datasize] ${run}: finished earlier, reading its metrics`);
        metrics = await readMetrics(sub);
      } else {
        log(`[datasize] ${model} on ${(fraction * 100).toFixed(3).replace(/\.?0+$/, '')}% of the training set`);
        const result = await runTrainExperiment(
          { ...settings.train, trainSize: undefined, model, run, results: subRoot, trainFraction: fraction, curves: false },
          opts,
          settings.data ? { data: settings.data } : {},
        );
        result.model.dispose();
        if (result.status !== 'completed') {
          log(`[datasize] interrupted in ${run}; rerun with resume to continue`);
          interrupted = true;
          return UNIT_INTERRUPTED;
        }
        metrics = result.metrics;
      }
      const last = metrics.at(-1);
      if (!last) return null;
      const cfg = JSON.parse(await fs.readFile(path.join(sub, 'config.json'), 'utf8')) as { resolved?: { trainImages?: number } };
      const point: DataSizePoint = {
        model, fraction, trainImages: cfg.resolved?.trainImages ?? NaN, epochs: last.epoch,
        trainNll: last.train_nll, testNll: last.test_nll, testError: 1 - last.test_acc, testAcc: last.test_acc, run: path.relative(runDir, sub),
      };
      return point;
    }, { signal: opts.signal, log, label: 'datasize' });
  } finally {
    lock.release();
  }
  const done = loop!;
  if (done.stopped || interrupted) return { runDir, points: [], interrupted: true, status: 'stopped' };
  const progress = readUnitProgress(runDir);
  if (progress.done < progress.total) return { runDir, points: [], interrupted: false, status: 'shard-done' };
  const merged = await mergeLocked(runDir, 'datasize', () => mergeDataSizeRun(runDir, done.plan, { ...opts, formats: settings.formats }));
  return { runDir, points: merged?.points ?? [], interrupted: false, status: merged ? 'complete' : 'shard-done' };
}

async function writeResults(runDir: string, points: DataSizePoint[]): Promise<void> {
  await writeJsonAtomic(path.join(runDir, 'datasize.json'), { points });
  const cols: (keyof DataSizePoint)[] = ['model', 'fraction', 'trainImages', 'epochs', 'trainNll', 'testNll', 'testError', 'testAcc', 'run'];
  const csv = [cols.join(','), ...points.map((p) => cols.map((c) => String(p[c])).join(','))].join('\n') + '\n';
  await writeFileAtomic(path.join(runDir, 'datasize.csv'), csv);
}
