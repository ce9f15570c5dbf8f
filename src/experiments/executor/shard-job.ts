// A sharded run as something a scheduler can start: the same analysis command, once per shard, each with
// `--shard i/n --resume` into one shared run folder. Slurm (sbatch-script.ts) and `--executor print` (print.ts)
// both build their commands from this.
import * as path from 'node:path';

/** Environment variables a shard needs to behave as the submitting process does (tests' hooks, BLAS kernel choice). */
export const PASSED_ENV = /^(VITSCOPE_\w+|OPENBLAS_CORETYPE|OPENBLAS_NUM_THREADS|OMP_NUM_THREADS|NODE_OPTIONS)$/;

export interface ShardJob {
  /** The command, e.g. 'hessian'. */
  command: string;
  /** The run folder all shards share (absolute). */
  runDir: string;
  shards: number;
  /** Where each shard starts: the submitting process's working directory (relative paths in `args` resolve there). */
  cwd: string;
  /** The node binary, its own arguments (e.g. `--import tsx`), and the CLI entry (absolute). */
  node: string;
  nodeArgs: string[];
  entry: string;
  /** The command's options, without the executor's, `--results`, `--run`, `--shard` and `--resume`. */
  args: string[];
  /** Variables exported to every shard (PASSED_ENV of the submitting process). */
  env: Record<string, string>;
}

/** The environment variables of `env` that shards get. */
export function passedEnv(env: NodeJS.ProcessEnv): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(env)) if (v !== undefined && PASSED_ENV.test(k)) out[k] = v;
  return out;
}

/** The argv of one shard; `shard` is its index or a shell expression such as `${SLURM_ARRAY_TASK_ID}`. */
export function shardArgv(job: ShardJob, shard: string | number): string[] {
  return [
    job.node,
    ...job.nodeArgs,
    job.entry,
    job.command,
    ...job.args,
    `--results=${path.dirname(job.runDir)}`,
    `--run=${path.basename(job.runDir)}`,
    `--shard=${shard}/${job.shards}`,
    '--resume',
  ];
}

/** POSIX shell quoting: safe words stay bare, others go in single quotes. */
export function shellQuote(word: string): string {
  if (/^[\w@%+=:,./-]+$/.test(word)) return word;
  return `'${word.replace(/'/g, `'\\''`)}'`;
}

/** A shell command line; words that hold `$SHARD_VAR` keep the variable expandable (double quotes). */
export function shellLine(argv: readonly string[], variable?: string): string {
  return argv
    .map((w) => {
      if (variable && w.includes(`\${${variable}}`)) {
        const [before, after] = w.split(`\${${variable}}`) as [string, string];
        return `${shellQuote(before)}"\${${variable}}"${shellQuote(after)}`.replace(/^''|''$/g, '');
      }
      return shellQuote(w);
    })
    .join(' ');
}
