// The main job (README): trains the CPU-sized presets briefly (configs/<preset>.json, on the default data:
// loadCifar falls back to the generated set, loudly), then runs every analysis experiment on their checkpoints
// with the analyses' defaults (the Hessian also on the end-of-warm-up checkpoints, as the paper), writes the
// figures and <run>/report.html. Layout: <run>/train/<preset>/ (training runs), <run>/<analysis>/, <run>/all.json.
import { existsSync } from 'node:fs';
import * as path from 'node:path';
import { fileURLToPath } from 'node:url';
import { writeJsonAtomic } from '../io/atomic.ts';
import { chooseRunDir } from '../io/run-dir.ts';
import { resolveCheckpointDir } from '../models/index.ts';
import type { ExportFormat } from '../plots/export.ts';
import { writeReport } from '../plots/report.ts';
import { isExpectedError } from '../util/errors.ts';
import { OptionError, type OptionSpec } from '../util/settings.ts';
import { ANALYSIS_DEFAULTS, type AnalysisSettings } from './analysis-support.ts';
import { runFourierExperiment } from './fourier.ts';
import { runHessianExperiment } from './hessian.ts';
import { runLandscapeExperiment } from './landscape.ts';
import { runNoiseExperiment } from './noise.ts';
import { FIGURE_FORMAT_OPTION, logOf, type RunOptions } from './run-options.ts';
import { runTrainExperiment, writeTrainingFigure, type TrainExperimentResult, type TrainSummary } from './train.ts';
import { trainSettingsFromFile } from './trained-model.ts';
import { runVarianceExperiment } from './variance.ts';

/** The analysis experiments the main job runs, in this order, each on the job's models and data with its defaults. */
const ANALYSIS_EXPERIMENTS = {
  hessian: runHessianExperiment,
  fourier: runFourierExperiment,
  noise: runNoiseExperiment,
  variance: runVarianceExperiment,
  landscape: runLandscapeExperiment,
} satisfies Record<string, (settings: AnalysisSettings, opts: RunOptions) => Promise<unknown>>;

export type AnalysisName = keyof typeof ANALYSIS_EXPERIMENTS;
export const ANALYSES: readonly AnalysisName[] = Object.keys(ANALYSIS_EXPERIMENTS) as AnalysisName[];

const CONFIG_DIR = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..', 'configs');

/** The options of `all` (flags, --help, --config). */
export const ALL_SETTINGS: readonly OptionSpec[] = [
  { name: 'models', type: 'list', default: ['vit-cpu', 'resnet-20'], help: 'presets to train (each with configs/<preset>.json when present)' },
  { name: 'config-dir', type: 'string', default: CONFIG_DIR, help: 'where the per-preset training configs are' },
  { name: 'analyses', type: 'list', default: [...ANALYSES], help: `analyses to run (${ANALYSES.join(', ')}; other names are skipped)` },
  { name: 'epochs', type: 'integer', help: "override the configs' epochs" },
  { name: 'train-size', type: 'integer', help: "override the configs' training-set size" },
  { name: 'steps-per-epoch', type: 'integer', help: "override the configs' cap on batches per epoch" },
  { name: 'skip-train', type: 'boolean', default: false, help: 'reuse the checkpoints of an earlier all run' },
  { name: 'resume', type: 'boolean', default: false, help: 'resume interrupted training runs' },
  FIGURE_FORMAT_OPTION,
];

function defaultOf<T>(name: string): T {
  return ALL_SETTINGS.find((s) => s.name === name)!.default as T;
}

export interface AllSettings {
  /** Presets to train (default vit-cpu, resnet-20). */
  models?: readonly string[];
  /** Where configs/<preset>.json are (default the repository's configs/). */
  configDir?: string;
  analyses?: readonly string[];
  /** Overrides of the configs. */
  epochs?: number;
  trainSize?: number;
  stepsPerEpoch?: number;
  /** Reuse the checkpoints of an earlier run (the newest all-… run unless `run` names one). */
  skipTrain?: boolean;
  /** Resume interrupted training runs (the newest all-… run unless `run` names one). */
  resume?: boolean;
  formats?: readonly ExportFormat[];
  /** Passed to training and every analysis. */
  data?: string;
  seed?: number;
  /** Recorded in the training configs (the caller initialises the backend). */
  backend?: string;
  results?: string;
  run?: string;
}

export interface StageRecord {
  stage: string;
  status: 'ok' | 'skipped' | 'failed' | 'interrupted';
  seconds: number;
  detail?: string;
}

export interface TrainingNumbers {
  testAcc: number;
  testNll: number;
  trainNll: number;
  imagesPerSec: number;
  epochSeconds: number;
}

export interface AllResult {
  runDir: string;
  stages: StageRecord[];
  /** The last epoch's numbers of each trained model (null when no epoch finished). */
  training: Record<string, TrainingNumbers | null>;
  /** Training stopped by the signal: no analysis ran (rerun with resume). */
  interrupted: boolean;
  /** Analyses that failed (their messages are in the log and in stages). */
  failures: string[];
  /** report.html, when written. */
  report?: string;
}

function checkAllSettings(s: AllSettings): void {
  const models = s.models ?? defaultOf<string[]>('models');
  if (models.filter((m) => m !== '').length === 0) throw new OptionError("all: option '--models' is empty, expected presets such as vit-cpu,resnet-20");
  for (const key of ['epochs', 'trainSize', 'stepsPerEpoch'] as const) {
    const v = s[key];
    if (v !== undefined && !(Number.isInteger(v) && v > 0))
      throw new OptionError(`all: option '--${key.replace(/[A-Z]/g, (c) => '-' + c.toLowerCase())}' is ${JSON.stringify(v)}, expected a positive integer`);
  }
}

/** Runs the main job; throws only for settings that cannot work or a failed training (analysis failures are in `failures`). */
export async function runAllExperiment(settings: AllSettings, opts: RunOptions = {}): Promise<AllResult> {
  checkAllSettings(settings);
  const log = logOf(opts);
  const t0 = Date.now();
  const skipTrain = settings.skipTrain ?? defaultOf<boolean>('skip-train');
  const resume = settings.resume ?? defaultOf<boolean>('resume');
  const formats = settings.formats ?? ANALYSIS_DEFAULTS.formats;
  const { dir: runDir } = await chooseRunDir({
    results: settings.results ?? ANALYSIS_DEFAULTS.results, run: settings.run, prefix: 'all', reuse: resume || skipTrain, overwrite: true,
  });
  const models = (settings.models ?? defaultOf<string[]>('models')).filter((m) => m !== '');
  const stages: StageRecord[] = [];
  const training: Record<string, TrainingNumbers | null> = {};
  const summary = { command: 'all', options: settings, started: new Date(t0).toISOString(), stages, training };
  const save = () => writeJsonAtomic(path.join(runDir, 'all.json'), { ...summary, seconds: (Date.now() - t0) / 1000 });
  const result: AllResult = { runDir, stages, training, interrupted: false, failures: [] };

  // 1. Training.
  const trained: { label: string; result?: TrainExperimentResult; dir: string }[] = [];
  for (const model of models) {
    if (opts.signal?.aborted) break;
    const s0 = Date.now();
    const dir = path.join(runDir, 'train', model);
    if (skipTrain) {
      trained.push({ label: model, dir });
      stages.push({ stage: `train ${model}`, status: 'skipped', seconds: 0, detail: 'skip-train' });
      continue;
    }
    const file = path.join(settings.configDir ?? defaultOf<string>('config-dir'), `${model}.json`);
    const fromFile = existsSync(file) ? trainSettingsFromFile(file) : {};
    if (!existsSync(file)) log(`[all] no ${file}; training ${model} with the train command's defaults`);
    log(`[all] training ${model}${existsSync(file) ? ` (${path.relative(process.cwd(), file)})` : ''}`);
    const run = await runTrainExperiment(
      {
        ...fromFile,
        ...(settings.epochs !== undefined ? { epochs: settings.epochs } : {}),
        ...(settings.trainSize !== undefined ? { trainSize: settings.trainSize } : {}),
        ...(settings.stepsPerEpoch !== undefined ? { stepsPerEpoch: settings.stepsPerEpoch } : {}),
        backend: settings.backend, data: settings.data, seed: settings.seed,
        model, resume, results: path.join(runDir, 'train'), run: model, curves: false,
      },
      opts,
    );
    trained.push({ label: model, result: run, dir });
    training[model] = summaryOf(run.summary, run);
    stages.push({ stage: `train ${model}`, status: run.status === 'completed' ? 'ok' : 'interrupted', seconds: (Date.now() - s0) / 1000 });
    run.model.dispose();
    await save();
    if (run.status !== 'completed') {
      log('[all] interrupted during training; rerun with --resume to continue');
      result.interrupted = true;
      return result;
    }
  }
  const withResults = trained.filter((t): t is { label: string; result: TrainExperimentResult; dir: string } => t.result !== undefined);
  if (withResults.length) await writeTrainingFigure(runDir, withResults.map((t) => ({ label: t.label, result: t.result })), formats, log);

  // 2. Analyses on the final checkpoints (the Hessian also on the end-of-warm-up ones, as the paper).
  const finals = trained.map((t) => ({ label: t.label, dir: t.dir })).filter((t) => hasCheckpoint(t.dir));
  if (finals.length < trained.length) log(`[all] WARNING: no checkpoint for ${trained.filter((t) => !hasCheckpoint(t.dir)).map((t) => t.label).join(', ')}`);
  for (const name of settings.analyses ?? defaultOf<string[]>('analyses')) {
    if (opts.signal?.aborted) break;
    if (!(ANALYSES as readonly string[]).includes(name)) {
      log(`[all] skipping ${name}: not an analysis (${ANALYSES.join(', ')})`);
      stages.push({ stage: name, status: 'skipped', seconds: 0, detail: 'not an analysis' });
      continue;
    }
    let targets = finals;
    if (name === 'hessian') {
      const warm = finals.map((f) => ({ label: `${f.label} (warmup)`, dir: path.join(f.dir, 'checkpoints', 'warmup') })).filter((w) => existsSync(path.join(w.dir, 'model.json')));
      targets = [...warm, ...finals.map((f) => ({ label: `${f.label} (final)`, dir: f.dir }))];
    }
    const common: AnalysisSettings = {
      data: settings.data, seed: settings.seed, results: runDir, run: name, formats,
      checkpoints: targets.map((t) => t.dir), labels: targets.map((t) => t.label),
    };
    const s0 = Date.now();
    log(`[all] running ${name}`);
    try {
      await ANALYSIS_EXPERIMENTS[name as AnalysisName](common, opts);
      stages.push({ stage: name, status: opts.signal?.aborted ? 'interrupted' : 'ok', seconds: (Date.now() - s0) / 1000 });
    } catch (err) {
      // an expected error (bad data, options, checkpoint) is its message; anything else is a bug and keeps its stack
      log(`[all] ${name} failed: ${isExpectedError(err) && process.env.VITSCOPE_DEBUG !== '1' ? err.message : ((err as Error).stack ?? String(err))}`);
      stages.push({ stage: name, status: 'failed', seconds: (Date.now() - s0) / 1000, detail: (err as Error).message });
      result.failures.push(name);
    }
    await save();
  }

  // 3. Report.
  await save();
  try {
    result.report = await writeReport(runDir, { title: 'vitscope — all' });
    log(`[all] report: ${result.report}`);
  } catch (err) {
    log(`[all] WARNING: report not written: ${(err as Error).message}`);
  }
  log(`[all] done in ${((Date.now() - t0) / 60000).toFixed(1)} min: ` + stages.map((s) => `${s.stage} ${s.status} (${s.seconds.toFixed(0)} s)`).join(', '));
  return result;
}

function summaryOf(s: TrainSummary | undefined, run: TrainExperimentResult): TrainingNumbers | null {
  const last = run.metrics.at(-1);
  return s && last ? { testAcc: s.testAcc, testNll: s.testNll, trainNll: s.trainNll, imagesPerSec: s.imagesPerSec, epochSeconds: last.epoch_seconds } : null;
}

function hasCheckpoint(dir: string): boolean {
  try {
    resolveCheckpointDir(dir);
    return true;
  } catch {
    return false;
  }
}
