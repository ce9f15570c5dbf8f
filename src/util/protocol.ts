// Analysis protocols: every setting of an analysis, typed, with its value under each named protocol
// ('paper': the authors' code; others: vitscope's conventions or cheaper runs) in ONE place. Commands and
// the experiments layer only pass values through: protocolOptions() derives the CLI options (their help
// says what the paper used), resolveProtocol() the settings of a run, which results record in full.
import type { OptionSpec, OptionValues } from './settings.ts';

export type SettingValue = number | boolean | string | readonly number[];

/** How one setting appears as a command option. */
export interface SettingSpec {
  /** kebab-case option name, e.g. 'batch-size'. */
  option: string;
  type: 'number' | 'integer' | 'boolean' | 'string' | 'numbers';
  help: string;
  choices?: readonly string[];
}

export interface AnalysisProtocols<S extends { [K in keyof S]: SettingValue }, P extends string> {
  analysis: string;
  /** The protocol used when none is asked for, and why (results and --help state it). */
  defaultProtocol: P;
  why: string;
  protocols: { readonly [name in P]: { description: string; settings: S } };
  /** Option of every setting, by setting key. */
  settings: { readonly [K in keyof S]: SettingSpec };
}

/** The settings of a run: the protocol's values with explicit overrides, and which protocol they came from. */
export type ResolvedSettings<S, P extends string> = S & { protocol: P; overridden: string[] };

function format(v: SettingValue): string {
  return Array.isArray(v) ? (v as readonly number[]).join(',') : String(v);
}

/** The command options of an analysis: --protocol, then one option per setting (no default: the protocol decides). */
export function protocolOptions<S extends { [K in keyof S]: SettingValue }, P extends string>(def: AnalysisProtocols<S, P>): OptionSpec[] {
  const names = Object.keys(def.protocols) as P[];
  const out: OptionSpec[] = [
    {
      name: 'protocol',
      type: 'string',
      default: def.defaultProtocol,
      choices: names,
      help: names.map((n) => `'${n}': ${def.protocols[n].description}`).join('; ') + `. Default '${def.defaultProtocol}': ${def.why}`,
    },
  ];
  for (const key of Object.keys(def.settings) as (keyof S & string)[]) {
    const spec = def.settings[key];
    const byProtocol = names.map((n) => `${n}: ${format(def.protocols[n].settings[key])}`).join('; ');
    out.push({
      name: spec.option,
      type: spec.type === 'numbers' ? 'list' : spec.type,
      help: `${spec.help} (${byProtocol})`,
      ...(spec.choices ? { choices: spec.choices } : {}),
    });
  }
  return out;
}

function parseSetting(analysis: string, spec: SettingSpec, raw: unknown): SettingValue {
  const bad = (expected: string): never => {
    throw new Error(`${analysis}: option '--${spec.option}' is ${JSON.stringify(raw)}, expected ${expected}`);
  };
  switch (spec.type) {
    case 'number':
    case 'integer': {
      const n = typeof raw === 'string' && raw.trim() !== '' ? Number(raw) : raw;
      if (typeof n !== 'number' || !Number.isFinite(n)) return bad('a number');
      if (spec.type === 'integer' && !Number.isInteger(n)) return bad('an integer');
      return n;
    }
    case 'boolean':
      if (typeof raw === 'boolean') return raw;
      if (raw === 'true' || raw === 'false') return raw === 'true';
      return bad('true or false');
    case 'string':
      if (typeof raw !== 'string') return bad('a string');
      if (spec.choices && !spec.choices.includes(raw)) return bad(`one of ${spec.choices.join(', ')}`);
      return raw;
    case 'numbers': {
      const items = Array.isArray(raw) ? raw : typeof raw === 'string' ? raw.split(',') : typeof raw === 'number' ? [raw] : bad('a comma-separated list of numbers');
      const list = (items as unknown[]).filter((s) => s !== '').map((s) => (typeof s === 'number' ? s : Number(s)));
      if (list.length === 0 || list.some((v) => !Number.isFinite(v))) return bad('a comma-separated list of numbers');
      return list;
    }
  }
}

/**
 * The settings of a run: `opts.protocol` (default: the analysis's default protocol) picks the values,
 * options given explicitly override them one by one (kebab-case keys, as the CLI passes them; strings
 * are parsed, so a JSON config or the experiments layer can pass either).
 */
export function resolveProtocol<S extends { [K in keyof S]: SettingValue }, P extends string>(
  def: AnalysisProtocols<S, P>,
  opts: OptionValues | Record<string, unknown> = {},
): ResolvedSettings<S, P> {
  const asked = opts.protocol ?? def.defaultProtocol;
  if (typeof asked !== 'string' || !(asked in def.protocols))
    throw new Error(`${def.analysis}: option '--protocol' is ${JSON.stringify(asked)}, expected one of ${Object.keys(def.protocols).join(', ')}`);
  const protocol = asked as P;
  const settings = { ...def.protocols[protocol].settings } as S;
  const overridden: string[] = [];
  for (const key of Object.keys(def.settings) as (keyof S & string)[]) {
    const spec = def.settings[key];
    const raw = opts[spec.option];
    if (raw === undefined) continue;
    (settings as Record<string, SettingValue>)[key] = parseSetting(def.analysis, spec, raw);
    overridden.push(key);
  }
  return { ...settings, protocol, overridden };
}
