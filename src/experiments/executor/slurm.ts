// `--executor slurm`: a sharded run as a Slurm array job. Writes <run>/slurm/job.sbatch, submits it (or re-attaches
// to the job recorded in <run>/slurm/jobs.json when its tasks are still queued), shows progress from the units on
// disk, resubmits tasks that left the queue with their shard unfinished (they run with --resume, so their finished
// units are kept), and merges when every shard is complete. Ctrl-C detaches: the job keeps running, and the same
// command re-attaches to it.
import * as fs from 'node:fs';
import * as path from 'node:path';
import { writeFileAtomic, writeJsonAtomic } from '../../io/atomic.ts';
import { ExpectedError } from '../../util/errors.ts';
import type { Progress } from '../../util/progress.ts';
import { logOf, type RunOptions } from '../run-options.ts';
import type { ExecutorSettings } from './options.ts';
import { etaSeconds, readShardedProgress, type ShardedProgress } from './progress.ts';
import { arraySpec, JOB_ID_FILE, JOBS_FILE, LOGS_DIR, SBATCH_FILE, sbatchScript, slurmDir, taskLogFile } from './sbatch-script.ts';
import type { ShardJob } from './shard-job.ts';
import type { QueuedTask, SlurmClient } from './slurm-client.ts';

/** One sbatch call: the array job id and the shards (array task ids) it runs. */
export interface Submission {
  jobId: string;
  tasks: number[];
  submittedAt: string;
  /** Why: the first submission, or a resubmission after tasks ended with their shards unfinished. */
  reason: 'submit' | 'resubmit';
}

/** <run>/slurm/jobs.json */
export interface SlurmJobsFile {
  command: string;
  shards: number;
  submissions: Submission[];
}

export interface SlurmRunOptions extends RunOptions {
  client: SlurmClient;
  /** Reduces the units into the summary (the merge command's function); called when no shard has done it. */
  merge(runDir: string): Promise<void>;
  /** Waits between polls (tests pass a short one); resolves early when the signal aborts. */
  sleep?(ms: number, signal?: AbortSignal): Promise<void>;
}

export interface SlurmRunResult {
  runDir: string;
  jobIds: string[];
  /** Shards resubmitted, in order (a shard twice if it failed twice). */
  resubmitted: number[];
  /** The job was already running when this command started. */
  reattached: boolean;
  /** Ctrl-C: the job keeps running; the same command re-attaches. */
  detached: boolean;
}

/** Queue states of a task that is still going to run or is running. */
const LIVE_STATES = /^(PENDING|RUNNING|CONFIGURING|COMPLETING|SUSPENDED|REQUEUED|REQUEUE_FED|REQUEUE_HOLD|RESIZING|SIGNALING|STAGE_OUT|STOPPED)$/;

function readJobsFile(file: string, job: ShardJob): SlurmJobsFile | null {
  if (!fs.existsSync(file)) return null;
  let parsed: SlurmJobsFile;
  try {
    parsed = JSON.parse(fs.readFileSync(file, 'utf8')) as SlurmJobsFile;
  } catch (err) {
    throw new ExpectedError(`${file}: not valid JSON (${(err as Error).message}); expected the Slurm submissions of this run (delete it to submit afresh)`);
  }
  if (!Array.isArray(parsed.submissions) || typeof parsed.shards !== 'number')
    throw new ExpectedError(`${file}: fields 'submissions' or 'shards' missing; expected the Slurm submissions of this run (delete it to submit afresh)`);
  if (parsed.shards !== job.shards)
    throw new ExpectedError(
      `${file}: the run was submitted with --shards ${parsed.shards}, this command asks for ${job.shards}; expected the same shard count to re-attach (or another --run)`,
    );
  if (parsed.command !== job.command)
    throw new ExpectedError(`${file}: the run is a '${parsed.command}' job, this command is '${job.command}'; expected the same command (or another --run)`);
  return parsed;
}

/** The command line a script runs (its `exec` line). */
function commandOf(script: string): string {
  return script.split('\n').find((l) => l.startsWith('exec ')) ?? '(no command)';
}

function defaultSleep(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    if (signal?.aborted) return resolve();
    const t = setTimeout(done, ms);
    function done(): void {
      clearTimeout(t);
      signal?.removeEventListener('abort', done);
      resolve();
    }
    signal?.addEventListener('abort', done, { once: true });
  });
}

function formatEta(seconds: number | undefined): string {
  if (seconds === undefined || !Number.isFinite(seconds)) return 'ETA --:--';
  const s = Math.round(seconds);
  const h = Math.floor(s / 3600);
  const m = Math.floor((s % 3600) / 60);
  const pad = (n: number): string => String(n).padStart(2, '0');
  return `ETA ${h > 0 ? `${h}:${pad(m)}` : pad(m)}:${pad(s % 60)}`;
}

/** A one-line summary of the run: units, shards done, what the queue holds, ETA. */
export function describeProgress(p: ShardedProgress, queued: readonly QueuedTask[]): string {
  const running = queued.filter((q) => q.state === 'RUNNING').length;
  const pending = queued.filter((q) => q.state === 'PENDING').length;
  const shardsDone = p.shards.filter((s) => s.complete).length;
  const units = p.planned ? `${p.done}/${p.total} units` : 'waiting for the plan';
  return `${units}, ${shardsDone}/${p.shards.length} shards done, ${running} running, ${pending} pending, ${formatEta(etaSeconds(p.shards, running))}`;
}

/**
 * Runs (or re-attaches to) the array job of `job` and returns when its shards are all merged, or when the signal
 * aborts (the job keeps running). A shard whose task left the queue unfinished is resubmitted up to
 * `settings.retries` times in this command; then the command fails naming the task's log.
 */
export async function runOnSlurm(job: ShardJob, settings: ExecutorSettings, opts: SlurmRunOptions): Promise<SlurmRunResult> {
  const log = logOf(opts);
  const sleep = opts.sleep ?? defaultSleep;
  const dir = slurmDir(job.runDir);
  fs.mkdirSync(path.join(dir, LOGS_DIR), { recursive: true });
  const jobsPath = path.join(dir, JOBS_FILE);
  const scriptPath = path.join(dir, SBATCH_FILE);
  const state: SlurmJobsFile = readJobsFile(jobsPath, job) ?? { command: job.command, shards: job.shards, submissions: [] };
  const script = sbatchScript(job, settings.resources);

  // the same run must be continued by the same command: other options would mix units of two plans (the shards
  // refuse that) or, when every unit is there already, merge a run that is not the one asked for
  if (fs.existsSync(scriptPath)) {
    const before = commandOf(fs.readFileSync(scriptPath, 'utf8'));
    const now = commandOf(script);
    if (before !== now)
      throw new ExpectedError(
        `${scriptPath}: the run was submitted as\n  ${before}\nbut these options give\n  ${now}\nexpected the same command and options to continue ${job.runDir} (or another --run)`,
        { exitCode: 2 },
      );
  }
  const allIds = (): string[] => [...new Set(state.submissions.map((s) => s.jobId))];
  let queued = await opts.client.queue(allIds());
  const reattached = queued.some((q) => LIVE_STATES.test(q.state));
  if (reattached) {
    log(`[slurm] re-attaching to job ${allIds().join(', ')} of ${job.runDir} (${queued.length} task(s) queued); not submitting again`);
    if (fs.existsSync(scriptPath) && fs.readFileSync(scriptPath, 'utf8') !== script)
      log(`[slurm] note: the Slurm options or environment differ from ${scriptPath}; the running job keeps that script`);
  } else await writeFileAtomic(scriptPath, script);

  const resubmitted: number[] = [];
  const attempts = new Map<number, number>();
  const submit = async (tasks: number[], reason: Submission['reason']): Promise<void> => {
    const jobId = await opts.client.submit(scriptPath, { array: arraySpec(tasks) });
    state.submissions.push({ jobId, tasks, submittedAt: new Date().toISOString(), reason });
    await writeJsonAtomic(jobsPath, state);
    await writeFileAtomic(path.join(dir, JOB_ID_FILE), jobId + '\n');
  };

  let bar: Progress | undefined;
  let barTotal = 0;
  let lastLine = '';
  const show = (p: ShardedProgress): void => {
    const line = describeProgress(p, queued);
    if (opts.progress && p.planned) {
      if (!bar || barTotal !== p.total) {
        bar?.finish();
        bar = opts.progress({ label: `[slurm] ${job.command}`, total: p.total, unit: 'units/s' });
        barTotal = p.total;
      }
      const running = queued.filter((q) => q.state === 'RUNNING').length;
      const pending = queued.filter((q) => q.state === 'PENDING').length;
      const shardsDone = p.shards.filter((s) => s.complete).length;
      // short enough for an 80-column terminal: the queue's counts only when they are not zero
      const queue = `${running ? `, ${running} running` : ''}${pending ? `, ${pending} pending` : ''}`;
      bar.update(p.done, { shards: `${shardsDone}/${p.shards.length} done${queue}`, eta: etaSeconds(p.shards, running) ?? Number.NaN });
    } else if (line !== lastLine) log(`[slurm] ${job.command}: ${line}`);
    lastLine = line;
  };

  try {
    for (;;) {
      const progress = readShardedProgress(job.runDir, job.shards);
      const live = new Set(queued.filter((q) => LIVE_STATES.test(q.state)).map((q) => q.task));
      // every unit on disk: done once the tasks have left the queue (the last one merges the run before it exits)
      if (progress.planned && progress.shards.every((s) => s.complete) && live.size === 0) {
        show(progress);
        break;
      }
      const submittedBefore = new Set(state.submissions.flatMap((s) => s.tasks));
      const fresh: number[] = [];
      const failed: number[] = [];
      for (const s of progress.shards) {
        if (s.complete || live.has(s.shard)) continue;
        if (!submittedBefore.has(s.shard)) fresh.push(s.shard);
        else failed.push(s.shard);
      }
      if (fresh.length > 0) {
        await submit(fresh, 'submit');
        log(`[slurm] submitted ${job.command} as array job ${state.submissions.at(-1)!.jobId} (tasks ${arraySpec(fresh)}) from ${scriptPath}; logs in ${path.join(dir, LOGS_DIR)}`);
      }
      if (failed.length > 0) {
        for (const shard of failed) {
          const last = [...state.submissions].reverse().find((s) => s.tasks.includes(shard))!;
          const ended = (await opts.client.finalState(last.jobId, shard)) ?? 'left the queue';
          const n = (attempts.get(shard) ?? 0) + 1;
          const logFile = taskLogFile(job.runDir, shard, last.jobId);
          // exit status 2: the command refused its options or the run folder (e.g. a plan of other settings); again would not help
          if (/\(exit 2:/.test(ended))
            throw new ExpectedError(
              `slurm: shard ${shard} of ${job.runDir} refused its options or run folder (job ${last.jobId}_${shard}: ${ended}); see ${logFile}. ` +
                'Fix the options (or choose another --run) and rerun the command',
              { exitCode: 2 },
            );
          if (n > settings.retries)
            throw new ExpectedError(
              `slurm: shard ${shard} of ${job.runDir} ended unfinished again (job ${last.jobId}_${shard}: ${ended}) after ${settings.retries} resubmission(s); ` +
                `see ${logFile}. Fix the cause and rerun the same command (it resubmits what is unfinished and keeps finished units)`,
            );
          attempts.set(shard, n);
          log(`[slurm] shard ${shard} ended unfinished (job ${last.jobId}_${shard}: ${ended}; log ${logFile}); resubmitting with --resume (${n} of ${settings.retries})`);
        }
        await submit(failed, 'resubmit');
        resubmitted.push(...failed);
      }
      if (fresh.length > 0 || failed.length > 0) queued = await opts.client.queue(allIds());
      show(progress);
      await sleep(settings.pollSeconds * 1000, opts.signal);
      if (opts.signal?.aborted) {
        bar?.finish();
        log(`[slurm] detached: job ${allIds().join(', ')} keeps running; rerun the same command to re-attach, or scancel ${allIds().join(' ')} to stop it`);
        return { runDir: job.runDir, jobIds: allIds(), resubmitted, reattached, detached: true };
      }
      queued = await opts.client.queue(allIds());
    }
  } finally {
    bar?.finish();
  }
  if (!readShardedProgress(job.runDir, job.shards).summaryWritten) {
    log(`[slurm] all ${job.shards} shards done; merging ${job.runDir}`);
    await opts.merge(job.runDir);
  } else log(`[slurm] all ${job.shards} shards done; ${job.runDir} is merged`);
  return { runDir: job.runDir, jobIds: allIds(), resubmitted, reattached, detached: false };
}
