// Shared by the train, datasize and all commands: option values → TrainConfig (parsing), and the CLI context
// (progress bar, log, Ctrl-C signal) as an experiment's RunOptions. The work is in src/experiments/.
import type { CommandContext, OptionValues } from './command.ts';
import { OptionError } from './options.ts';
import { listPresets } from '../models/index.ts';
import { trainConfigFromOptions, type TrainConfig } from '../train/config.ts';
import type { RunOptions } from '../experiments/run-options.ts';
import type { ExportFormat } from '../plots/export.ts';

export { FIGURE_FORMAT_OPTION } from '../experiments/run-options.ts';

export function trainConfigOrExplain(opts: OptionValues): TrainConfig {
  if (typeof opts.model !== 'string' || opts.model === '')
    throw new OptionError(`train: no model given; pass --model <preset> or --config configs/<preset>.json. Presets: ${listPresets().join(', ')}`);
  return trainConfigFromOptions(opts);
}

/** The command context as the RunOptions every experiment takes. */
export function runOptionsOf(ctx: CommandContext): RunOptions {
  return { log: (m) => ctx.log(m), signal: ctx.signal, progress: ctx.progress ? (p) => ctx.progress!(p) : undefined };
}

/** The `--formats` option's value (html when absent). */
export function formatsOf(opts: OptionValues): ExportFormat[] {
  return ((opts.formats as string[] | undefined) ?? ['html']) as ExportFormat[];
}
