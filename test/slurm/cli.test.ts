// The executor options on a command: `--executor print` prints runnable shard lines (and writes nothing), bad
// combinations are refused with exit status 2 before anything is written or submitted, and `slurm` without Slurm's
// tools says so.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { command as hessian } from '../../src/cli/commands/hessian.ts';
import { bareContext } from '../../src/cli/context.ts';
import { resolveOptions } from '../../src/cli/options.ts';
import { isExpectedError } from '../../src/util/errors.ts';

async function stdoutOf(fn: () => Promise<void>): Promise<string> {
  const write = process.stdout.write.bind(process.stdout);
  let out = '';
  process.stdout.write = ((chunk: string | Uint8Array) => ((out += String(chunk)), true)) as typeof process.stdout.write;
  try {
    await fn();
  } finally {
    process.stdout.write = write;
  }
  return out;
}

function refusedWith(status: number, message: RegExp): (e: unknown) => boolean {
  return (e) => isExpectedError(e) && e.exitCode === status && message.test(e.message);
}

test('hessian --executor print: one line per shard with --shard i/n --resume and the options given, then merge; nothing written', async () => {
  const results = fs.mkdtempSync(path.join(os.tmpdir(), 'vitscope-print-'));
  try {
    const opts = resolveOptions(hessian, ['--checkpoint', 'results/vit', '--protocol', 'paper', '--k', '3', '--no-mix', '--results', results, '--run', 'vh', '--executor', 'print', '--shards', '3']);
    const out = await stdoutOf(() => hessian.run(opts, bareContext()));
    const lines = out.trimEnd().split('\n').filter((l) => !l.startsWith('#'));
    assert.equal(lines.length, 4, out);
    for (let i = 0; i < 3; i++) {
      assert.ok(lines[i]!.startsWith(`cd ${process.cwd()} && `), lines[i]);
      assert.ok(lines[i]!.endsWith(` hessian --checkpoint=results/vit --protocol=paper --mix=false --k=3 --results=${results} --run=vh --shard=${i}/3 --resume`), lines[i]);
      assert.doesNotMatch(lines[i]!, /--executor|--shards/);
    }
    assert.ok(lines[3]!.endsWith(` merge --results=${results} --run=vh`), lines[3]);
    assert.deepEqual(fs.readdirSync(results), [], 'print writes nothing');
  } finally {
    fs.rmSync(results, { recursive: true, force: true });
  }
});

test('executor options: bad combinations are refused (exit status 2) before anything is written', async () => {
  const results = fs.mkdtempSync(path.join(os.tmpdir(), 'vitscope-executor-opts-'));
  try {
    const run = (argv: string[]) => hessian.run(resolveOptions(hessian, ['--preset', 'resnet-20', '--results', results, '--run', 'x', ...argv]), bareContext());
    await assert.rejects(run(['--shards', '4']), refusedWith(2, /'--shards' is 4 with --executor local; expected --executor slurm or print/));
    await assert.rejects(run(['--executor', 'slurm']), refusedWith(2, /--executor slurm needs --shards <n>/));
    await assert.rejects(run(['--executor', 'slurm', '--shards', '2', '--shard', '0/2']), refusedWith(2, /'--shard' is "0\/2" with --executor slurm; expected no --shard/));
    await assert.rejects(run(['--executor', 'print', '--shards', '2', '--slurm-time', 'later']), refusedWith(2, /'--slurm-time' is 'later'/));
    assert.throws(() => resolveOptions(hessian, ['--executor', 'k8s']), refusedWith(2, /'--executor' got 'k8s', expected one of local, slurm, print/));
    assert.deepEqual(fs.readdirSync(results), []);
  } finally {
    fs.rmSync(results, { recursive: true, force: true });
  }
});

test('--executor slurm where sbatch is missing: one message saying so, pointing at --executor print', async () => {
  const results = fs.mkdtempSync(path.join(os.tmpdir(), 'vitscope-nosbatch-'));
  const oldPath = process.env.PATH;
  process.env.PATH = path.join(results, 'empty-bin');
  try {
    const opts = resolveOptions(hessian, ['--preset', 'resnet-20', '--results', results, '--run', 'x', '--executor', 'slurm', '--shards', '2']);
    await assert.rejects(hessian.run(opts, bareContext()), refusedWith(1, /squeue not found on PATH|sbatch not found on PATH: .*--executor print/));
  } finally {
    process.env.PATH = oldPath;
    fs.rmSync(results, { recursive: true, force: true });
  }
});
