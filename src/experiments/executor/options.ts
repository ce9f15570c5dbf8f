// Where a long analysis runs: here (`local`, the default), as a Slurm array job (`slurm`: one array task per shard,
// submitted, watched, failed tasks resubmitted, merged), or nowhere (`print`: the per-shard commands, for any other
// scheduler). These options belong to the commands, never to an experiment's settings: a shard's command is the
// same analysis with `--shard i/n --resume`.
import { OptionError, type OptionSpec, type OptionValues } from '../../util/settings.ts';

export const EXECUTORS = ['local', 'slurm', 'print'] as const;
export type ExecutorName = (typeof EXECUTORS)[number];

export const EXECUTOR_OPTIONS: readonly OptionSpec[] = [
  { name: 'executor', type: 'string', default: 'local', choices: EXECUTORS, help: "where the units run: here, as a Slurm array job, or 'print' the per-shard commands" },
  { name: 'shards', type: 'integer', help: 'shards (array tasks) for --executor slurm|print; each computes every n-th unit' },
  { name: 'slurm-partition', type: 'string', help: 'Slurm partition (sbatch --partition)' },
  { name: 'slurm-time', type: 'string', help: 'time limit per array task (sbatch --time, e.g. 4:00:00)' },
  { name: 'slurm-cpus', type: 'integer', help: 'CPUs per array task (sbatch --cpus-per-task)' },
  { name: 'slurm-gpus', type: 'integer', help: 'GPUs per array task (sbatch --gres=gpu:N)' },
  { name: 'slurm-mem', type: 'string', help: 'memory per array task (sbatch --mem, e.g. 8G)' },
  { name: 'sbatch', type: 'list', help: "extra sbatch arguments, e.g. --sbatch=--account=abc,--qos=long (one per item)" },
  { name: 'slurm-retries', type: 'integer', default: 2, help: 'times a failed array task is resubmitted (with --resume) before the command gives up' },
  { name: 'slurm-poll', type: 'number', default: 5, help: 'seconds between looks at the queue and the units on disk' },
];

/** The option names above: a shard's command line leaves them out. */
export const EXECUTOR_OPTION_NAMES: ReadonlySet<string> = new Set(EXECUTOR_OPTIONS.map((o) => o.name));

export interface SlurmResources {
  partition?: string;
  time?: string;
  cpus?: number;
  gpus?: number;
  mem?: string;
  /** Extra sbatch arguments, each one `--name=value` (written as `#SBATCH` lines). */
  extra: string[];
}

export interface ExecutorSettings {
  executor: ExecutorName;
  shards: number;
  resources: SlurmResources;
  retries: number;
  pollSeconds: number;
}

function optional<T extends string | number>(opts: OptionValues, name: string, type: 'string' | 'number'): T | undefined {
  const v = opts[name];
  if (v === undefined) return undefined;
  if (typeof v !== type) throw new OptionError(`option '--${name}' should be a ${type}, got ${JSON.stringify(v)}`);
  return v as T;
}

function positiveInteger(opts: OptionValues, name: string, min: number): number | undefined {
  const v = optional<number>(opts, name, 'number');
  if (v !== undefined && (!Number.isInteger(v) || v < min)) throw new OptionError(`option '--${name}' is ${v}, expected an integer >= ${min}`);
  return v;
}

/** Reads and checks the executor options (OptionError, exit status 2, naming the option, the value and what is expected). */
export function executorSettingsOf(command: string, opts: OptionValues): ExecutorSettings {
  const executor = (optional<string>(opts, 'executor', 'string') ?? 'local') as ExecutorName;
  if (!EXECUTORS.includes(executor)) throw new OptionError(`${command}: option '--executor' is '${executor}', expected one of ${EXECUTORS.join(', ')}`);
  const shards = positiveInteger(opts, 'shards', 1);
  if (executor !== 'local' && shards === undefined)
    throw new OptionError(`${command}: --executor ${executor} needs --shards <n> (how many array tasks share the units), expected an integer >= 1`);
  const rawExtra = opts.sbatch;
  if (rawExtra !== undefined && !Array.isArray(rawExtra)) throw new OptionError(`option '--sbatch' should be a list, got ${JSON.stringify(rawExtra)}`);
  const extra = (rawExtra ?? []).filter((a) => a !== '');
  for (const a of extra)
    if (!/^--?[A-Za-z]/.test(a) || /[\n\r]/.test(a))
      throw new OptionError(`${command}: option '--sbatch' has ${JSON.stringify(a)}, expected sbatch options such as --account=abc or --qos=long`);
  const time = optional<string>(opts, 'slurm-time', 'string');
  if (time !== undefined && !/^(\d+-)?\d+(:\d+){0,2}$|^\d+-\d+$/.test(time))
    throw new OptionError(`${command}: option '--slurm-time' is '${time}', expected a Slurm time such as 30, 4:00:00 or 1-12:00:00`);
  const mem = optional<string>(opts, 'slurm-mem', 'string');
  if (mem !== undefined && !/^\d+[KMGT]?$/i.test(mem)) throw new OptionError(`${command}: option '--slurm-mem' is '${mem}', expected a size such as 8G or 16000M`);
  const partition = optional<string>(opts, 'slurm-partition', 'string');
  if (partition !== undefined && !/^[\w.,-]+$/.test(partition))
    throw new OptionError(`${command}: option '--slurm-partition' is '${partition}', expected a partition name (letters, digits, '_', '-', '.', ',')`);
  const poll = optional<number>(opts, 'slurm-poll', 'number') ?? 5;
  if (!(poll > 0)) throw new OptionError(`${command}: option '--slurm-poll' is ${poll}, expected a number of seconds > 0`);
  return {
    executor,
    shards: shards ?? 1,
    resources: {
      partition,
      time,
      cpus: positiveInteger(opts, 'slurm-cpus', 1),
      gpus: positiveInteger(opts, 'slurm-gpus', 0),
      mem,
      extra,
    },
    retries: positiveInteger(opts, 'slurm-retries', 0) ?? 2,
    pollSeconds: poll,
  };
}
