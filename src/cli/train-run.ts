// Shared by the train, datasize and all commands: option values → TrainConfig → train() with the CLI's
// progress, logging and Ctrl-C handling; then the training-curves figure.
import type { CommandContext, OptionSpec, OptionValues } from './command.ts';
import { OptionError } from './options.ts';
import { listPresets } from '../models/configs.ts';
import { trainConfigFromOptions, type TrainConfig } from '../train/config.ts';
import { curvesFromMetrics } from '../train/metrics-log.ts';
import { train, type TrainHooks, type TrainResult } from '../train/train.ts';

export const FIGURE_FORMAT_OPTION: OptionSpec = {
  name: 'formats',
  type: 'list',
  default: ['html'],
  choices: ['html', 'svg', 'png'],
  help: 'figure formats (svg/png need Chromium)',
};

export function trainConfigOrExplain(opts: OptionValues): TrainConfig {
  if (typeof opts.model !== 'string' || opts.model === '')
    throw new OptionError(`train: no model given; pass --model <preset> or --config configs/<preset>.json. Presets: ${listPresets().join(', ')}`);
  return trainConfigFromOptions(opts);
}

/** Runs train() for a command, wired to the context (progress bar, log, abort signal). */
export async function runTraining(config: Partial<TrainConfig>, ctx: CommandContext, extra: Partial<TrainHooks> = {}): Promise<TrainResult> {
  return train(config, { log: (m) => ctx.log(m), signal: ctx.signal, progress: ctx.progress ? (p) => ctx.progress!(p) : undefined, ...extra });
}

/** Writes figures/training-curves.* for one or more finished runs into `outDir`. */
export async function writeTrainingFigure(outDir: string, runs: { label: string; result: TrainResult }[], formats: string[], ctx: CommandContext): Promise<void> {
  try {
    const { trainingCurvesFigure } = await import('../plots/training.ts');
    const { exportFigures } = await import('../plots/export.ts');
    const series = runs.filter((r) => r.result.metrics.length > 0).map((r) => curvesFromMetrics(r.label, r.result.metrics));
    if (series.length === 0) return;
    const written = await exportFigures([trainingCurvesFigure(series, { name: 'training-curves' })], outDir, {
      formats: formats as ('html' | 'svg' | 'png')[],
      warn: (m) => ctx.log(m),
    });
    ctx.log(`[train] figures: ${written.filter((w) => !w.endsWith('.json')).join(', ')}`);
  } catch (err) {
    ctx.log(`[train] WARNING: could not write the training-curves figure: ${(err as Error).message}`);
  }
}
