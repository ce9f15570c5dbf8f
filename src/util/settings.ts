// Settings schemas: the typed, defaulted, validated options of an experiment or a library protocol, declared once
// and read by the CLI (flags, --help, --config), the notebooks and the tests. Names are kebab-case as on the
// command line (`train-size`); records passed in code may use camelCase (`trainSize`). Bad values and unknown
// names throw OptionError naming the option, the value and what is valid (with the nearest valid name).
import { EXIT_USAGE, ExpectedError } from './errors.ts';

/** Bad options: the message names the option, what was found and what was expected (and lists valid options). */
export class OptionError extends ExpectedError {
  override name = 'OptionError';
  constructor(message: string) {
    super(message, { exitCode: EXIT_USAGE });
  }
}

export type OptionType = 'string' | 'number' | 'integer' | 'boolean' | 'list';

export interface OptionSpec {
  name: string; // kebab-case flag without dashes, e.g. 'train-size'
  type: OptionType;
  help: string;
  default?: string | number | boolean | string[];
  choices?: readonly string[];
}

export type OptionValues = Record<string, string | number | boolean | string[] | undefined>;

export function kebabCase(name: string): string {
  return name.replace(/[A-Z]/g, (c) => '-' + c.toLowerCase());
}

export function camelCase(name: string): string {
  return name.replace(/-([a-z0-9])/g, (_, c: string) => c.toUpperCase());
}

export function editDistance(a: string, b: string): number {
  const d = Array.from({ length: a.length + 1 }, (_, i) => [i, ...new Array<number>(b.length).fill(0)]);
  for (let j = 1; j <= b.length; j++) d[0]![j] = j;
  for (let i = 1; i <= a.length; i++)
    for (let j = 1; j <= b.length; j++)
      d[i]![j] = Math.min(d[i - 1]![j]! + 1, d[i]![j - 1]! + 1, d[i - 1]![j - 1]! + (a[i - 1] === b[j - 1] ? 0 : 1));
  return d[a.length]![b.length]!;
}

/** Names close to `name` (substring either way, or at most two edits): the "did you mean" of an unknown key. */
export function nearestNames(name: string, valid: readonly string[]): string[] {
  return valid.filter((v) => v.includes(name) || name.includes(v) || editDistance(v, name) <= 2);
}

/** The valid options as a flag list, for error messages. */
export function validList(specs: readonly OptionSpec[]): string {
  return specs
    .map((s) => (s.type === 'boolean' ? `--${s.name}` : `--${s.name} <${s.choices && s.choices.length <= 6 ? s.choices.join('|') : s.type}>`))
    .join(', ');
}

/** An unknown option name: the error names it, the nearest valid names and all valid ones. */
export function unknownOption(name: string, specs: readonly OptionSpec[], where: string): OptionError {
  let near = specs.filter((s) => s.name.includes(name) || name.includes(s.name) || editDistance(s.name, name) <= 2).map((s) => `--${s.name}`);
  // Otherwise the nearest valid name, when it is not too far off to help.
  if (near.length === 0 && specs.length > 0) {
    const best = specs.map((s) => ({ s, d: editDistance(s.name, kebabCase(name)) })).sort((a, b) => a.d - b.d)[0]!;
    if (best.d <= Math.max(3, Math.floor(name.length / 2))) near = [`--${best.s.name}`];
  }
  return new OptionError(
    `${where}: unknown option '--${name}'${near.length ? ` (did you mean ${near.join(' or ')}?)` : ''}.\nValid options: ${validList(specs)}`,
  );
}

/** Converts one raw value (string from a flag, or any JSON value from a config file) to the option's type. */
export function coerceOption(spec: OptionSpec, raw: unknown, where: string): string | number | boolean | string[] {
  const bad = (expected: string): OptionError =>
    new OptionError(`${where}: option '--${spec.name}' got ${JSON.stringify(raw)}, expected ${expected}`);
  let value: string | number | boolean | string[];
  switch (spec.type) {
    case 'boolean': {
      if (typeof raw === 'boolean') value = raw;
      else if (raw === 'true' || raw === '1' || raw === 'yes') value = true;
      else if (raw === 'false' || raw === '0' || raw === 'no') value = false;
      else throw bad('a boolean (true/false)');
      break;
    }
    case 'number':
    case 'integer': {
      const n = typeof raw === 'number' ? raw : typeof raw === 'string' && raw.trim() !== '' ? Number(raw) : NaN;
      if (!Number.isFinite(n)) throw bad(spec.type === 'integer' ? 'an integer' : 'a number');
      if (spec.type === 'integer' && !Number.isInteger(n)) throw bad('an integer');
      value = n;
      break;
    }
    case 'list': {
      if (Array.isArray(raw)) {
        if (!raw.every((v) => typeof v === 'string' || typeof v === 'number')) throw bad('a list of strings or numbers');
        value = raw.map(String);
      } else if (typeof raw === 'string') value = raw.trim() === '' ? [] : raw.split(',').map((s) => s.trim());
      else if (typeof raw === 'number') value = [String(raw)];
      else throw bad('a comma-separated list');
      break;
    }
    case 'string': {
      if (typeof raw === 'string') value = raw;
      else if (typeof raw === 'number') value = String(raw);
      else throw bad('a string');
      break;
    }
  }
  if (spec.choices) {
    const items = Array.isArray(value) ? value : [String(value)];
    for (const item of items)
      if (!spec.choices.includes(item))
        throw new OptionError(`${where}: option '--${spec.name}' got '${item}', expected one of ${spec.choices.join(', ')}`);
  }
  return value;
}

/** Defaults of `specs` completed with `given` (kebab- or camelCase keys), every value checked; `where` names the caller in errors. */
export function completeSettings(where: string, specs: readonly OptionSpec[], given: OptionValues): OptionValues {
  const byName = new Map(specs.map((s) => [s.name, s]));
  const out: OptionValues = {};
  for (const spec of specs) if (spec.default !== undefined) out[spec.name] = Array.isArray(spec.default) ? [...spec.default] : spec.default;
  for (const [key, raw] of Object.entries(given)) {
    if (raw === undefined) continue;
    const name = kebabCase(key);
    const spec = byName.get(name);
    if (!spec) throw unknownOption(key, specs, where);
    out[name] = coerceOption(spec, raw, where);
  }
  return out;
}
