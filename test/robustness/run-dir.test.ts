// Run folders and their writer lock (src/io/run-dir.ts, src/io/lock-file.ts), without training anything.
import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, utimesSync, writeFileSync } from 'node:fs';
import { hostname, tmpdir } from 'node:os';
import * as path from 'node:path';
import { acquireLock } from '../../src/io/lock-file.ts';
import { chooseRunDir, newestRun, openRunDir, timeStampedName } from '../../src/io/run-dir.ts';
import { isExpectedError } from '../../src/util/errors.ts';
import { REPO } from './helpers.ts';

const root = mkdtempSync(path.join(tmpdir(), 'vitscope-run-dir-'));
after(() => rmSync(root, { recursive: true, force: true }));

test('unnamed runs get <prefix>-<UTC stamp>, numbered when the second is taken; never an existing folder', async () => {
  const results = path.join(root, 'r1');
  const now = new Date(Date.UTC(2026, 10, 29, 1, 2, 3));
  assert.equal(timeStampedName('train-vit-cpu', now), 'train-vit-cpu-20261129-010203');
  const names: string[] = [];
  for (let i = 0; i < 3; i++) names.push((await chooseRunDir({ results, prefix: 'train-x', now })).name);
  assert.deepEqual(names, ['train-x-20261129-010203', 'train-x-20261129-010203-2', 'train-x-20261129-010203-3']);
  for (const n of names) assert.ok(existsSync(path.join(results, n)));
});

test('--resume without a name picks the most recently written run of that prefix', async () => {
  const results = path.join(root, 'r2');
  for (const [n, t] of [['train-x-20260101-000000', 100], ['train-x-20260102-000000', 300], ['train-y-20260103-000000', 500], ['train-x', 200]] as const) {
    mkdirSync(path.join(results, n), { recursive: true });
    utimesSync(path.join(results, n), t, t);
  }
  assert.equal(newestRun(results, 'train-x'), 'train-x-20260102-000000');
  const chosen = await chooseRunDir({ results, prefix: 'train-x', reuse: true });
  assert.equal(chosen.mode, 'reuse');
  assert.equal(chosen.name, 'train-x-20260102-000000');
  assert.equal(newestRun(results, 'train-z'), null);
});

test('a named run holding files is refused (exit 2) unless reused or overwritten; an empty one is new', async () => {
  const results = path.join(root, 'r3');
  mkdirSync(path.join(results, 'done'), { recursive: true });
  writeFileSync(path.join(results, 'done', 'metrics.csv'), 'epoch\n1\n');
  await assert.rejects(chooseRunDir({ results, run: 'done', prefix: 'p' }), (e: Error & { exitCode?: number }) =>
    isExpectedError(e) && e.exitCode === 2 && /--run 'done': .* already holds a run \(metrics\.csv\); expected a new run name, --resume/.test(e.message));
  assert.equal(readFileSync(path.join(results, 'done', 'metrics.csv'), 'utf8'), 'epoch\n1\n');
  assert.equal((await chooseRunDir({ results, run: 'done', prefix: 'p', reuse: true })).mode, 'reuse');
  assert.equal((await chooseRunDir({ results, run: 'done', prefix: 'p', overwrite: true })).mode, 'overwrite');
  assert.equal((await chooseRunDir({ results, run: 'fresh', prefix: 'p' })).mode, 'new');
  await assert.rejects(chooseRunDir({ results, run: '../escape', prefix: 'p' }), /'--run' is "..\/escape"; expected a name usable as a folder name/);
});

test('locks: a live holder is refused with its pid, a dead or garbled one is taken over, release removes only our own', async () => {
  const dir = path.join(root, 'locks');
  mkdirSync(dir);
  const file = path.join(dir, '.lock');
  writeFileSync(file, JSON.stringify({ pid: process.ppid, host: hostname(), started: 't0' }));
  assert.throws(() => acquireLock(file), new RegExp(`being written by process ${process.ppid} since t0`));
  writeFileSync(file, JSON.stringify({ pid: process.ppid, host: 'elsewhere', started: 't0' }));
  assert.throws(() => acquireLock(file), new RegExp(`process ${process.ppid} on elsewhere`));
  const dead = spawnSync(process.execPath, ['-e', '0']).pid!;
  writeFileSync(file, JSON.stringify({ pid: dead, host: hostname(), started: 't0' }));
  const lock = acquireLock(file, 'test');
  assert.equal((JSON.parse(readFileSync(file, 'utf8')) as { pid: number }).pid, process.pid);
  assert.throws(() => acquireLock(file), /already being written by this process/);
  lock.release();
  assert.ok(!existsSync(file));
  writeFileSync(file, '{"pid": "garbage'); // a writer killed while creating it
  const again = acquireLock(file);
  // someone else's lock (written after ours was taken over) is left alone by our release
  writeFileSync(file, JSON.stringify({ pid: process.ppid, host: hostname(), started: 't1' }));
  again.release();
  assert.ok(existsSync(file));
});

test('openRunDir locks a named run before judging it: a run in use is refused with the writer\'s pid', async () => {
  const results = path.join(root, 'r4');
  const first = await openRunDir({ results, run: 'busy', prefix: 'p' });
  writeFileSync(path.join(first.dir, 'config.json'), '{}');
  const child = spawnSync(
    process.execPath,
    ['--import', 'tsx', '-e', `import('${path.join(REPO, 'src', 'io', 'run-dir.ts')}').then((m) => m.openRunDir({ results: ${JSON.stringify(results)}, run: 'busy', prefix: 'p', reuse: true })).then(() => process.exit(0), (e) => { console.error(e.message); process.exit(e.exitCode ?? 1); })`],
    { encoding: 'utf8', cwd: REPO },
  );
  assert.equal(child.status, 2, child.stderr);
  assert.match(child.stderr, new RegExp(`is being written by process ${process.pid}`));
  first.release();
  assert.ok(!existsSync(path.join(first.dir, '.lock')));
});
