// `--executor slurm` on a real one-node Slurm cluster (scripts/slurm-local.sh: munged, slurmctld, slurmd from Debian's
// slurm-wlm, stopped by their pid files at the end). The quick Hessian protocol on a tiny 32x32 model runs once here
// and once as a 3-task array job; shard 1 is paused mid-unit (after computing its last unit, before recording it),
// the command watching the job is stopped (it detaches), a second identical command re-attaches, the paused task is
// scancelled, and the command resubmits it with --resume. The merged hessian.json and every unit's result must be
// bit-identical to the local run's.
// Needs root and the slurm-wlm + munge packages (bash scripts/setup.sh --tests). Skipped with a message elsewhere;
// where CI=true a cluster that cannot start fails the test.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { makeGeneratedDataset } from '../../src/data/index.ts';
import { FAULT_ANNOUNCE } from '../../src/io/fault-points.ts';
import { readUnits, type UnitPlanFile } from '../../src/io/unit-store.ts';
import { VIT_32_TINY } from './presets.ts';

const ROOT = path.resolve(import.meta.dirname, '..', '..');
const IN_CI = process.env.CI === 'true' || process.env.CI === '1';
const SHARDS = 3;
/** Small settings of the quick protocol: several units per shard, seconds each. */
const HESSIAN = [
  'hessian', `--model=${VIT_32_TINY}`, '--protocol=quick', '--analyses=maxeig,spectrum', '--batches=4', '--batch-size=4', '--max-iter=4',
  '--groups=2', '--subsets=2', '--subset-batches=1', '--lanczos-steps=3', '--slq-steps=3', '--slq-runs=1', '--trace-samples=2', '--seed=3',
];

let tmp = '';
let clusterDir = '';
let slurmEnv: NodeJS.ProcessEnv = {};
let skipReason: string | undefined;
const children: ChildProcess[] = [];

function which(bin: string): boolean {
  return ['/usr/bin', '/usr/sbin', '/usr/local/bin', '/usr/local/sbin', ...(process.env.PATH ?? '').split(':')].some((d) => d && fs.existsSync(path.join(d, bin)));
}

function clusterScript(action: 'start' | 'stop'): { ok: boolean; output: string } {
  const r = spawnSync('bash', [path.join(ROOT, 'scripts', 'slurm-local.sh'), action], { env: slurmEnv, encoding: 'utf8', timeout: 90_000 });
  return { ok: r.status === 0, output: `${r.stdout ?? ''}${r.stderr ?? ''}${r.error ? String(r.error) : ''}` };
}

/** The last lines of the cluster's logs (the folder is removed at the end: CI shows them in the failure). */
function clusterLogs(): string {
  const dir = path.join(clusterDir, 'log');
  if (!fs.existsSync(dir)) return '';
  return fs.readdirSync(dir).map((f) => `--- ${f}\n${fs.readFileSync(path.join(dir, f), 'utf8').split('\n').slice(-15).join('\n')}`).join('\n');
}

before(async () => {
  tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'vitscope-slurm-test-'));
  clusterDir = path.join(tmp, 'cluster');
  slurmEnv = {
    ...process.env,
    VITSCOPE_SLURM_DIR: clusterDir,
    VITSCOPE_SLURM_PORT: process.env.VITSCOPE_SLURM_PORT ?? String(6900 + (process.pid % 50) * 2),
    SLURM_CONF: path.join(clusterDir, 'slurm.conf'),
  };
  const missing = ['munged', 'slurmctld', 'slurmd', 'sbatch', 'squeue', 'scancel'].filter((b) => !which(b));
  if (missing.length > 0) skipReason = `Slurm is not installed (missing ${missing.join(', ')}); install it with: bash scripts/setup.sh --tests (as root)`;
  else if (process.getuid?.() !== 0) skipReason = 'the local Slurm cluster needs root (slurmd runs the jobs as root)';
  else {
    const started = clusterScript('start');
    if (!started.ok) skipReason = `the one-node Slurm cluster did not start:\n${started.output}\n${clusterLogs()}`;
  }
  if (skipReason && IN_CI) throw new Error(`CI=true and Slurm cannot run here: ${skipReason}`);
  if (!skipReason) await makeGeneratedDataset({ out: path.join(tmp, 'data'), train: 64, test: 16, seed: 1 });
});

after(() => {
  for (const c of children) if (c.exitCode === null && c.pid) process.kill(c.pid, 'SIGKILL');
  if (clusterDir && fs.existsSync(path.join(clusterDir, 'slurm.conf'))) {
    const stopped = clusterScript('stop');
    if (!stopped.ok) console.error(stopped.output);
  }
  if (tmp) fs.rmSync(tmp, { recursive: true, force: true });
});

interface Finished {
  code: number | null;
  output: string;
}

/** The CLI as a user runs it (node --import tsx src/cli/main.ts …), the 32x32 test preset registered. */
function cli(args: readonly string[], env: NodeJS.ProcessEnv = slurmEnv): { child: ChildProcess; output: () => string; done: Promise<Finished> } {
  const child = spawn(process.execPath, ['--import', 'tsx', '--import', './test/slurm/presets.ts', 'src/cli/main.ts', ...args], { cwd: ROOT, env, stdio: ['ignore', 'pipe', 'pipe'] });
  children.push(child);
  let output = '';
  child.stdout!.on('data', (d: Buffer) => (output += d.toString()));
  child.stderr!.on('data', (d: Buffer) => (output += d.toString()));
  const done = new Promise<Finished>((resolve) => child.on('close', (code) => resolve({ code, output })));
  return { child, output: () => output, done };
}

async function waitFor<T>(what: string, probe: () => T | undefined | false, timeoutMs: number, context: () => string): Promise<T> {
  const start = Date.now();
  for (;;) {
    const v = probe();
    if (v) return v;
    if (Date.now() - start > timeoutMs) throw new Error(`timed out after ${timeoutMs / 1000} s waiting for ${what}\n${context()}`);
    await new Promise((r) => setTimeout(r, 250));
  }
}

async function within<T>(promise: Promise<T>, timeoutMs: number, what: string, context: () => string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`timed out after ${timeoutMs / 1000} s waiting for ${what}\n${context()}`)), timeoutMs);
  });
  try {
    return await Promise.race([promise, timeout]);
  } finally {
    clearTimeout(timer);
  }
}

/** Keys that hold measured times (milliseconds, seconds) or clock times: they differ from run to run, the numbers do not. */
const TIME_KEYS = new Set(['seconds', 'ms', 'createdAt', 'finishedAt']);

/** hessian.json without what measures time. */
function summaryNumbers(file: string): unknown {
  return JSON.parse(fs.readFileSync(file, 'utf8'), (key, value: unknown) => (TIME_KEYS.has(key) ? undefined : value));
}

function unitResults(runDir: string): Map<number, string> {
  return new Map(readUnits(runDir).map((u) => [u.record.index, JSON.stringify(u.record.result, (key, value: unknown) => (TIME_KEYS.has(key) ? undefined : value))]));
}

function logsOf(runDir: string): string {
  const dir = path.join(runDir, 'slurm', 'logs');
  if (!fs.existsSync(dir)) return '(no logs)';
  return fs.readdirSync(dir).map((f) => `--- ${f}\n${fs.readFileSync(path.join(dir, f), 'utf8').slice(-3000)}`).join('\n');
}

test('--executor slurm --shards 3: a paused task is scancelled and resubmitted, a second command re-attaches, and the merged result equals the local run to the bit', { timeout: 600_000 }, async (t) => {
  if (skipReason) return t.skip(skipReason);
  const results = path.join(tmp, 'results');
  const common = [...HESSIAN, `--data=${path.join(tmp, 'data')}`, `--results=${results}`];

  const local = await cli([...common, '--run=local']).done;
  assert.equal(local.code, 0, local.output);
  const localDir = path.join(results, 'local');
  const plan = JSON.parse(fs.readFileSync(path.join(localDir, 'plan.json'), 'utf8')) as UnitPlanFile;
  // shard 1 pauses after computing its last unit: resubmitted, it has one unit fewer to do and never gets there
  const ownedBy1 = plan.units.filter((_, p) => p % SHARDS === 1).length;
  assert.ok(ownedBy1 >= 2, `shard 1 should own several units, owns ${ownedBy1} of ${plan.totalUnits}`);
  const faultEnv = { ...slurmEnv, VITSCOPE_FAULT_PAUSE: `unit-computed:${ownedBy1}`, VITSCOPE_FAULT_TASK: '1' };
  const slurmArgs = [...common, '--run=sl', '--executor=slurm', `--shards=${SHARDS}`, '--slurm-cpus=1', '--slurm-poll=0.5'];
  const runDir = path.join(results, 'sl');

  // 1. submit; once shard 1 is paused, stop the watching command: it detaches and the job keeps running
  const first = cli(slurmArgs, faultEnv);
  const pausedLog = await waitFor(
    'shard 1 to pause mid-unit',
    () => {
      const dir = path.join(runDir, 'slurm', 'logs');
      const f = fs.existsSync(dir) ? fs.readdirSync(dir).find((n) => n.startsWith('shard-1.')) : undefined;
      return f && fs.readFileSync(path.join(dir, f), 'utf8').includes(FAULT_ANNOUNCE) ? f : undefined;
    },
    240_000,
    () => `${first.output()}\n${logsOf(runDir)}`,
  );
  const firstJob = pausedLog.split('.')[1]!;
  first.child.kill('SIGINT');
  const detached = await within(first.done, 60_000, 'the first command to detach', first.output);
  assert.match(detached.output, /\[slurm\] submitted hessian as array job \d+ \(tasks 0-2\)/);
  assert.match(detached.output, /\[slurm\] detached: job \d+ keeps running/, detached.output);

  // 2. the same command again: it finds the job in the queue and watches it instead of submitting
  const second = cli(slurmArgs, faultEnv);
  await waitFor('the second command to re-attach', () => /re-attaching to job/.test(second.output()), 120_000, second.output);
  assert.doesNotMatch(second.output(), /submitted hessian/);

  // 3. kill the paused task; the command resubmits it with --resume and merges when all shards are done
  const cancel = spawnSync('scancel', [`${firstJob}_1`], { env: slurmEnv, encoding: 'utf8' });
  assert.equal(cancel.status, 0, cancel.stderr);
  const finished = await within(second.done, 300_000, 'the command to resubmit shard 1 and merge', () => `${second.output()}\n${logsOf(runDir)}`);
  assert.equal(finished.code, 0, `${finished.output}\n${logsOf(runDir)}`);
  assert.match(finished.output, new RegExp(`shard 1 ended unfinished \\(job ${firstJob}_1: (CANCELLED|FAILED)[^)]*\\)?; log [^)]*\\); resubmitting with --resume`), finished.output);
  const jobs = JSON.parse(fs.readFileSync(path.join(runDir, 'slurm', 'jobs.json'), 'utf8')) as { submissions: { jobId: string; tasks: number[]; reason: string }[] };
  assert.deepEqual(jobs.submissions.map((s) => [s.tasks, s.reason]), [[[0, 1, 2], 'submit'], [[1], 'resubmit']]);
  assert.equal(fs.readFileSync(path.join(runDir, 'slurm', 'job-id'), 'utf8').trim(), jobs.submissions[1]!.jobId);
  const resubmittedLog = fs.readFileSync(path.join(runDir, 'slurm', 'logs', `shard-1.${jobs.submissions[1]!.jobId}.log`), 'utf8');
  assert.doesNotMatch(resubmittedLog, new RegExp(FAULT_ANNOUNCE.replace(/[[\]]/g, '\\$&')), 'the resubmitted task did not pause again');

  // 4. the merged result and every unit are those of the local run, bit for bit
  assert.deepEqual(summaryNumbers(path.join(runDir, 'hessian.json')), summaryNumbers(path.join(localDir, 'hessian.json')));
  const sharded = unitResults(runDir);
  const whole = unitResults(localDir);
  assert.equal(sharded.size, plan.totalUnits);
  for (const [index, result] of whole) assert.equal(sharded.get(index), result, `unit ${index}`);
  // three units files, one per shard
  assert.deepEqual(fs.readdirSync(path.join(runDir, 'units')).sort(), Array.from({ length: SHARDS }, (_, i) => `shard-${i}-of-${SHARDS}.jsonl`));
});
