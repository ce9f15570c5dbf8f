// The sbatch array script of a sharded run: one array task per shard, each running the analysis with
// `--shard $SLURM_ARRAY_TASK_ID/n --resume` into the shared run folder, its log under <run>/slurm/logs/.
// A pure function of the job and the resources, so the script can be read, tested and resubmitted by hand
// (`sbatch --array=<ids> <run>/slurm/job.sbatch`: a resubmitted task keeps its finished units).
import * as path from 'node:path';
import { ConfigError } from '../../util/errors.ts';
import type { SlurmResources } from './options.ts';
import { shardArgv, shellLine, shellQuote, type ShardJob } from './shard-job.ts';

export const SLURM_DIR = 'slurm';
export const SBATCH_FILE = 'job.sbatch';
export const JOB_ID_FILE = 'job-id';
export const JOBS_FILE = 'jobs.json';
export const LOGS_DIR = 'logs';

/** The test hook: with VITSCOPE_FAULT_TASK=<i>, VITSCOPE_FAULT_PAUSE applies to array task i only. */
export const FAULT_TASK_ENV = 'VITSCOPE_FAULT_TASK';

export function slurmDir(runDir: string): string {
  return path.join(runDir, SLURM_DIR);
}

/** The log of array task `shard` of job `jobId` (the script's --output pattern, expanded). */
export function taskLogFile(runDir: string, shard: number, jobId: string): string {
  return path.join(slurmDir(runDir), LOGS_DIR, `shard-${shard}.${jobId}.log`);
}

/** `0-2` for three shards. */
export function arraySpec(ids: readonly number[]): string {
  const sorted = [...new Set(ids)].sort((a, b) => a - b);
  const parts: string[] = [];
  for (let i = 0; i < sorted.length; ) {
    let j = i;
    while (j + 1 < sorted.length && sorted[j + 1] === sorted[j]! + 1) j++;
    parts.push(j > i ? `${sorted[i]}-${sorted[j]}` : `${sorted[i]}`);
    i = j + 1;
  }
  return parts.join(',');
}

function sbatchLine(option: string): string {
  if (/\s/.test(option)) throw new ConfigError('options', '--sbatch', JSON.stringify(option), 'an sbatch option without spaces (one --name=value per item)');
  return `#SBATCH ${option}`;
}

/** The whole script. Paths must not hold whitespace (`#SBATCH` lines are not shell). */
export function sbatchScript(job: ShardJob, resources: SlurmResources): string {
  if (/\s/.test(job.runDir)) throw new ConfigError('options', '--run', JSON.stringify(job.runDir), 'a run folder path without spaces (Slurm log paths cannot hold them)');
  const logs = path.join(slurmDir(job.runDir), LOGS_DIR);
  const directives = [
    `--job-name=vitscope-${job.command}-${path.basename(job.runDir)}`,
    `--array=${arraySpec(Array.from({ length: job.shards }, (_, i) => i))}`,
    `--output=${logs}/shard-%a.%A.log`,
    '--ntasks=1',
    ...(resources.partition ? [`--partition=${resources.partition}`] : []),
    ...(resources.time ? [`--time=${resources.time}`] : []),
    ...(resources.cpus ? [`--cpus-per-task=${resources.cpus}`] : []),
    ...(resources.gpus ? [`--gres=gpu:${resources.gpus}`] : []),
    ...(resources.mem ? [`--mem=${resources.mem}`] : []),
    ...resources.extra,
  ];
  const env = Object.keys(job.env)
    .sort()
    .map((k) => `export ${k}=${shellQuote(job.env[k]!)}`);
  const command = shellLine(shardArgv(job, '${SLURM_ARRAY_TASK_ID}'), 'SLURM_ARRAY_TASK_ID');
  return [
    '#!/bin/bash',
    `# vitscope ${job.command}: ${job.shards} shard(s) of ${job.runDir}, one Slurm array task each.`,
    '# Written by --executor slurm; resubmit failed tasks with `sbatch --array=<ids> <this file>` (they resume,',
    `# keeping their finished units), then merge with \`npm run experiment merge -- --run ${job.runDir}\`.`,
    ...directives.map(sbatchLine),
    'set -eo pipefail',
    ...env,
    '# the native backend\'s thread pool: the CPUs of the task, not all of the node\'s (unless VITSCOPE_THREADS says otherwise)',
    'if [ -z "${VITSCOPE_THREADS:-}" ] && [ -n "${SLURM_CPUS_PER_TASK:-}" ]; then export VITSCOPE_THREADS="${SLURM_CPUS_PER_TASK}"; fi',
    `if [ -n "\${${FAULT_TASK_ENV}:-}" ] && [ "\${${FAULT_TASK_ENV}}" != "\${SLURM_ARRAY_TASK_ID}" ]; then unset VITSCOPE_FAULT_PAUSE; fi`,
    `cd ${shellQuote(job.cwd)}`,
    'echo "[vitscope] shard ${SLURM_ARRAY_TASK_ID}/' + job.shards + ' on $(hostname) (job ${SLURM_ARRAY_JOB_ID}_${SLURM_ARRAY_TASK_ID}) at $(date -u +%FT%TZ)"',
    `exec ${command}`,
    '',
  ].join('\n');
}
