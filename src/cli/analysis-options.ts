// Parsed analysis options (kebab-case, as flags and --config give them) to the typed settings of the experiments
// (src/experiments/analysis-support.ts AnalysisSettings and each protocol's settings). Parsing only: the
// experiments check the values and apply the defaults.
import type { AnalysisProtocols, SettingValue } from '../util/protocol.ts';
import type { AnalysisSettings, ProtocolChoice } from '../experiments/analysis-support.ts';
import type { ExportFormat } from '../plots/export.ts';
import type { OptionValues } from './command.ts';
import { OptionError } from './options.ts';

function listOf(opts: OptionValues, name: string): string[] | undefined {
  const v = opts[name];
  if (v === undefined) return undefined;
  if (!Array.isArray(v)) throw new OptionError(`option '--${name}' should be a list, got ${JSON.stringify(v)}`);
  return v.filter((s) => s !== '');
}

function stringOf(opts: OptionValues, name: string): string | undefined {
  const v = opts[name];
  if (v === undefined) return undefined;
  if (typeof v !== 'string') throw new OptionError(`option '--${name}' should be a string, got ${JSON.stringify(v)}`);
  return v;
}

/** --checkpoint, --preset, --label, --data, --preprocess, --seed, --results, --run, --formats as typed settings. */
export function analysisSettingsOf(opts: OptionValues): AnalysisSettings {
  const seed = opts.seed;
  if (seed !== undefined && typeof seed !== 'number') throw new OptionError(`option '--seed' should be an integer, got ${JSON.stringify(seed)}`);
  return {
    checkpoints: listOf(opts, 'checkpoint'),
    presets: listOf(opts, 'preset'),
    labels: listOf(opts, 'label'),
    data: stringOf(opts, 'data'),
    preprocess: stringOf(opts, 'preprocess') as AnalysisSettings['preprocess'],
    seed,
    results: stringOf(opts, 'results'),
    run: stringOf(opts, 'run'),
    formats: listOf(opts, 'formats') as ExportFormat[] | undefined,
  };
}

/** --protocol and every protocol setting given (lists of numbers parsed); absent ones stay absent: the protocol decides. */
export function protocolSettingsOf<S extends { [K in keyof S]: SettingValue }, P extends string>(def: AnalysisProtocols<S, P>, opts: OptionValues): ProtocolChoice<S, P> {
  const out: Record<string, unknown> = {};
  if (opts.protocol !== undefined) out.protocol = opts.protocol;
  for (const key of Object.keys(def.settings) as (keyof S & string)[]) {
    const spec = def.settings[key];
    const raw = opts[spec.option];
    if (raw === undefined) continue;
    if (spec.type === 'numbers' && Array.isArray(raw)) {
      out[key] = raw.filter((s) => s !== '').map((s) => {
        const n = Number(s);
        if (s.trim() === '' || !Number.isFinite(n)) throw new OptionError(`${def.analysis}: option '--${spec.option}': '${s}' is not a number`);
        return n;
      });
    } else out[key] = raw;
  }
  // The experiment checks every value against the protocol's types (resolveAnalysisProtocol).
  return out as ProtocolChoice<S, P>;
}

/** A boolean option (undefined when absent: the experiment's default applies). */
export function flagOf(opts: OptionValues, name: string): boolean | undefined {
  const v = opts[name];
  if (v === undefined) return undefined;
  if (typeof v !== 'boolean') throw new OptionError(`option '--${name}' should be a boolean, got ${JSON.stringify(v)}`);
  return v;
}

/** --shard, --resume, --plan, --plan-shards (src/experiments/unit-runner.ts UNIT_OPTIONS) as typed settings. */
export function unitRunSettingsOf(opts: OptionValues): { shard?: string; resume?: boolean; planOnly?: boolean; planShards?: number } {
  const planShards = opts['plan-shards'];
  if (planShards !== undefined && typeof planShards !== 'number') throw new OptionError(`option '--plan-shards' should be an integer, got ${JSON.stringify(planShards)}`);
  return { shard: stringOf(opts, 'shard'), resume: flagOf(opts, 'resume'), planOnly: flagOf(opts, 'plan'), planShards };
}
