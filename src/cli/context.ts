// The CommandContext the CLI hands to commands: logging and progress through one Reporter on stderr,
// and an AbortSignal raised by Ctrl-C / SIGTERM (a second Ctrl-C exits at once).
import type { CommandContext } from './command.ts';
import { Reporter } from './progress.ts';

export interface CliContext extends CommandContext {
  reporter: Reporter;
  /** Removes the signal handlers. */
  dispose(): void;
}

export function createContext(opts: { reporter?: Reporter; handleSignals?: boolean } = {}): CliContext {
  const reporter = opts.reporter ?? new Reporter(process.stderr);
  const controller = new AbortController();
  let count = 0;
  const onSignal = (sig: NodeJS.Signals): void => {
    count++;
    if (count === 1) {
      reporter.log(`\n[vitscope] ${sig}: stopping after the current step and saving a checkpoint (press Ctrl-C again to exit now)`);
      controller.abort(new Error(`interrupted by ${sig}`));
    } else {
      reporter.log(`[vitscope] ${sig} again: exiting without saving`);
      process.exit(130);
    }
  };
  const handle = opts.handleSignals ?? true;
  if (handle) {
    process.on('SIGINT', onSignal);
    process.on('SIGTERM', onSignal);
  }
  return {
    reporter,
    log: (m) => reporter.log(m),
    signal: controller.signal,
    progress: (p) => reporter.progress(p),
    dispose: () => {
      if (handle) {
        process.off('SIGINT', onSignal);
        process.off('SIGTERM', onSignal);
      }
    },
  };
}

/** A context for tests and notebooks: logs to an array (or nowhere), no signal handlers. */
export function bareContext(opts: { signal?: AbortSignal; lines?: string[] } = {}): CommandContext {
  return {
    log: (m) => opts.lines?.push(m),
    signal: opts.signal ?? new AbortController().signal,
  };
}
