// `npm run experiment <command> -- [options]`: finds the command in the registry, resolves its options
// (defaults < --config file < flags), initialises the backend from --backend, and runs it with a context
// whose signal is aborted on Ctrl-C / SIGTERM. Expected errors (src/util/errors.ts: bad data, options,
// config files, checkpoints, run folders, a full disk) print one message and no stack; anything else is a
// bug and keeps its stack. VITSCOPE_DEBUG=1 prints stacks for all.
import * as path from 'node:path';
import { pathToFileURL } from 'node:url';
import { initBackend, type BackendName } from '../backend/select.ts';
import { createContext } from './context.ts';
import { commandHelp, globalHelp } from './help.ts';
import { resolveOptions } from './options.ts';
import { getRegistry, loadCommand } from './registry.ts';
import { describeSystemError, isExpectedError, isSystemErrorUserCanFix } from '../util/errors.ts';

/** True when VITSCOPE_DEBUG asks for stacks of every error. */
function debugStacks(): boolean {
  const v = process.env.VITSCOPE_DEBUG;
  return v !== undefined && v !== '' && v !== '0' && v !== 'false';
}

/**
 * The report of an error that ended a command, and the exit status: expected errors and system errors the user
 * can fix (full disk, permissions, missing paths) give their message alone; other errors their stack.
 */
export function reportError(command: string, err: unknown): { text: string; exitCode: number } {
  const stack = err instanceof Error && err.stack ? err.stack : String(err);
  if (isExpectedError(err)) {
    const exitCode = typeof err.exitCode === 'number' && err.exitCode > 0 ? err.exitCode : 1;
    const hint = exitCode === 2 ? `\nRun 'npm run experiment ${command} -- --help' for help.` : '';
    // experiments name themselves in their messages (they are also called from code); say it once
    const message = err.message.startsWith(`${command}: `) ? err.message.slice(command.length + 2) : err.message;
    return { text: `[vitscope] ${command}: ${debugStacks() ? stack : message}${hint}`, exitCode };
  }
  if (isSystemErrorUserCanFix(err)) return { text: `[vitscope] ${command}: ${debugStacks() ? stack : describeSystemError(err)}`, exitCode: 1 };
  return { text: `[vitscope] ${command} failed: ${stack}`, exitCode: 1 };
}

export async function main(argv: readonly string[]): Promise<number> {
  const args = [...argv];
  if (args[0] === '--') args.shift();
  const name = args[0];
  if (name === undefined || name === '--help' || name === '-h' || name === 'help') {
    const reg = await getRegistry();
    const topic = name === 'help' ? args[1] : undefined;
    const cmd = topic ? reg.commands.get(topic) : undefined;
    process.stdout.write((cmd ? commandHelp(cmd) : globalHelp(reg)) + '\n');
    return name === undefined ? 1 : 0;
  }
  // Only the command that runs is imported; the whole registry is read only to explain an unknown or broken one.
  const cmd = (await loadCommand(name)) ?? (await getRegistry()).commands.get(name);
  if (!cmd) {
    const reg = await getRegistry();
    const broken = reg.broken.find((b) => b.name === name);
    if (broken) {
      process.stderr.write(`command '${name}' failed to load from ${broken.file}:\n${broken.error}\n`);
      return 1;
    }
    process.stderr.write(`unknown command '${name}'. Commands: ${[...reg.commands.keys()].sort().join(', ')}\nRun 'npm run experiment -- --help' for help.\n`);
    return 2;
  }
  let opts;
  try {
    opts = resolveOptions(cmd, args.slice(1).filter((a, i) => !(i === 0 && a === '--')));
  } catch (err) {
    const { text, exitCode } = reportError(name, err);
    process.stderr.write(text + '\n');
    return exitCode;
  }
  if (opts.help) {
    process.stdout.write(commandHelp(cmd) + '\n');
    return 0;
  }
  try {
    if (cmd.needsBackend !== false) await initBackend({ backend: (opts.backend as BackendName | 'auto' | undefined) ?? 'auto' });
  } catch (err) {
    const { text, exitCode } = reportError(name, err);
    process.stderr.write(text + '\n');
    return exitCode;
  }
  const ctx = createContext();
  try {
    await cmd.run(opts, ctx);
    if (ctx.signal.aborted) {
      ctx.log(`[vitscope] ${name}: stopped by signal; state saved where the command supports it`);
      return 130;
    }
    return 0;
  } catch (err) {
    const { text, exitCode } = reportError(name, err);
    ctx.log(text);
    return exitCode;
  } finally {
    ctx.dispose();
  }
}

const isEntry = process.argv[1] !== undefined && import.meta.url === pathToFileURL(path.resolve(process.argv[1])).href;
if (isEntry) {
  main(process.argv.slice(2)).then(
    (code) => {
      process.exitCode = code;
    },
    (err: unknown) => {
      const { text, exitCode } = reportError(process.argv[2] ?? 'experiment', err);
      process.stderr.write(text + '\n');
      process.exitCode = exitCode;
    },
  );
}
