// Command-line options: flags (`--train-size 5000`, `--lr=1e-3`, `--resume`, `--no-augment`) and JSON config
// files (`--config configs/vit-cpu.json`), validated against each command's OptionSpec list plus the shared
// options that every command accepts. Precedence: defaults < config file < flags.
import { readFileSync } from 'node:fs';
import { RUN_OPTIONS } from '../train/run-options.ts';
import type { Command, OptionSpec, OptionValues } from './command.ts';
import { camelCase, coerceOption, completeSettings, kebabCase, OptionError, unknownOption, validList } from '../util/settings.ts';

// The option mechanism (types, coercion, defaults, unknown names) is src/util/settings.ts: experiments and library
// protocols declare their settings with it; this file adds flags, config files and the shared options.
export { camelCase, coerceOption, kebabCase, OptionError };

/** Options every command accepts, handled in one place (main.ts initialises the backend from `backend`). */
export const SHARED_OPTIONS: readonly OptionSpec[] = [
  ...RUN_OPTIONS,
  { name: 'config', type: 'string', help: 'JSON file of options (keys are option names); flags override it' },
  { name: 'help', type: 'boolean', default: false, help: 'show this help' },
];

/** The command's options followed by the shared ones it does not redefine. */
export function optionsFor(cmd: Pick<Command, 'options'>): OptionSpec[] {
  const own = new Set(cmd.options.map((o) => o.name));
  return [...cmd.options, ...SHARED_OPTIONS.filter((o) => !own.has(o.name))];
}

export interface ParsedArgs {
  values: OptionValues;
  /** Positional arguments (commands reject them unless they expect some). */
  positional: string[];
}

/** Parses flags against `specs`. Unknown flags and values of the wrong type throw OptionError. */
export function parseFlags(argv: readonly string[], specs: readonly OptionSpec[], where = 'command line'): ParsedArgs {
  const byName = new Map(specs.map((s) => [s.name, s]));
  const values: OptionValues = {};
  const positional: string[] = [];
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i]!;
    if (arg === '--') {
      positional.push(...argv.slice(i + 1));
      break;
    }
    if (arg === '-h') {
      values.help = true;
      continue;
    }
    if (!arg.startsWith('--')) {
      positional.push(arg);
      continue;
    }
    const body = arg.slice(2);
    const eq = body.indexOf('=');
    let name = eq >= 0 ? body.slice(0, eq) : body;
    let inline: string | undefined = eq >= 0 ? body.slice(eq + 1) : undefined;
    let spec = byName.get(name);
    if (!spec && name.startsWith('no-') && byName.get(name.slice(3))?.type === 'boolean') {
      spec = byName.get(name.slice(3))!;
      if (inline !== undefined) throw new OptionError(`${where}: '--${name}' takes no value`);
      name = spec.name;
      inline = 'false';
    }
    if (!spec) {
      // camelCase flags are accepted as a courtesy (`--trainSize`).
      const kebab = kebabCase(name);
      spec = byName.get(kebab);
      if (!spec) throw unknownOption(name, specs, where);
      name = kebab;
    }
    let raw: string;
    if (inline !== undefined) raw = inline;
    else if (spec.type === 'boolean') {
      const next = argv[i + 1];
      if (next !== undefined && /^(true|false)$/.test(next)) {
        raw = next;
        i++;
      } else raw = 'true';
    } else {
      const next = argv[i + 1];
      if (next === undefined || (next.startsWith('--') && next.length > 2))
        throw new OptionError(`${where}: option '--${name}' needs a value (${spec.type}${spec.choices ? `: ${spec.choices.join('|')}` : ''})`);
      raw = next;
      i++;
    }
    const value = coerceOption(spec, raw, where);
    // A repeated list flag adds up (`--checkpoint a --checkpoint b`), as with comma-separated values.
    const earlier = values[spec.name];
    values[spec.name] = spec.type === 'list' && Array.isArray(earlier) && Array.isArray(value) ? [...earlier, ...value] : value;
  }
  return { values, positional };
}

/**
 * Reads a JSON config file: an object whose keys are option names (kebab-case or camelCase).
 * Keys starting with `_` or `$` are comments. Unknown keys are errors naming the file and key.
 */
export function readConfigFile(file: string, specs: readonly OptionSpec[]): OptionValues {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (err) {
    throw new OptionError(`--config: cannot read '${file}': ${(err as Error).message}`);
  }
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (err) {
    throw new OptionError(`${file}: not valid JSON: ${(err as Error).message}`);
  }
  if (typeof json !== 'object' || json === null || Array.isArray(json)) throw new OptionError(`${file}: expected a JSON object of options`);
  const byName = new Map(specs.map((s) => [s.name, s]));
  const values: OptionValues = {};
  for (const [key, raw] of Object.entries(json)) {
    if (key.startsWith('_') || key.startsWith('$')) continue;
    const name = kebabCase(key);
    const spec = byName.get(name);
    if (!spec || name === 'config' || name === 'help') throw unknownOption(key, specs.filter((s) => s.name !== 'config' && s.name !== 'help'), file);
    values[name] = coerceOption(spec, raw, `${file}`);
  }
  return values;
}

/** Fills defaults and checks every value; `given` keys may be kebab-case or camelCase. */
/** Fills defaults and checks every value; `given` keys may be kebab-case or camelCase. */
export function completeOptions(cmd: Pick<Command, 'name' | 'options'>, given: OptionValues): OptionValues {
  return completeSettings(cmd.name, optionsFor(cmd), given);
}

/** Everything a command receives: defaults < `--config` file < flags. */
export function resolveOptions(cmd: Pick<Command, 'name' | 'options'>, argv: readonly string[]): OptionValues {
  const specs = optionsFor(cmd);
  const { values: flags, positional } = parseFlags(argv, specs, cmd.name);
  if (positional.length > 0)
    throw new OptionError(`${cmd.name}: unexpected argument '${positional[0]}' (options start with --).\nValid options: ${validList(specs)}`);
  if (flags.help) return { ...completeOptions(cmd, {}), help: true };
  const fromFile = typeof flags.config === 'string' ? readConfigFile(flags.config, specs) : {};
  return completeOptions(cmd, { ...fromFile, ...flags });
}

/** Typed accessors for command implementations (throw if an option is missing or of another type). */
export function str(opts: OptionValues, name: string): string | undefined {
  const v = opts[name];
  if (v === undefined) return undefined;
  if (typeof v !== 'string') throw new OptionError(`option '--${name}' should be a string, got ${JSON.stringify(v)}`);
  return v;
}

export function num(opts: OptionValues, name: string): number | undefined {
  const v = opts[name];
  if (v === undefined) return undefined;
  if (typeof v !== 'number') throw new OptionError(`option '--${name}' should be a number, got ${JSON.stringify(v)}`);
  return v;
}

export function bool(opts: OptionValues, name: string): boolean {
  const v = opts[name];
  if (v === undefined) return false;
  if (typeof v !== 'boolean') throw new OptionError(`option '--${name}' should be a boolean, got ${JSON.stringify(v)}`);
  return v;
}

export function list(opts: OptionValues, name: string): string[] | undefined {
  const v = opts[name];
  if (v === undefined) return undefined;
  if (!Array.isArray(v)) throw new OptionError(`option '--${name}' should be a list, got ${JSON.stringify(v)}`);
  return v;
}

export function numberList(opts: OptionValues, name: string): number[] | undefined {
  const v = list(opts, name);
  if (!v) return undefined;
  return v.map((s) => {
    const n = Number(s);
    if (s.trim() === '' || !Number.isFinite(n)) throw new OptionError(`option '--${name}': '${s}' is not a number`);
    return n;
  });
}
