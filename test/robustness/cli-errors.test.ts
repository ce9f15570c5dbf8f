// The CLI's answer to expected errors: one message naming the file/option, what was found and what was
// expected, no stack, a non-zero exit status (2 for options that cannot work); unexpected errors keep their
// stack; VITSCOPE_DEBUG=1 shows stacks for all. Also: short runs work (the warm-up is shortened, said once),
// existing runs are never overwritten, one writer per run folder.
import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { copyFileSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, truncateSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { initBackend } from '../../src/backend/select.ts';
import { main, reportError } from '../../src/cli/main.ts';
import { writeFileAtomic } from '../../src/io/atomic.ts';
import { MAIN, REPO, treeHashes, writeTinyCifar } from './helpers.ts';

const backend = await initBackend({ backend: 'native', quiet: true }).catch(() => initBackend({ backend: 'cpu', quiet: true }));
const root = mkdtempSync(path.join(tmpdir(), 'vitscope-cli-errors-'));
after(() => rmSync(root, { recursive: true, force: true }));
const data = path.join(root, 'data');
await writeTinyCifar(data, 120, 20, 3);
const results = path.join(root, 'results');

/** A quick training command on the tiny data (two steps of resnet-20, 20 test images). */
const quick = (...extra: string[]): string[] => [
  'train', '--model', 'resnet-20', '--data', data, '--no-download', '--results', results, '--backend', backend.name,
  '--steps-per-epoch', '2', '--batch-size', '8', '--eval-batch-size', '20', '--no-augment', '--mixup', '0', '--cutmix', '0', ...extra,
];

/** Runs main() in this process and returns its exit status and what it wrote to stderr. */
async function cli(argv: string[], env: Record<string, string> = {}): Promise<{ code: number; err: string }> {
  const write = process.stderr.write.bind(process.stderr);
  let err = '';
  const saved = Object.fromEntries(Object.keys(env).map((k) => [k, process.env[k]]));
  Object.assign(process.env, env);
  process.stderr.write = ((chunk: string | Uint8Array): boolean => {
    err += typeof chunk === 'string' ? chunk : Buffer.from(chunk).toString();
    return true;
  }) as typeof process.stderr.write;
  try {
    return { code: await main(argv), err };
  } finally {
    process.stderr.write = write;
    for (const [k, v] of Object.entries(saved)) if (v === undefined) delete process.env[k];
    else process.env[k] = v;
  }
}

const STACK = /\n\s+at .+:\d+:\d+/;

test('a 1-epoch run with the default 5-epoch warm-up works; the warm-up is shortened, said once, with the value used', async () => {
  const { code, err } = await cli(quick('--epochs', '1', '--run', 'short'));
  assert.equal(code, 0, err);
  const notes = err.split('\n').filter((l) => l.includes('warm-up'));
  assert.equal(notes.length, 1, err);
  assert.match(notes[0]!, /--warmup-epochs 5\) is longer than the run \(1 epoch\); using --warmup-epochs 0\.1/);
  const config = JSON.parse(readFileSync(path.join(results, 'short', 'config.json'), 'utf8')) as { warmupEpochs: number };
  assert.equal(config.warmupEpochs, 0.1);
  assert.ok(existsSync(path.join(results, 'short', 'checkpoints', 'final', 'model.json')));
});

test('an existing run is refused (exit 2) and left as it was; --resume continues it, --overwrite replaces it', async () => {
  const dir = path.join(results, 'short');
  const before = treeHashes(dir);
  const again = await cli(quick('--epochs', '1', '--run', 'short'));
  assert.equal(again.code, 2);
  assert.match(again.err, /--run 'short': .* already holds a run \(.*config\.json.*\); expected a new run name, --resume to continue it, or --overwrite to replace it/);
  assert.doesNotMatch(again.err, STACK);
  assert.deepEqual(treeHashes(dir), before, 'nothing in the existing run changed');
  const both = await cli(quick('--epochs', '1', '--run', 'short', '--resume', '--overwrite'));
  assert.equal(both.code, 2);
  assert.match(both.err, /'--overwrite' is true; expected not together with --resume/);
  const over = await cli(quick('--epochs', '1', '--run', 'short', '--overwrite', '--seed', '9'));
  assert.equal(over.code, 0, over.err);
  assert.match(over.err, /--overwrite: replacing the run/);
  assert.notDeepEqual(treeHashes(dir).get('checkpoints/final/weights.safetensors'), before.get('checkpoints/final/weights.safetensors'));
});

test('runs without --run get new time-stamped folders: repeating a command never overwrites', async () => {
  const sub = path.join(root, 'unnamed');
  const a = await cli([...quick('--epochs', '1'), '--results', sub]);
  const b = await cli([...quick('--epochs', '1'), '--results', sub]);
  assert.equal(a.code, 0, a.err);
  assert.equal(b.code, 0, b.err);
  const { readdirSync } = await import('node:fs');
  const runs = readdirSync(sub).sort();
  assert.equal(runs.length, 2, runs.join(', '));
  for (const r of runs) assert.match(r, /^train-resnet-20-\d{8}-\d{6}(-\d+)?$/);
  // --resume without --run continues the newest of them
  const c = await cli([...quick('--epochs', '1', '--resume'), '--results', sub]);
  assert.equal(c.code, 0, c.err);
  assert.equal(readdirSync(sub).length, 2);
  assert.match(c.err, /resuming .*train-resnet-20-/);
});

test('one writer per run: a live lock holder is refused with its pid; a dead one\'s lock is taken over', async () => {
  const dir = path.join(results, 'locked');
  mkdirSync(dir, { recursive: true });
  const live = process.ppid;
  writeFileSync(path.join(dir, '.lock'), JSON.stringify({ pid: live, host: (await import('node:os')).hostname(), started: 'earlier' }));
  const refused = await cli(quick('--epochs', '1', '--run', 'locked'));
  assert.equal(refused.code, 2);
  assert.match(refused.err, new RegExp(`is being written by process ${live} since earlier`));
  assert.doesNotMatch(refused.err, STACK);
  const dead = spawnSync(process.execPath, ['-e', '0']).pid!;
  writeFileSync(path.join(dir, '.lock'), JSON.stringify({ pid: dead, host: (await import('node:os')).hostname(), started: 'earlier' }));
  const taken = await cli(quick('--epochs', '1', '--run', 'locked'));
  assert.equal(taken.code, 0, taken.err);
  assert.ok(!existsSync(path.join(dir, '.lock')), 'released after the run');
});

test('options that cannot work exit 2 naming the option, the value and what is valid', async () => {
  const cases: [string[], RegExp][] = [
    [quick('--epochs', '1', '--run', 'x1', '--train-size', '5000'), /'--train-size' is 5000; expected at most the 120 images of the training set/],
    [quick('--epochs', '1', '--run', 'x2', '--batch-size', '500'), /'--batch-size' is 500; expected at most the 120 training images/],
    [quick('--epochs', '0', '--run', 'x3'), /'--epochs' is 0; expected a positive integer/],
    [quick('--epochs', '1', '--run', 'x5', '--train-fraction', '0.001'), /'--train-fraction' is 0\.001; expected at least 0\.0042 \(one of the 120 training images\)/],
    [quick('--epochs', '1', '--run', 'x4', '--train-size', '10', '--train-fraction', '0.5'), /'--train-fraction' is 0\.5; expected not both/],
    [quick('--epochs', '1', '--run', 'x6', '--checkpoint-at', 'warmup,50'), /'--checkpoint-at' is 50; expected a step in 1\.\.2 \(this run's 2 steps per epoch × 1 epochs\)/],
    [quick('--epochs', '1', '--run', 'x7', '--checkpoint-at', 'epoch:3'), /'--checkpoint-at' is "epoch:3"; expected 'epoch:N' with N in 1\.\.1/],
    [quick('--epochs', 'two'), /option '--epochs' got "two", expected an integer/],
    [quick('--epochs', '1', '--warmup-epoch', '1'), /unknown option '--warmup-epoch' \(did you mean --warmup-epochs\?\)/],
  ];
  for (const [argv, re] of cases) {
    const { code, err } = await cli(argv);
    assert.equal(code, 2, `${argv.join(' ')}: ${err}`);
    assert.match(err, re);
    assert.doesNotMatch(err, STACK);
  }
  assert.ok(!existsSync(path.join(results, 'x1', 'config.json')), 'nothing was written for a refused run');
});

test('config files: wrong types and unknown keys name the file, the key and the nearest valid name (exit 2)', async () => {
  const file = path.join(root, 'bad.json');
  writeFileSync(file, JSON.stringify({ model: 'resnet-20', epochs: 'one' }));
  const typed = await cli(['train', '--config', file]);
  assert.equal(typed.code, 2);
  assert.match(typed.err, new RegExp(`${file.replace(/[.]/g, '\\.')}: option '--epochs' got "one", expected an integer`));
  writeFileSync(file, JSON.stringify({ model: 'resnet-20', warmupEpoch: 1 }));
  const unknown = await cli(['train', '--config', file]);
  assert.equal(unknown.code, 2);
  assert.match(unknown.err, /bad\.json: unknown option '--warmupEpoch' \(did you mean --warmup-epochs\?\)/);
  writeFileSync(file, JSON.stringify({ model: 'resnet-20', 'rand-aug-magnitude': 1 }));
  assert.match((await cli(['train', '--config', file])).err, /unknown option '--rand-aug-magnitude' \(did you mean --rand-augment-magnitude\?\)/);
  writeFileSync(file, '{ "model": ');
  const broken = await cli(['train', '--config', file]);
  assert.equal(broken.code, 2);
  assert.match(broken.err, /bad\.json: not valid JSON/);
  for (const r of [typed, unknown, broken]) assert.doesNotMatch(r.err, STACK);
});

test('bad data, a checkpoint that does not fit and an unwritable results folder: one message, no stack, exit 1', async () => {
  const cut = path.join(root, 'cut');
  mkdirSync(cut);
  for (const f of ['train.bin', 'test.bin', 'fine_label_names.txt', 'coarse_label_names.txt']) copyFileSync(path.join(data, f), path.join(cut, f));
  truncateSync(path.join(cut, 'train.bin'), 3074 * 50 + 100);
  const argv = ['train', '--model', 'resnet-20', '--data', cut, '--no-download', '--results', results, '--run', 'cut', '--epochs', '1', '--backend', backend.name];
  const { code, err } = await cli(argv);
  assert.equal(code, 1);
  assert.match(err, /cut\/train\.bin: found size 153800 bytes \(50 records and 100 bytes left over\); expected a multiple of 3074 bytes/);
  assert.doesNotMatch(err, STACK);
  assert.equal(err.trim().split('\n').filter((l) => l.includes('train.bin')).length, 1, err);
  assert.ok(!existsSync(path.join(results, 'cut')), 'a run folder left empty by a failed start is removed');
  // VITSCOPE_DEBUG=1: the same error with its stack
  const debug = await cli([...argv.slice(0, -6), '--run', 'cut2', '--epochs', '1', '--backend', backend.name], { VITSCOPE_DEBUG: '1' });
  assert.equal(debug.code, 1);
  assert.match(debug.err, STACK);

  // a checkpoint of another model: --resume of the 'short' run with a different batch size
  const mismatch = await cli(quick('--epochs', '1', '--run', 'short', '--resume', '--batch-size', '4'));
  assert.equal(mismatch.code, 2);
  assert.match(mismatch.err, /--resume: '--batch-size' is 4; expected 8, as the checkpoint .* was trained with/);
  assert.doesNotMatch(mismatch.err, STACK);

  // results under a regular file: not writable
  const file = path.join(root, 'a-file');
  writeFileSync(file, 'x');
  const unwritable = await cli(quick('--epochs', '1', '--results', path.join(file, 'results')));
  assert.equal(unwritable.code, 1);
  assert.match(unwritable.err, /a-file\/results: cannot write it: a path through a file, not a folder \(ENOTDIR\); expected a writable folder/);
  assert.doesNotMatch(unwritable.err, STACK);
  // a missing --data folder
  const missing = await cli(quick('--epochs', '1', '--data', path.join(root, 'nope')));
  assert.equal(missing.code, 1);
  assert.match(missing.err, /nope: found nothing there \(ENOENT\); expected a readable directory holding train\.bin/);
});

test('a full disk (ENOSPC): the write names the file and says what is wrong; no stack', async () => {
  // /dev/full answers every write with ENOSPC: a real error object from the kernel.
  let enospc: unknown;
  try {
    writeFileSync('/dev/full', 'x');
  } catch (err) {
    enospc = err;
  }
  if (enospc === undefined) return; // not Linux: nothing to learn here
  assert.equal((enospc as NodeJS.ErrnoException).code, 'ENOSPC');
  const plain = reportError('train', enospc);
  assert.equal(plain.exitCode, 1);
  assert.match(plain.text, /no space left on the device \(ENOSPC\) during write; expected free space there, or pass --results on another disk/);
  assert.doesNotMatch(plain.text, STACK);
  // writeFileAtomic turns it into a WriteError naming the target it meant to write
  const { WriteError } = await import('../../src/util/errors.ts');
  const wrapped = reportError('train', new WriteError(path.join(root, 'metrics.csv'), enospc as NodeJS.ErrnoException));
  assert.match(wrapped.text, /metrics\.csv: cannot write it: no space left on the device \(ENOSPC\); expected free space/);
  await assert.rejects(writeFileAtomic('/dev/full/x', 'y'), (e: Error) => e.name === 'WriteError' && /\/dev\/full\/x: cannot write it/.test(e.message));
});

test('unexpected errors keep their stack', () => {
  const { text, exitCode } = reportError('train', new TypeError('undefined is not a function'));
  assert.equal(exitCode, 1);
  assert.match(text, /train failed: TypeError: undefined is not a function/);
  assert.match(text, STACK);
});

test('analyses refuse a checkpoint holding NaN/Inf weights, naming the tensor', async () => {
  const { tf } = await import('../../src/backend/tf.ts');
  const { createModel } = await import('../../src/models/create.ts');
  const { saveCheckpoint } = await import('../../src/models/checkpoint.ts');
  const model = createModel('resnet-20', { seed: 4 });
  const name = model.paramInfo[5]!.name;
  const v = model.params.get(name)!;
  const poisoned = tf.tidy(() => tf.where(tf.greater(tf.abs(v), 0.01), v, tf.fill(v.shape, Number.POSITIVE_INFINITY)));
  v.assign(poisoned);
  poisoned.dispose();
  const ckpt = path.join(root, 'diverged');
  await saveCheckpoint(ckpt, { model });
  model.dispose();
  const { code, err } = await cli(['variance', '--checkpoint', ckpt, '--data', data, '--results', results, '--run', 'nan', '--backend', backend.name]);
  assert.equal(code, 1, err);
  assert.match(err, new RegExp(`weights\\.safetensors: parameter '${name.replace(/[.]/g, '\\.')}' holds \\d+ non-finite values? \\(first: Infinity at index \\d+\\); expected finite weights`));
  assert.doesNotMatch(err, STACK);
  assert.ok(!existsSync(path.join(results, 'nan', 'variance.json')), 'no figure or result from a diverged checkpoint');
});

test('as a process: an expected error exits 1 with one line on stderr and no stack', () => {
  const r = spawnSync(process.execPath, ['--import', 'tsx', MAIN, 'train', '--model', 'resnet-20', '--data', path.join(root, 'missing'), '--results', results, '--backend', backend.name], {
    cwd: REPO,
    encoding: 'utf8',
  });
  assert.equal(r.status, 1, r.stderr);
  const lines = r.stderr.trim().split('\n').filter((l) => !l.startsWith('[vitscope] backend'));
  assert.equal(lines.length, 1, r.stderr);
  assert.match(lines[0]!, /^\[vitscope\] train: .*missing: found nothing there \(ENOENT\); expected a readable directory holding train\.bin/);
});
