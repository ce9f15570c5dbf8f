// What every experiment's run(settings, options) accepts: where progress and log lines go, and a stop signal.
// The CLI passes its stderr bar and Ctrl-C signal; a notebook passes its own progress display.
import type { OptionSpec } from '../util/settings.ts';
import type { ProgressFactory } from '../util/progress.ts';
import type { ExportFormat } from '../plots/export.ts';

export interface RunOptions {
  progress?: ProgressFactory;
  /** Aborting stops long loops at the next step (training saves an `interrupted` checkpoint). */
  signal?: AbortSignal;
  log?(message: string): void;
}

/** The figure formats an experiment writes (svg/png render through headless Chromium). */
export const FIGURE_FORMAT_OPTION: OptionSpec = {
  name: 'formats',
  type: 'list',
  default: ['html'],
  choices: ['html', 'svg', 'png'],
  help: 'figure formats (svg/png need Chromium)',
};

export function logOf(opts: RunOptions): (message: string) => void {
  return opts.log ?? ((m: string) => console.error(m));
}

export type { ExportFormat };
