// The training experiment: train(config) with progress and stop signal, then figures/training-curves.* of the run.
// The `train` command, the `all` job, the datasize study and the notebooks call runTrainExperiment.
import { existsSync, readFileSync } from 'node:fs';
import * as path from 'node:path';
import { writeFileAtomic } from '../io/atomic.ts';
import { exportFigures } from '../plots/export.ts';
import type { Figure } from '../plots/figure.ts';
import { stepLossFigure, trainingCurvesFigure, type StepLoss } from '../plots/training.ts';
import { TRAIN_OPTIONS, type TrainConfig } from '../train/config.ts';
import { curvesFromMetrics } from '../train/metrics-log.ts';
import { train, type TrainHooks, type TrainResult } from '../train/train.ts';
import type { OptionSpec } from '../util/settings.ts';
import { FIGURE_FORMAT_OPTION, logOf, type ExportFormat, type RunOptions } from './run-options.ts';

/** The settings schema of `train` (flags, --help and --config of the command come from it). */
export const TRAIN_SETTINGS: readonly OptionSpec[] = [...TRAIN_OPTIONS, FIGURE_FORMAT_OPTION];

/** A training run: any TrainConfig field (defaults: the paper's recipe) plus the figure formats. */
export type TrainSettings = Partial<TrainConfig> & {
  model: string;
  formats?: ExportFormat[];
  /** Write figures/training-curves.* (default true; the datasize study's sub-runs do not). */
  curves?: boolean;
};

export interface TrainSummary {
  testAcc: number;
  testNll: number;
  trainNll: number;
  imagesPerSec: number;
  epochs: number;
}

/** The loss at every training step of a run (also <runDir>/steps.csv). */
export interface StepRecord {
  step: number;
  epoch: number;
  loss: number;
  lr: number;
}

export interface TrainExperimentResult extends TrainResult {
  /** Every step's training loss, earlier sessions of a resumed run included. */
  steps: StepRecord[];
  /** Numbers of the last epoch (absent when no epoch finished). */
  summary?: TrainSummary;
  /** Figure files written (empty when no epoch finished or the figure failed; the log says why). */
  figures: string[];
}

/** Trains one model and writes its training curves; the caller disposes `result.model`. */
export async function runTrainExperiment(settings: TrainSettings, opts: RunOptions = {}, hooks: Partial<TrainHooks> = {}): Promise<TrainExperimentResult> {
  const { formats = ['html'], curves = true, ...config } = settings;
  const log = logOf(opts);
  const fresh: StepRecord[] = [];
  const onStep: TrainHooks['onStep'] = (s) => {
    fresh.push({ step: s.step, epoch: s.epoch, loss: s.loss, lr: s.lr });
    hooks.onStep?.(s);
  };
  const result = await train(config, { log, signal: opts.signal, progress: opts.progress, ...hooks, onStep });
  const steps = await writeSteps(result.runDir, fresh);
  const last = result.metrics.at(-1);
  const summary = last && { testAcc: last.test_acc, testNll: last.test_nll, trainNll: last.train_nll, imagesPerSec: last.images_per_sec, epochs: last.epoch };
  const figures = result.status === 'completed' && curves ? await writeTrainingFigure(result.runDir, [{ label: result.config.model, result: { ...result, steps } }], formats, log) : [];
  return { ...result, steps, summary, figures };
}

const STEP_COLUMNS = ['step', 'epoch', 'loss', 'lr'] as const;

/** Reads <runDir>/steps.csv (empty when absent or unreadable: the curve is a convenience, the metrics are in metrics.csv). */
export function readSteps(runDir: string): StepRecord[] {
  const file = path.join(runDir, 'steps.csv');
  if (!existsSync(file)) return [];
  const [head, ...rows] = readFileSync(file, 'utf8').trim().split('\n');
  if (head !== STEP_COLUMNS.join(',')) return [];
  return rows.map((r) => r.split(',').map(Number)).filter((v) => v.length === 4 && v.every(Number.isFinite)).map(([step, epoch, loss, lr]) => ({ step: step!, epoch: epoch!, loss: loss!, lr: lr! }));
}

/** Adds this session's steps to those of earlier sessions (a resumed run) and writes <runDir>/steps.csv. */
async function writeSteps(runDir: string, fresh: StepRecord[]): Promise<StepRecord[]> {
  const first = fresh[0]?.step ?? Infinity;
  const steps = [...readSteps(runDir).filter((s) => s.step < first), ...fresh];
  if (fresh.length > 0)
    await writeFileAtomic(path.join(runDir, 'steps.csv'), [STEP_COLUMNS.join(','), ...steps.map((s) => STEP_COLUMNS.map((c) => s[c]).join(','))].join('\n') + '\n');
  return steps;
}

/** Writes figures/training-curves.* for one or more finished runs into `outDir`; a failure is logged, not thrown. */
export async function writeTrainingFigure(
  outDir: string,
  runs: readonly { label: string; result: Pick<TrainResult, 'metrics'> & { steps?: readonly StepRecord[] } }[],
  formats: readonly ExportFormat[],
  log: (m: string) => void,
): Promise<string[]> {
  try {
    const series = runs.filter((r) => r.result.metrics.length > 0).map((r) => curvesFromMetrics(r.label, r.result.metrics));
    const stepSeries: StepLoss[] = runs
      .filter((r) => (r.result.steps?.length ?? 0) > 0)
      .map((r) => ({ label: r.label, step: r.result.steps!.map((s) => s.step), loss: r.result.steps!.map((s) => s.loss) }));
    const figures: Figure[] = [];
    if (stepSeries.length > 0) figures.push(stepLossFigure(stepSeries));
    if (series.length > 0) figures.push(trainingCurvesFigure(series, { name: 'training-curves' }));
    if (figures.length === 0) return [];
    const written = await exportFigures(figures, outDir, { formats: [...formats], warn: log });
    log(`[train] figures: ${written.filter((w) => !w.endsWith('.json')).join(', ')}`);
    return written;
  } catch (err) {
    log(`[train] WARNING: could not write the training-curves figure: ${(err as Error).message}`);
    return [];
  }
}
