// Every `npm run experiment <name>` command is one of these: src/cli/registry.ts discovers every
// src/cli/commands/<name>.ts that exports `command: Command`, so commands plug in without editing main.
// Options arrive kebab-case keyed (`opts['train-size']`), typed and defaulted; the shared options
// (backend, data, run, results, seed; src/cli/options.ts SHARED_OPTIONS) are accepted by every command.
import type { Progress, ProgressOptions } from '../util/progress.ts';

import type { OptionSpec, OptionValues } from '../util/settings.ts';

export type { OptionSpec, OptionType, OptionValues } from '../util/settings.ts';

export interface CommandContext {
  /** Write progress to stderr as a bar on a terminal, as plain lines otherwise. */
  log(message: string): void;
  /** Aborted on Ctrl-C / SIGTERM: long loops check it and checkpoint before returning. */
  signal: AbortSignal;
  /** A progress bar (stderr, TTY) or periodic plain lines (not a TTY); absent in bare contexts such as tests. */
  progress?(opts: ProgressOptions): Progress;
}

export interface Command {
  name: string;
  summary: string;
  options: readonly OptionSpec[];
  /** false: the command computes nothing (e.g. `view`), so main does not initialise a tensor backend. */
  needsBackend?: boolean;
  run(opts: OptionValues, ctx: CommandContext): Promise<void>;
}
