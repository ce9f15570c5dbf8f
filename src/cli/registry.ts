// The command registry: every src/cli/commands/<name>.ts exporting `command: Command` is a command.
// Files that fail to load are reported (help lists them) without breaking the other commands.
import { existsSync, readdirSync } from 'node:fs';
import * as path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import type { Command, CommandContext, OptionValues } from './command.ts';
import { completeOptions, OptionError } from './options.ts';

export const COMMANDS_DIR = path.join(path.dirname(fileURLToPath(import.meta.url)), 'commands');

export interface Registry {
  commands: Map<string, Command>;
  /** Command files that could not be loaded, with the reason. */
  broken: { file: string; name: string; error: string }[];
}

function isCommand(value: unknown): value is Command {
  const c = value as Command;
  return (
    typeof c === 'object' && c !== null && typeof c.name === 'string' && typeof c.summary === 'string' &&
    Array.isArray(c.options) && typeof c.run === 'function'
  );
}

/** Imports every command file in `dir` (default src/cli/commands). */
export async function discoverCommands(dir = COMMANDS_DIR): Promise<Registry> {
  const registry: Registry = { commands: new Map(), broken: [] };
  let files: string[] = [];
  try {
    files = readdirSync(dir).filter((f) => /\.(ts|js|mjs)$/.test(f) && !f.endsWith('.d.ts') && !f.includes('.test.') && !f.startsWith('_')).sort();
  } catch {
    return registry;
  }
  for (const file of files) {
    const stem = file.replace(/\.(ts|js|mjs)$/, '');
    try {
      const mod = (await import(pathToFileURL(path.join(dir, file)).href)) as { command?: unknown };
      if (!isCommand(mod.command)) throw new Error('does not export `command: Command` ({ name, summary, options, run })');
      const cmd = mod.command;
      const clash = registry.commands.get(cmd.name);
      if (clash) throw new Error(`command name '${cmd.name}' is already taken by another file`);
      registry.commands.set(cmd.name, cmd);
    } catch (err) {
      registry.broken.push({ file: path.join(dir, file), name: stem, error: (err as Error).stack ?? String(err) });
    }
  }
  return registry;
}

/**
 * The command called `name` from its own file (`<dir>/<name>.ts`) without importing every other command and its
 * module graph (start-up time); null when no such file holds it, and the caller falls back to the registry.
 */
export async function loadCommand(name: string, dir = COMMANDS_DIR): Promise<Command | null> {
  if (!/^[a-z][a-z0-9-]*$/.test(name)) return null;
  const file = path.join(dir, `${name}.ts`);
  if (!existsSync(file)) return null;
  try {
    const mod = (await import(pathToFileURL(file).href)) as { command?: unknown };
    return isCommand(mod.command) && mod.command.name === name ? mod.command : null;
  } catch {
    return null; // the registry reports the broken file with its error
  }
}

let cached: Promise<Registry> | null = null;
/** The registry of src/cli/commands, loaded once per process. */
export function getRegistry(): Promise<Registry> {
  cached ??= discoverCommands();
  return cached;
}

/**
 * Runs a registered command programmatically (tests run commands so): `opts` are validated and
 * completed with defaults exactly as flags would be; unknown options throw OptionError.
 */
export async function runCommand(name: string, opts: OptionValues, ctx: CommandContext, registry?: Registry): Promise<void> {
  const reg = registry ?? (await getRegistry());
  const cmd = reg.commands.get(name);
  if (!cmd) {
    const broken = reg.broken.find((b) => b.name === name);
    if (broken) throw new Error(`command '${name}' failed to load from ${broken.file}: ${broken.error.split('\n')[0]}`);
    throw new OptionError(`unknown command '${name}'; commands: ${[...reg.commands.keys()].sort().join(', ')}`);
  }
  await cmd.run(completeOptions(cmd, opts), ctx);
}
