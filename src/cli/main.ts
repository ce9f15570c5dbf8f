// `npm run experiment <command> -- [options]`: finds the command in the registry, resolves its options
// (defaults < --config file < flags), initialises the backend from --backend, and runs it with a context
// whose signal is aborted on Ctrl-C / SIGTERM.
import * as path from 'node:path';
import { pathToFileURL } from 'node:url';
import { initBackend, type BackendName } from '../backend/select.ts';
import { createContext } from './context.ts';
import { commandHelp, globalHelp } from './help.ts';
import { OptionError, resolveOptions } from './options.ts';
import { getRegistry } from './registry.ts';

export async function main(argv: readonly string[]): Promise<number> {
  const reg = await getRegistry();
  const args = [...argv];
  if (args[0] === '--') args.shift();
  const name = args[0];
  if (name === undefined || name === '--help' || name === '-h' || name === 'help') {
    const topic = name === 'help' ? args[1] : undefined;
    const cmd = topic ? reg.commands.get(topic) : undefined;
    process.stdout.write((cmd ? commandHelp(cmd) : globalHelp(reg)) + '\n');
    return name === undefined ? 1 : 0;
  }
  const cmd = reg.commands.get(name);
  if (!cmd) {
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
    if (err instanceof OptionError) {
      process.stderr.write(`${err.message}\nRun 'npm run experiment ${name} -- --help' for help.\n`);
      return 2;
    }
    throw err;
  }
  if (opts.help) {
    process.stdout.write(commandHelp(cmd) + '\n');
    return 0;
  }
  await initBackend({ backend: (opts.backend as BackendName | 'auto' | undefined) ?? 'auto' });
  const ctx = createContext();
  try {
    await cmd.run(opts, ctx);
    if (ctx.signal.aborted) {
      ctx.log(`[vitscope] ${name}: stopped by signal; state saved where the command supports it`);
      return 130;
    }
    return 0;
  } catch (err) {
    if (err instanceof OptionError) {
      ctx.log(`${err.message}\nRun 'npm run experiment ${name} -- --help' for help.`);
      return 2;
    }
    ctx.log(`[vitscope] ${name} failed: ${(err as Error).stack ?? String(err)}`);
    return 1;
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
      process.stderr.write(`${(err as Error).stack ?? String(err)}\n`);
      process.exitCode = 1;
    },
  );
}
