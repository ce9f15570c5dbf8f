// The data-size study (Park & Kim 2022, Fig. 3): one model per training-set fraction (class-balanced, seeded
// subsets) trained with the same recipe; records the final training NLL (on augmented data, as the paper) and
// the test error to <runDir>/datasize.{json,csv} and figures/data-size.*. Sub-runs live in <runDir>/runs/.
import { existsSync, promises as fs } from 'node:fs';
import * as path from 'node:path';
import { writeFileAtomic, writeJsonAtomic } from '../io/atomic.ts';
import { dataSizeFigure } from '../plots/datasize.ts';
import { exportFigures } from '../plots/export.ts';
import { TRAIN_OPTIONS, type TrainConfig } from '../train/config.ts';
import { readMetrics, type EpochMetrics } from '../train/metrics-log.ts';
import type { TrainHooks } from '../train/train.ts';
import type { OptionSpec } from '../util/settings.ts';
import { FIGURE_FORMAT_OPTION, logOf, type ExportFormat, type RunOptions } from './run-options.ts';
import { runTrainExperiment } from './train.ts';

/** The settings schema of `datasize`: the training options (train-size/train-fraction replaced per fraction) and its own. */
export const DATASIZE_SETTINGS: readonly OptionSpec[] = [
  ...TRAIN_OPTIONS,
  { name: 'fractions', type: 'list', default: ['0.02', '0.1', '0.5', '1.0'], help: 'training-set fractions (of the whole training set)' },
  { name: 'models', type: 'list', help: 'several presets, one series each (default: --model)' },
  FIGURE_FORMAT_OPTION,
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
  points: DataSizePoint[];
  /** True when a sub-run was interrupted (rerun with resume to continue). */
  interrupted: boolean;
}

/** Checks the study's own settings; the message names the setting, the value and what is valid. */
export function checkDataSizeSettings(s: Pick<DataSizeSettings, 'models' | 'fractions'>): void {
  if (s.fractions.length === 0) throw new RangeError("datasize: setting 'fractions' is empty, expected fractions in (0, 1]");
  for (const f of s.fractions) if (!(f > 0 && f <= 1)) throw new RangeError(`datasize: setting 'fractions' has ${f}, expected fractions in (0, 1]`);
  if (s.models.length === 0) throw new RangeError("datasize: setting 'models' is empty, expected at least one preset");
}

export async function runDataSize(settings: DataSizeSettings, opts: RunOptions = {}): Promise<DataSizeResult> {
  checkDataSizeSettings(settings);
  const log = logOf(opts);
  const { runDir } = settings;
  const subRoot = path.join(runDir, 'runs');
  const points: DataSizePoint[] = [];
  let interrupted = false;
  for (const model of settings.models) {
    for (const fraction of settings.fractions) {
      if (opts.signal?.aborted || interrupted) break;
      const run = `${model}-f${fraction}`;
      const sub = path.join(subRoot, run);
      let metrics: EpochMetrics[];
      if (settings.train.resume && existsSync(path.join(sub, 'checkpoints', 'final', 'model.json'))) {
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
          break;
        }
        metrics = result.metrics;
      }
      const last = metrics.at(-1);
      if (!last) continue;
      const cfg = JSON.parse(await fs.readFile(path.join(sub, 'config.json'), 'utf8')) as { resolved?: { trainImages?: number } };
      points.push({
        model, fraction, trainImages: cfg.resolved?.trainImages ?? NaN, epochs: last.epoch,
        trainNll: last.train_nll, testNll: last.test_nll, testError: 1 - last.test_acc, testAcc: last.test_acc, run: path.relative(runDir, sub),
      });
      await writeResults(runDir, points);
    }
  }
  if (points.length > 0) {
    await writeResults(runDir, points);
    try {
      const series = settings.models
        .map((m) => points.filter((p) => p.model === m))
        .filter((ps) => ps.length > 0)
        .map((ps) => ({ label: ps[0]!.model, fraction: ps.map((p) => p.fraction), trainNll: ps.map((p) => p.trainNll), testError: ps.map((p) => p.testError) }));
      await exportFigures([dataSizeFigure(series)], runDir, { formats: settings.formats ?? ['html'], warn: log });
    } catch (err) {
      log(`[datasize] WARNING: figure not written: ${(err as Error).message}`);
    }
  }
  return { runDir, points, interrupted };
}

async function writeResults(runDir: string, points: DataSizePoint[]): Promise<void> {
  await writeJsonAtomic(path.join(runDir, 'datasize.json'), { points });
  const cols: (keyof DataSizePoint)[] = ['model', 'fraction', 'trainImages', 'epochs', 'trainNll', 'testNll', 'testError', 'testAcc', 'run'];
  const csv = [cols.join(','), ...points.map((p) => cols.map((c) => String(p[c])).join(','))].join('\n') + '\n';
  await writeFileAtomic(path.join(runDir, 'datasize.csv'), csv);
}
