// SIGKILL at several moments of a short training run — inside a checkpoint write, between a finished checkpoint
// and the update of latest.json, between two steps (a seeded random step), and at a seeded random time — each
// followed by `train --resume`, must end with the same weights, optimizer state and metrics as a run never
// interrupted. Training is deterministic on one backend (counter-based randomness, src/train/train.ts), so the
// comparison is bit for bit; only the timing columns of the metrics differ.
import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { initBackend } from '../../src/backend/select.ts';
import { decodeSafetensors } from '../../src/models/safetensors.ts';
import { loadCheckpoint } from '../../src/models/checkpoint.ts';
import { readLatest, resumeCheckpoint } from '../../src/train/checkpoint.ts';
import { train } from '../../src/train/train.ts';
import { FAULT_ANNOUNCE, FAULT_ENV } from '../../src/io/fault-points.ts';
import { Rng } from '../../src/util/random.ts';
import { runCli, writeTinyCifar } from './helpers.ts';

const backend = await initBackend({ backend: 'native', quiet: true }).catch(() => initBackend({ backend: 'cpu', quiet: true }));
const root = mkdtempSync(path.join(tmpdir(), 'vitscope-sigkill-'));
const data = path.join(root, 'data');
const results = path.join(root, 'results');
await writeTinyCifar(data, 200, 40, 7);
after(() => rmSync(root, { recursive: true, force: true }));

// resnet-20 (BatchNorm buffers, AdamW slots), crop/flip/RandAugment/mixup/CutMix on: every kind of state.
// The default 5-epoch warm-up is longer than this 2-epoch run and is shortened (0.2 epochs = 1 step).
const options: Record<string, string> = {
  model: 'resnet-20', data, download: 'false', results, epochs: '2', 'steps-per-epoch': '5', 'batch-size': '8',
  'eval-batch-size': '40', 'checkpoint-at': 'warmup,3,7', 'keep-last': '0', seed: '3', backend: backend.name,
};
const flags = (run: string, resume: boolean): string[] => [
  'train', ...Object.entries(options).flatMap(([k, v]) => (k === 'download' ? ['--no-download'] : [`--${k}`, v])), '--run', run, ...(resume ? ['--resume'] : []),
];

const TIMING = new Set(['images_per_sec', 'epoch_seconds', 'eval_seconds']);
function metricRows(runDir: string): Record<string, unknown>[] {
  return readFileSync(path.join(runDir, 'metrics.jsonl'), 'utf8')
    .split('\n')
    .filter((l) => l.trim() !== '')
    .map((l) => Object.fromEntries(Object.entries(JSON.parse(l) as Record<string, unknown>).filter(([k]) => !TIMING.has(k))));
}

function tensorsOf(file: string): Map<string, Buffer> {
  const { tensors } = decodeSafetensors(new Uint8Array(readFileSync(file)), file);
  return new Map([...tensors].map(([n, t]) => [n, Buffer.from(t.data.buffer, t.data.byteOffset, t.data.byteLength)]));
}

function assertSameTensors(a: string, b: string): number {
  const ta = tensorsOf(a);
  const tb = tensorsOf(b);
  assert.deepEqual([...ta.keys()].sort(), [...tb.keys()].sort(), `${a} and ${b} hold different tensors`);
  for (const [n, buf] of ta) assert.ok(buf.equals(tb.get(n)!), `tensor '${n}' differs between ${a} and ${b}`);
  return ta.size;
}

/** Every checkpoint with a model.json loads (a complete checkpoint is never replaced by a partial one). */
async function assertCompleteCheckpointsLoad(runDir: string): Promise<string[]> {
  const ckpts = path.join(runDir, 'checkpoints');
  const tags = readdirSync(ckpts).filter((t) => !t.startsWith('.') && existsSync(path.join(ckpts, t, 'model.json')));
  for (const t of tags) (await loadCheckpoint(path.join(ckpts, t))).model.dispose();
  return tags;
}

test('SIGKILL at random moments (inside checkpoint writes too) + --resume ends bit-identical to an uninterrupted run', async () => {
  // The reference: the same options, in this process, never interrupted.
  const ref = await train({ ...Object.fromEntries(Object.entries(options).map(([k, v]) => [k, k === 'download' ? false : v])), run: 'reference' } as never, { log: () => {} });
  assert.equal(ref.status, 'completed');
  ref.model.dispose();
  const refDir = path.join(results, 'reference');

  const rng = new Rng(2026);
  const runDir = path.join(results, 'crash');
  const kills: string[] = [];
  const killAtPause = async (resume: boolean, pause: string): Promise<string> => {
    const child = runCli(flags('crash', resume), { [FAULT_ENV]: pause });
    await child.waitFor(`${FAULT_ANNOUNCE} ${pause.replace(':', ' #')}`);
    child.kill('SIGKILL');
    const end = await child.exited;
    assert.equal(end.signal, 'SIGKILL');
    kills.push(pause);
    return child.stderr();
  };

  // 1. Inside the second checkpoint write (tag step-3): weights written, model.json not yet.
  await killAtPause(false, 'checkpoint-write:2');
  const left = readdirSync(path.join(runDir, 'checkpoints'));
  assert.ok(left.some((e) => e.startsWith('.tmp-step-3-')), `the kill came inside the write of step-3: ${left.join(', ')}`);
  assert.ok(!left.includes('step-3'), 'a partial checkpoint never takes the place of a complete one');
  assert.deepEqual(await assertCompleteCheckpointsLoad(runDir), ['warmup']);
  assert.equal((await readLatest(runDir))?.tag, 'warmup');
  assert.ok(existsSync(path.join(runDir, '.lock')), 'the killed writer left its lock behind (taken over below)');

  // 2. After the epoch-1 checkpoint is complete but before latest.json names it.
  await killAtPause(true, 'latest-pointer:2');
  assert.equal((await readLatest(runDir))?.tag, 'step-3');
  assert.deepEqual((await assertCompleteCheckpointsLoad(runDir)).sort(), ['epoch-1', 'step-3', 'warmup']);

  // 3. Between two steps, at a seeded random step after the resume point.
  const k = 1 + rng.int(3);
  const third = await killAtPause(true, `train-step:${k}`);
  assert.match(third, /last complete checkpoint is 'epoch-1'/, 'resume used the newest complete checkpoint, not latest.json');
  assert.match(third, /resuming .* from checkpoint 'epoch-1' \(epoch 2, step 5\)/);

  // 4. At a seeded random time after training resumed (it may also have finished by then).
  const delay = rng.int(1500);
  const fourth = runCli(flags('crash', true));
  await fourth.waitFor('[train] resuming');
  await new Promise((r) => setTimeout(r, delay));
  fourth.kill('SIGKILL');
  const end4 = await fourth.exited;
  kills.push(`${delay} ms after resuming (${end4.signal === 'SIGKILL' ? 'killed' : `had already exited with ${end4.code}`})`);
  await assertCompleteCheckpointsLoad(runDir);

  // 5. The last resume runs to the end.
  const last = runCli(flags('crash', true));
  const done = await last.exited;
  assert.equal(done.code, 0, last.stderr());
  assert.doesNotMatch(last.stderr(), /\n\s+at /, 'no stack trace');

  const n = assertSameTensors(path.join(runDir, 'checkpoints', 'final', 'weights.safetensors'), path.join(refDir, 'checkpoints', 'final', 'weights.safetensors'));
  assert.ok(n > 60, `resnet-20 has parameters and BatchNorm buffers (${n} tensors)`);
  assertSameTensors(path.join(runDir, 'checkpoints', 'final', 'optimizer.safetensors'), path.join(refDir, 'checkpoints', 'final', 'optimizer.safetensors'));
  const rows = metricRows(runDir);
  assert.deepEqual(rows.map((r) => r.epoch), [1, 2], 'one metrics row per epoch: none lost, none duplicated');
  assert.deepEqual(rows, metricRows(refDir));
  assert.equal(readFileSync(path.join(runDir, 'metrics.csv'), 'utf8').trim().split('\n').length, 3);
  assert.ok(!readdirSync(path.join(runDir, 'checkpoints')).some((e) => e.startsWith('.')), 'unfinished writes were cleaned up');
  assert.ok(!existsSync(path.join(runDir, '.lock')), 'the lock is released at the end');

  // 6. --resume of the finished run saves 'final' again; a kill between moving the old 'final' aside and
  // renaming the new one in leaves no 'final' — the next resume puts the complete old one back.
  await killAtPause(true, 'checkpoint-swap:1');
  const aside = readdirSync(path.join(runDir, 'checkpoints'));
  assert.ok(!aside.includes('final') && aside.some((e) => e.startsWith('.old-final-')), `killed inside the swap: ${aside.join(', ')}`);
  const notes: string[] = [];
  assert.equal((await resumeCheckpoint(runDir, (m) => notes.push(m)))?.tag, 'final');
  assert.match(notes.join('\n'), /restored checkpoint final/);
  assertSameTensors(path.join(runDir, 'checkpoints', 'final', 'weights.safetensors'), path.join(refDir, 'checkpoints', 'final', 'weights.safetensors'));
  console.log(`# kills: ${kills.join('; ')}`);
});
