// The command-line side of `--executor slurm|print` (src/experiments/executor/): a long analysis's parsed options
// back into the flags of its shards' command lines, the run folder they share, and the choice of executor.
// A command calls runOnExecutor first; `local` (the default) returns false and the command runs here as before.
import * as path from 'node:path';
import { fileURLToPath } from 'node:url';
import { checkRunName, chooseRunDir, timeStampedName } from '../io/run-dir.ts';
import { mergeRun } from '../experiments/merge.ts';
import type { ExportFormat } from '../plots/export.ts';
import { EXECUTOR_OPTION_NAMES, executorSettingsOf } from '../experiments/executor/options.ts';
import { printedShardCommands } from '../experiments/executor/print.ts';
import { passedEnv, type ShardJob } from '../experiments/executor/shard-job.ts';
import { commandLineSlurm } from '../experiments/executor/slurm-client.ts';
import { runOnSlurm, type SlurmRunResult } from '../experiments/executor/slurm.ts';
import type { Command, CommandContext, OptionSpec, OptionValues } from './command.ts';
import { optionsFor, OptionError } from './options.ts';
import { runOptionsOf } from './train-run.ts';

/** Options a shard's command line never repeats: the executor's own, where the run is, and the shard itself. */
const NOT_PASSED = new Set([...EXECUTOR_OPTION_NAMES, 'results', 'run', 'shard', 'resume', 'config', 'help', 'plan', 'plan-shards']);

const ENTRY = fileURLToPath(new URL('./main.ts', import.meta.url));

function sameValue(a: unknown, b: unknown): boolean {
  return JSON.stringify(a) === JSON.stringify(b);
}

/** The options that differ from their defaults as `--name=value` flags (values come from flags and --config alike). */
export function optionArgs(specs: readonly OptionSpec[], opts: OptionValues, skip: ReadonlySet<string> = NOT_PASSED): string[] {
  const out: string[] = [];
  for (const spec of specs) {
    const v = opts[spec.name];
    if (skip.has(spec.name) || v === undefined || sameValue(v, spec.default)) continue;
    out.push(`--${spec.name}=${Array.isArray(v) ? v.join(',') : String(v)}`);
  }
  return out;
}

/** Node's own arguments that a shard repeats (loaders such as `--import tsx`), not the test runner's or a debugger's. */
export function nodeArgsOf(execArgv: readonly string[]): string[] {
  return execArgv.filter((a) => !/^--(test|inspect|watch|experimental-test)/.test(a));
}

/**
 * Runs the command on `--executor slurm|print` and returns true, or returns false for `local` (the command then
 * runs here). Bad combinations are OptionErrors (exit status 2) before anything is written or submitted.
 */
export async function runOnExecutor(cmd: Command, opts: OptionValues, ctx: CommandContext): Promise<boolean> {
  const settings = executorSettingsOf(cmd.name, opts);
  if (settings.executor === 'local') {
    if (opts.shards !== undefined)
      throw new OptionError(`${cmd.name}: option '--shards' is ${JSON.stringify(opts.shards)} with --executor local; expected --executor slurm or print (a single shard here: --shard i/n)`);
    return false;
  }
  if (opts.plan === true) return false; // --plan prints the plan here, whatever the executor
  const specs = optionsFor(cmd);
  if (!specs.some((s) => s.name === 'shard'))
    throw new OptionError(`${cmd.name}: --executor ${settings.executor} needs a command that runs in shards (--shard i/n); '${cmd.name}' has none`);
  if (opts.shard !== undefined)
    throw new OptionError(`${cmd.name}: option '--shard' is ${JSON.stringify(opts.shard)} with --executor ${settings.executor}; expected no --shard (the executor gives every shard its own)`);
  const results = path.resolve(typeof opts.results === 'string' ? opts.results : 'results');
  const run = typeof opts.run === 'string' && opts.run !== '' ? opts.run : undefined;
  // print writes nothing (it names the folder; the shards create it); slurm creates it for its script and logs.
  // A named run may hold the job already (re-attach) or a stopped run (its shards resume it).
  const chosen =
    settings.executor === 'print'
      ? { name: checkRunName(run ?? timeStampedName(cmd.name)) }
      : await chooseRunDir({ results, run, prefix: cmd.name, reuse: run !== undefined });
  const runDir = path.join(results, chosen.name);
  const job: ShardJob = {
    command: cmd.name,
    runDir,
    shards: settings.shards,
    cwd: process.cwd(),
    node: process.execPath,
    nodeArgs: nodeArgsOf(process.execArgv),
    entry: ENTRY,
    args: optionArgs(specs, opts),
    env: passedEnv(process.env),
  };
  const mergeArgv = ['merge', `--results=${results}`, `--run=${chosen.name}`];
  if (settings.executor === 'print') {
    process.stdout.write(printedShardCommands(job, mergeArgv));
    return true;
  }
  if (!run) ctx.log(`[slurm] run folder ${runDir}; to re-attach later: the same command with --run ${chosen.name}`);
  const formats = Array.isArray(opts.formats) ? (opts.formats as ExportFormat[]) : undefined;
  const result: SlurmRunResult = await runOnSlurm(job, settings, {
    ...runOptionsOf(ctx),
    client: commandLineSlurm(),
    merge: async (dir) => {
      await mergeRun(dir, { ...runOptionsOf(ctx), formats });
    },
  });
  if (!result.detached) ctx.log(`[slurm] ${cmd.name}: results in ${result.runDir}`);
  return true;
}
