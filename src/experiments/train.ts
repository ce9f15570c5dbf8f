// The training experiment: train(config) with progress and stop signal, then figures/training-curves.* of the run.
// The `train` command, the `all` job, the datasize study and the notebooks call runTrainExperiment.
import { exportFigures } from '../plots/export.ts';
import { trainingCurvesFigure } from '../plots/training.ts';
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

export interface TrainExperimentResult extends TrainResult {
  /** Numbers of the last epoch (absent when no epoch finished). */
  summary?: TrainSummary;
  /** Figure files written (empty when no epoch finished or the figure failed; the log says why). */
  figures: string[];
}

/** Trains one model and writes its training curves; the caller disposes `result.model`. */
export async function runTrainExperiment(settings: TrainSettings, opts: RunOptions = {}, hooks: Partial<TrainHooks> = {}): Promise<TrainExperimentResult> {
  const { formats = ['html'], curves = true, ...config } = settings;
  const log = logOf(opts);
  const result = await train(config, { log, signal: opts.signal, progress: opts.progress, ...hooks });
  const last = result.metrics.at(-1);
  const summary = last && { testAcc: last.test_acc, testNll: last.test_nll, trainNll: last.train_nll, imagesPerSec: last.images_per_sec, epochs: last.epoch };
  const figures = result.status === 'completed' && curves ? await writeTrainingFigure(result.runDir, [{ label: result.config.model, result }], formats, log) : [];
  return { ...result, summary, figures };
}

/** Writes figures/training-curves.* for one or more finished runs into `outDir`; a failure is logged, not thrown. */
export async function writeTrainingFigure(
  outDir: string,
  runs: readonly { label: string; result: Pick<TrainResult, 'metrics'> }[],
  formats: readonly ExportFormat[],
  log: (m: string) => void,
): Promise<string[]> {
  try {
    const series = runs.filter((r) => r.result.metrics.length > 0).map((r) => curvesFromMetrics(r.label, r.result.metrics));
    if (series.length === 0) return [];
    const written = await exportFigures([trainingCurvesFigure(series, { name: 'training-curves' })], outDir, { formats: [...formats], warn: log });
    log(`[train] figures: ${written.filter((w) => !w.endsWith('.json')).join(', ')}`);
    return written;
  } catch (err) {
    log(`[train] WARNING: could not write the training-curves figure: ${(err as Error).message}`);
    return [];
  }
}
