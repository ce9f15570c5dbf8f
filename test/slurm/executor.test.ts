// The executor without a cluster: the sbatch script, the shard command lines, the progress and ETA from units on
// disk, and the monitor's decisions (submit, re-attach, resubmit the failed, merge once) against a fake queue.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { executorSettingsOf, EXECUTOR_OPTIONS } from '../../src/experiments/executor/options.ts';
import { arraySpec, sbatchScript } from '../../src/experiments/executor/sbatch-script.ts';
import { shardArgv, shellLine, type ShardJob } from '../../src/experiments/executor/shard-job.ts';
import { shardCommandLines } from '../../src/experiments/executor/print.ts';
import { etaSeconds, shardStates } from '../../src/experiments/executor/progress.ts';
import { runOnSlurm } from '../../src/experiments/executor/slurm.ts';
import type { QueuedTask, SlurmClient } from '../../src/experiments/executor/slurm-client.ts';
import { nodeArgsOf, optionArgs } from '../../src/cli/executor.ts';
import type { UnitPlanFile } from '../../src/io/unit-store.ts';
import { OptionError } from '../../src/util/settings.ts';

function tmp(): string {
  return fs.mkdtempSync(path.join(os.tmpdir(), 'vitscope-executor-'));
}

function job(runDir: string, shards = 3): ShardJob {
  return {
    command: 'hessian',
    runDir,
    shards,
    cwd: '/repo dir',
    node: '/usr/bin/node',
    nodeArgs: ['--import', 'tsx'],
    entry: '/repo dir/src/cli/main.ts',
    args: ['--model=vit-tiny-test', "--params=^blocks\\.0'x"],
    env: { VITSCOPE_FAULT_PAUSE: 'unit-computed:2', OPENBLAS_CORETYPE: 'Haswell' },
  };
}

test('arraySpec: ranges and single ids', () => {
  assert.equal(arraySpec([0, 1, 2]), '0-2');
  assert.equal(arraySpec([4, 0, 2, 1]), '0-2,4');
  assert.equal(arraySpec([7]), '7');
});

test('sbatchScript: array, resources, logs, environment and the per-shard command', () => {
  const script = sbatchScript(job('/r/hessian-x'), { partition: 'gpu', time: '4:00:00', cpus: 4, gpus: 1, mem: '8G', extra: ['--account=abc', '--qos=long'] });
  const lines = script.split('\n');
  assert.equal(lines[0], '#!/bin/bash');
  for (const d of ['--array=0-2', '--output=/r/hessian-x/slurm/logs/shard-%a.%A.log', '--partition=gpu', '--time=4:00:00', '--cpus-per-task=4', '--gres=gpu:1', '--mem=8G', '--account=abc', '--qos=long'])
    assert.ok(lines.includes(`#SBATCH ${d}`), `missing #SBATCH ${d} in\n${script}`);
  // every #SBATCH line comes before the first command (sbatch stops reading them there)
  const firstCommand = lines.findIndex((l) => l !== '' && !l.startsWith('#'));
  const lastDirective = lines.map((l) => l.startsWith('#SBATCH')).lastIndexOf(true);
  assert.ok(lastDirective > 0 && lastDirective < firstCommand);
  assert.ok(lines.includes("export OPENBLAS_CORETYPE=Haswell"));
  assert.ok(lines.includes("export VITSCOPE_FAULT_PAUSE=unit-computed:2"));
  assert.ok(lines.includes("cd '/repo dir'"));
  const exec = lines.find((l) => l.startsWith('exec '))!;
  assert.equal(
    exec,
    `exec /usr/bin/node --import tsx '/repo dir/src/cli/main.ts' hessian --model=vit-tiny-test '--params=^blocks\\.0'\\''x' --results=/r --run=hessian-x --shard="\${SLURM_ARRAY_TASK_ID}"/3 --resume`,
  );
  assert.throws(() => sbatchScript(job('/r/with space'), { extra: [] }), /without spaces/);
});

test('the script runs: bash executes the shard command with the array task id', () => {
  const dir = tmp();
  const j = job(path.join(dir, 'run'));
  // node replaced by a recorder of its argv
  const recorder = path.join(dir, 'record.sh');
  fs.writeFileSync(recorder, `#!/bin/bash\nprintf '%s\\n' "$@" > ${dir}/argv.txt\necho "$VITSCOPE_THREADS" > ${dir}/threads.txt\n`, { mode: 0o755 });
  const script = sbatchScript({ ...j, node: recorder, cwd: dir }, { extra: [] });
  fs.writeFileSync(path.join(dir, 'job.sbatch'), script);
  const { VITSCOPE_THREADS: _threads, ...env } = process.env;
  execFileSync('bash', [path.join(dir, 'job.sbatch')], { env: { ...env, SLURM_ARRAY_TASK_ID: '2', SLURM_ARRAY_JOB_ID: '9', SLURM_CPUS_PER_TASK: '4' } });
  const argv = fs.readFileSync(path.join(dir, 'argv.txt'), 'utf8').trimEnd().split('\n');
  assert.deepEqual(argv, [...shardArgv({ ...j, node: recorder }, 2).slice(1)]);
  // the native thread pool follows the task's CPUs
  assert.equal(fs.readFileSync(path.join(dir, 'threads.txt'), 'utf8').trim(), '4');
  fs.rmSync(dir, { recursive: true, force: true });
});

test('shellLine keeps the shard variable expandable and quotes the rest', () => {
  assert.equal(shellLine(['a b', '--shard=${I}/4'], 'I'), `'a b' --shard="\${I}"/4`);
  assert.equal(shellLine(["it's"]), `'it'\\''s'`);
});

test('print: one complete line per shard, then the merge', () => {
  const lines = shardCommandLines(job('/r/h'), ['merge', '--results=/r', '--run=h']);
  assert.equal(lines.length, 4);
  for (let i = 0; i < 3; i++) {
    assert.match(lines[i]!, new RegExp(`--shard=${i}/3 --resume$`));
    assert.match(lines[i]!, /^cd '\/repo dir' && OPENBLAS_CORETYPE=Haswell VITSCOPE_FAULT_PAUSE=unit-computed:2 \/usr\/bin\/node --import tsx/);
  }
  assert.match(lines[3]!, / merge --results=\/r --run=h$/);
});

test('optionArgs: non-default options only, executor and run options left out', () => {
  const specs = [
    { name: 'model', type: 'list' as const, help: '' },
    { name: 'k', type: 'integer' as const, default: 2, help: '' },
    { name: 'mix', type: 'boolean' as const, default: true, help: '' },
    { name: 'tol', type: 'number' as const, default: 1e-3, help: '' },
    { name: 'run', type: 'string' as const, help: '' },
    ...EXECUTOR_OPTIONS,
  ];
  const args = optionArgs(specs, { model: ['vit-tiny-test', 'resnet-tiny-test'], k: 2, mix: false, tol: 1e-4, run: 'x', executor: 'slurm', shards: 3 });
  assert.deepEqual(args, ['--model=vit-tiny-test,resnet-tiny-test', '--mix=false', '--tol=0.0001']);
  assert.deepEqual(nodeArgsOf(['--import', 'tsx', '--test-reporter=spec', '--inspect']), ['--import', 'tsx']);
});

test('executorSettingsOf: checks the options, exit status 2 with the option named', () => {
  const s = executorSettingsOf('hessian', { executor: 'slurm', shards: 3, 'slurm-time': '1-12:00:00', 'slurm-mem': '16G', sbatch: ['--account=a'] });
  assert.equal(s.shards, 3);
  assert.deepEqual(s.resources, { partition: undefined, time: '1-12:00:00', cpus: undefined, gpus: undefined, mem: '16G', extra: ['--account=a'] });
  const bad: [Record<string, unknown>, RegExp][] = [
    [{ executor: 'slurm' }, /needs --shards/],
    [{ executor: 'slurm', shards: 0 }, /--shards' is 0/],
    [{ executor: 'slurm', shards: 2, 'slurm-time': 'soon' }, /--slurm-time' is 'soon'/],
    [{ executor: 'slurm', shards: 2, 'slurm-mem': 'lots' }, /--slurm-mem' is 'lots'/],
    [{ executor: 'slurm', shards: 2, sbatch: ['account=a'] }, /--sbatch' has "account=a"/],
    [{ executor: 'kubernetes', shards: 2 }, /expected one of local, slurm, print/],
  ];
  for (const [opts, message] of bad)
    assert.throws(() => executorSettingsOf('hessian', opts as never), (e: unknown) => e instanceof OptionError && (e as OptionError).exitCode === 2 && message.test((e as Error).message));
});

function plan(units: number, products?: (i: number) => number): UnitPlanFile {
  return {
    analysis: 'hessian',
    totalUnits: units,
    shards: 3,
    units: Array.from({ length: units }, (_, i) => ({ index: i, kind: 'maxeig-batch', model: 'm', ...(products ? { products: products(i) } : {}) })),
    settingsKey: 'k',
    createdAt: new Date(0).toISOString(),
    models: [{ label: 'm', fingerprint: 'f' }],
  };
}

test('shardStates and etaSeconds: measured seconds per product, slowest shard, fewer running tasks than shards', () => {
  // 6 units, shard i owns positions i and i+3; unit i costs (i+1) products
  const p = plan(6, (i) => i + 1);
  const { shards, secondsPerUnit } = shardStates(p, [{ index: 0, seconds: 2 }, { index: 1, seconds: 4 }], 3);
  // 3 products took 6 s: 2 s per product
  assert.equal(secondsPerUnit, 3);
  assert.deepEqual(shards.map((s) => [s.done, s.total, s.complete, s.secondsLeft]), [[1, 2, false, 8], [1, 2, false, 10], [0, 2, false, 18]]);
  assert.equal(etaSeconds(shards, 3), 18);
  // one task at a time: all 36 s of work in a row
  assert.equal(etaSeconds(shards, 1), 36);
  // without product counts: the mean unit time
  const plain = shardStates(plan(6), [{ index: 0, seconds: 2 }, { index: 1, seconds: 4 }], 3);
  assert.deepEqual(plain.shards.map((s) => s.secondsLeft), [3, 3, 6]);
  assert.equal(etaSeconds(shardStates(plan(6), [], 3).shards, 3), undefined);
});

/** A queue that runs tasks by writing their units, one per poll; `failing` tasks die (once after their first unit, or always at once). */
function fakeCluster(runDir: string, units: number, shards: number, failing: Set<number>, failAlways = false) {
  const queue: QueuedTask[] = [];
  const submissions: { array?: string }[] = [];
  const ended = new Map<string, string>();
  let next = 100;
  const writeUnit = (task: number): boolean => {
    const p = JSON.parse(fs.readFileSync(path.join(runDir, 'plan.json'), 'utf8')) as UnitPlanFile;
    const file = path.join(runDir, 'units', `shard-${task}-of-${shards}.jsonl`);
    const have = fs.existsSync(file) ? fs.readFileSync(file, 'utf8').trim().split('\n').filter(Boolean).map((l) => (JSON.parse(l) as { index: number }).index) : [];
    const todo = p.units.filter((_, pos) => pos % shards === task).find((u) => !have.includes(u.index));
    if (!todo) return false;
    fs.mkdirSync(path.dirname(file), { recursive: true });
    fs.appendFileSync(file, JSON.stringify({ index: todo.index, kind: todo.kind, model: 'm', fingerprint: 'f', settingsKey: 'k', seconds: 1, backend: 'cpu', cpuKernel: 'x', finishedAt: '', result: {} }) + '\n');
    return true;
  };
  const client: SlurmClient = {
    async submit(_script, opts = {}) {
      submissions.push(opts);
      const id = String(next++);
      for (const part of (opts.array ?? '').split(',')) {
        const [a, b] = part.split('-').map(Number) as [number, number | undefined];
        for (let t = a; t <= (b ?? a); t++) queue.push({ jobId: id, task: t, state: 'PENDING' });
      }
      return id;
    },
    async queue(ids) {
      if (!fs.existsSync(path.join(runDir, 'plan.json'))) fs.writeFileSync(path.join(runDir, 'plan.json'), JSON.stringify(plan(units)));
      for (const q of [...queue]) {
        if (!ids.includes(q.jobId)) continue;
        if (q.state === 'PENDING') {
          q.state = 'RUNNING';
          continue;
        }
        const dies = failing.has(q.task);
        // a task that always fails dies before its first unit; one that fails once, after it
        const wrote = dies && failAlways ? false : writeUnit(q.task);
        if (!wrote || dies) {
          queue.splice(queue.indexOf(q), 1);
          ended.set(`${q.jobId}_${q.task}`, dies ? 'FAILED (exit 1:0)' : 'COMPLETED (exit 0:0)');
          if (dies && !failAlways) failing.delete(q.task);
        }
      }
      return queue.filter((q) => ids.includes(q.jobId)).map((q) => ({ ...q }));
    },
    async finalState(jobId, task) {
      return ended.get(`${jobId}_${task}`);
    },
  };
  return { client, submissions, queue };
}

test('runOnSlurm: submits once, resubmits the task that failed, merges once; a second command re-attaches', async () => {
  const dir = tmp();
  const runDir = path.join(dir, 'run');
  fs.mkdirSync(runDir);
  const cluster = fakeCluster(runDir, 9, 3, new Set([1]));
  const lines: string[] = [];
  let merged = 0;
  const settings = executorSettingsOf('hessian', { executor: 'slurm', shards: 3, 'slurm-poll': 0.001 });
  const result = await runOnSlurm(job(runDir), settings, {
    client: cluster.client,
    merge: async () => {
      // the last task merges the run itself before it leaves the queue: merging sooner would race it for the lock
      assert.equal(cluster.queue.length, 0, 'merge waits until no task is queued');
      merged++;
    },
    log: (m) => lines.push(m),
    sleep: async () => undefined,
  });
  assert.deepEqual(cluster.submissions, [{ array: '0-2' }, { array: '1' }]);
  assert.deepEqual(result.resubmitted, [1]);
  assert.equal(result.reattached, false);
  assert.equal(merged, 1);
  const jobs = JSON.parse(fs.readFileSync(path.join(runDir, 'slurm', 'jobs.json'), 'utf8')) as { submissions: { jobId: string; tasks: number[]; reason: string }[] };
  assert.deepEqual(jobs.submissions.map((s) => [s.jobId, s.tasks, s.reason]), [['100', [0, 1, 2], 'submit'], ['101', [1], 'resubmit']]);
  assert.equal(fs.readFileSync(path.join(runDir, 'slurm', 'job-id'), 'utf8'), '101\n');
  assert.ok(fs.readFileSync(path.join(runDir, 'slurm', 'job.sbatch'), 'utf8').includes('#SBATCH --array=0-2'));
  assert.ok(lines.some((l) => /shard 1 ended unfinished \(job 100_1: FAILED \(exit 1:0\); log .*shard-1\.100\.log\); resubmitting/.test(l)), lines.join('\n'));

  // a finished run: the same command submits nothing and merges nothing more when the summary is there
  fs.writeFileSync(path.join(runDir, 'hessian.json'), '{}');
  const again = await runOnSlurm(job(runDir), settings, { client: cluster.client, merge: async () => void merged++, log: () => undefined, sleep: async () => undefined });
  assert.equal(cluster.submissions.length, 2);
  assert.equal(merged, 1);
  assert.equal(again.reattached, false);
  fs.rmSync(dir, { recursive: true, force: true });
});

test('runOnSlurm: re-attaches to a job still queued instead of submitting it again', async () => {
  const dir = tmp();
  const runDir = path.join(dir, 'run');
  fs.mkdirSync(runDir);
  const cluster = fakeCluster(runDir, 6, 3, new Set());
  const settings = executorSettingsOf('hessian', { executor: 'slurm', shards: 3 });
  // the first command is stopped (Ctrl-C) right after submitting: it detaches
  const stop = new AbortController();
  const first = await runOnSlurm(job(runDir), settings, {
    client: cluster.client, merge: async () => undefined, log: () => undefined, signal: stop.signal,
    sleep: async () => stop.abort(),
  });
  assert.equal(first.detached, true);
  assert.equal(cluster.queue.length, 3);
  const lines: string[] = [];
  const second = await runOnSlurm(job(runDir), settings, { client: cluster.client, merge: async () => undefined, log: (m) => lines.push(m), sleep: async () => undefined });
  assert.equal(second.reattached, true);
  assert.deepEqual(cluster.submissions, [{ array: '0-2' }]);
  assert.ok(lines[0]!.startsWith('[slurm] re-attaching to job 100'), lines[0]);
  // other options for the same run are refused, naming both command lines
  await assert.rejects(
    runOnSlurm({ ...job(runDir), args: ['--model=vit-tiny-test', '--k=3'] }, settings, { client: cluster.client, merge: async () => undefined, sleep: async () => undefined }),
    (e: unknown) => (e as { exitCode?: number }).exitCode === 2 && /job\.sbatch: the run was submitted as\n {2}exec .*--params.*\nbut these options give\n {2}exec .*--k=3/.test((e as Error).message),
  );
  // another shard count for the same run is refused
  await assert.rejects(runOnSlurm(job(runDir, 4), settings, { client: cluster.client, merge: async () => undefined, sleep: async () => undefined }), /submitted with --shards 3, this command asks for 4/);
  fs.rmSync(dir, { recursive: true, force: true });
});

test('runOnSlurm: a task that exits with status 2 (options or run folder refused) is not resubmitted', async () => {
  const dir = tmp();
  const runDir = path.join(dir, 'run');
  fs.mkdirSync(runDir);
  const cluster = fakeCluster(runDir, 6, 3, new Set([0]), true);
  const client: SlurmClient = { ...cluster.client, finalState: async (jobId, task) => ((await cluster.client.finalState(jobId, task)) ?? '').replace('exit 1:0', 'exit 2:0') };
  const settings = executorSettingsOf('hessian', { executor: 'slurm', shards: 3 });
  await assert.rejects(
    runOnSlurm(job(runDir), settings, { client, merge: async () => undefined, log: () => undefined, sleep: async () => undefined }),
    (e: unknown) => (e as { exitCode?: number }).exitCode === 2 && /shard 0 of .* refused its options or run folder \(job 100_0: FAILED \(exit 2:0\)\); see .*shard-0\.100\.log/.test((e as Error).message),
  );
  assert.deepEqual(cluster.submissions, [{ array: '0-2' }]);
  fs.rmSync(dir, { recursive: true, force: true });
});

test('runOnSlurm: gives up after the retries, naming the log', async () => {
  const dir = tmp();
  const runDir = path.join(dir, 'run');
  fs.mkdirSync(runDir);
  const { client } = fakeCluster(runDir, 6, 3, new Set([2]), true);
  const settings = executorSettingsOf('hessian', { executor: 'slurm', shards: 3, 'slurm-retries': 1 });
  await assert.rejects(
    runOnSlurm(job(runDir), settings, { client, merge: async () => undefined, log: () => undefined, sleep: async () => undefined }),
    /shard 2 of .* ended unfinished again \(job 101_2: FAILED.*after 1 resubmission\(s\); see .*shard-2\.101\.log/,
  );
  fs.rmSync(dir, { recursive: true, force: true });
});
