// The few Slurm commands the executor needs (sbatch, squeue, scontrol), behind an interface so that the
// monitor's decisions can be tested without a cluster. Failures of the commands become ExpectedErrors that
// say what was run and what Slurm answered.
import { execFile } from 'node:child_process';
import { ExpectedError } from '../../util/errors.ts';

/** One array task as the queue shows it. */
export interface QueuedTask {
  jobId: string;
  task: number;
  /** PENDING, RUNNING, COMPLETING, CONFIGURING, SUSPENDED, … */
  state: string;
}

export interface SlurmClient {
  /** Submits `script` (a file); `array` overrides its --array (a resubmission). Returns the array job id. */
  submit(script: string, opts?: { array?: string }): Promise<string>;
  /** The array tasks of these jobs still in the queue (pending, running or finishing). */
  queue(jobIds: readonly string[]): Promise<QueuedTask[]>;
  /** How a task ended (COMPLETED, FAILED, CANCELLED, TIMEOUT, NODE_FAIL, OUT_OF_MEMORY…) and its exit code, while Slurm remembers. */
  finalState(jobId: string, task: number): Promise<string | undefined>;
}

interface Run {
  stdout: string;
  stderr: string;
  code: number;
}

function run(cmd: string, args: readonly string[], env?: NodeJS.ProcessEnv): Promise<Run> {
  return new Promise((resolve, reject) => {
    execFile(cmd, args, { env: env ?? process.env, maxBuffer: 16 << 20 }, (err, stdout, stderr) => {
      if (err && (err as NodeJS.ErrnoException).code === 'ENOENT')
        reject(new ExpectedError(`${cmd} not found on PATH: --executor slurm runs on a Slurm login node (or use --executor print for other schedulers)`));
      else resolve({ stdout: String(stdout), stderr: String(stderr), code: err ? (typeof err.code === 'number' ? err.code : 1) : 0 });
    });
  });
}

/** The real cluster, through its command-line tools. */
export function commandLineSlurm(env?: NodeJS.ProcessEnv): SlurmClient {
  return {
    async submit(script, opts = {}) {
      const args = ['--parsable', ...(opts.array ? [`--array=${opts.array}`] : []), script];
      const r = await run('sbatch', args, env);
      // --parsable prints "<jobid>" or "<jobid>;<cluster>"
      const id = /^(\d+)/.exec(r.stdout.trim())?.[1];
      if (r.code !== 0 || !id)
        throw new ExpectedError(`sbatch ${args.join(' ')} failed (exit ${r.code}): ${(r.stderr || r.stdout).trim() || 'no output'}; expected a job id`);
      return id;
    },
    async queue(jobIds) {
      if (jobIds.length === 0) return [];
      const r = await run('squeue', ['-h', '-r', '-j', jobIds.join(','), '-o', '%F|%K|%T'], env);
      // squeue fails with "Invalid job id specified" when none of the jobs is known any more: nothing queued
      if (r.code !== 0) {
        if (/invalid job id/i.test(r.stderr)) return [];
        throw new ExpectedError(`squeue -j ${jobIds.join(',')} failed (exit ${r.code}): ${r.stderr.trim() || 'no output'}`);
      }
      const out: QueuedTask[] = [];
      for (const line of r.stdout.split('\n')) {
        const [jobId, task, state] = line.trim().split('|');
        if (!jobId || task === undefined || !state || !/^\d+$/.test(task)) continue;
        out.push({ jobId, task: Number(task), state });
      }
      return out;
    },
    async finalState(jobId, task) {
      const r = await run('scontrol', ['show', 'job', '-o', `${jobId}_${task}`], env);
      if (r.code !== 0) return undefined;
      const state = /\bJobState=(\S+)/.exec(r.stdout)?.[1];
      const exit = /\bExitCode=(\S+)/.exec(r.stdout)?.[1];
      return state ? `${state}${exit ? ` (exit ${exit})` : ''}` : undefined;
    },
  };
}
