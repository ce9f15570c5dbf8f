import { after, test } from 'node:test';
import '../support/presets.ts'; // the tiny test presets
import assert from 'node:assert/strict';
import { promises as fs, mkdtempSync, existsSync, readdirSync, utimesSync } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { tf } from '../../src/backend/tf.ts';
import { initBackend } from '../../src/backend/select.ts';
import { createModel, loadCheckpoint, loadWeightsInto, resolveCheckpointDir, saveCheckpoint, getPreset } from '../../src/models/index.ts';
import { decodeSafetensors } from '../../src/models/safetensors.ts';
import { randomImages } from './helpers.ts';

const made: string[] = [];
const tmp = () => {
  const d = mkdtempSync(path.join(os.tmpdir(), 'vitscope-ckpt-'));
  made.push(d);
  return d;
};
after(async () => {
  for (const d of made) await fs.rm(d, { recursive: true, force: true });
});

test('save/load round trip is bit-exact: parameters, buffers, optimizer slots, state, logits', async () => {
  await initBackend({ backend: 'cpu', quiet: true });
  for (const name of ['resnet-a-tiny-test', 'swin-tiny-test', 'alternet-tiny-test']) {
    const m = createModel(name, { seed: 9, numClasses: 10 });
    const x = randomImages(3, 8, 1);
    m.forward(randomImages(4, 8, 2), { training: true, updateStats: true, seed: 1 }).dispose(); // non-trivial BN buffers
    const slots = new Map<string, tf.Tensor>([
      ['head.kernel#m', tf.randomNormal(m.params.get('head.kernel')!.shape, 0, 1, 'float32', 3)],
      ['head.kernel#v', tf.randomUniform(m.params.get('head.kernel')!.shape, 0, 1, 'float32', 4)],
    ]);
    const state = { epoch: 3, rng: [1, 2, 3, 4], note: 'x' };
    const dir = path.join(tmp(), 'run', 'checkpoints', 'epoch-3');
    await saveCheckpoint(dir, { model: m, optimizer: { name: 'adamw', step: 42, slots }, state });
    assert.deepEqual(readdirSync(dir).sort(), ['model.json', 'optimizer.safetensors', 'state.json', 'weights.safetensors']);
    assert.ok(!readdirSync(path.dirname(dir)).some((f) => f.startsWith('.tmp-')), 'no temporary left');
    const r = await loadCheckpoint(dir);
    assert.deepEqual(r.model.config, m.config);
    assert.deepEqual(r.model.paramInfo, m.paramInfo);
    for (const [k, v] of m.params) assert.deepEqual(r.model.params.get(k)!.dataSync(), v.dataSync(), k);
    for (const [k, v] of m.buffers) assert.deepEqual(r.model.buffers.get(k)!.dataSync(), v.dataSync(), k);
    assert.deepEqual(r.model.forward(x, { training: false }).dataSync(), m.forward(x, { training: false }).dataSync());
    assert.equal(r.optimizer!.name, 'adamw');
    assert.equal(r.optimizer!.step, 42);
    for (const [k, t] of slots) assert.deepEqual(r.optimizer!.slots.get(k)!.dataSync(), t.dataSync());
    assert.deepEqual(r.state, state);
    r.model.dispose();
    m.dispose();
  }
});

test('weights.safetensors follows the safetensors layout (readable without this code)', async () => {
  const m = createModel('vit-tiny-test', { seed: 1 });
  const dir = path.join(tmp(), 'ck');
  await saveCheckpoint(dir, { model: m });
  const bytes = await fs.readFile(path.join(dir, 'weights.safetensors'));
  const len = Number(bytes.readBigUInt64LE(0));
  assert.equal((8 + len) % 8, 0, 'data 8-byte aligned');
  const header = JSON.parse(bytes.subarray(8, 8 + len).toString('utf8')) as Record<string, { dtype: string; shape: number[]; data_offsets: [number, number] }>;
  const k = 'blocks.0.attn.qkv.kernel';
  assert.equal(header[k]!.dtype, 'F32');
  assert.deepEqual(header[k]!.shape, [8, 24]);
  const [a, b] = header[k]!.data_offsets;
  const raw = bytes.subarray(8 + len + a, 8 + len + b);
  const vals = Array.from({ length: (b - a) / 4 }, (_, i) => raw.readFloatLE(4 * i));
  assert.deepEqual(vals, Array.from(m.params.get(k)!.dataSync()));
  const total = Object.entries(header).filter(([n]) => n !== '__metadata__').reduce((s, [, e]) => s + e.data_offsets[1] - e.data_offsets[0], 0);
  assert.equal(bytes.length, 8 + len + total);
  assert.ok(!existsSync(path.join(dir, 'optimizer.safetensors')) && !existsSync(path.join(dir, 'state.json')));
  assert.throws(() => decodeSafetensors(new Uint8Array(4), 'x.safetensors'), /x.safetensors: not a safetensors file/);
  m.dispose();
});

test('loading into another preset names the first mismatching parameter and both shapes', async () => {
  const m = createModel('vit-tiny-test', { seed: 1 });
  const dir = path.join(tmp(), 'ck');
  await saveCheckpoint(dir, { model: m });
  const wider = createModel({ ...getPreset('vit-tiny-test'), dim: 12 });
  await assert.rejects(
    loadWeightsInto(wider, dir),
    /weights\.safetensors: parameter 'patch_embed\.proj\.kernel' of model 'vit-tiny-test' expects shape \[2, 2, 3, 12\], found \[2, 2, 3, 8\]/,
  );
  const other = createModel('resnet-tiny-test');
  await assert.rejects(loadWeightsInto(other, dir), /parameter 'stem\.conv\.kernel' of model 'resnet-tiny-test' expects shape \[3, 3, 3, 4\], found nothing \(checkpoint of 'vit-tiny-test'\)/);
  const gap = createModel('vit-gap-tiny-test');
  await assert.rejects(loadWeightsInto(gap, dir), /parameter 'pos_embed' .* expects shape \[1, 16, 8\], found \[1, 17, 8\]/);
  for (const x of [m, wider, other, gap]) x.dispose();
});

test('saving over an existing checkpoint replaces it whole', async () => {
  const dir = path.join(tmp(), 'ck');
  const a = createModel('vit-tiny-test', { seed: 1 });
  await saveCheckpoint(dir, { model: a, state: { v: 1 } });
  const b = createModel('vit-tiny-test', { seed: 2 });
  await saveCheckpoint(dir, { model: b });
  const r = await loadCheckpoint(dir);
  assert.deepEqual(r.model.params.get('head.kernel')!.dataSync(), b.params.get('head.kernel')!.dataSync());
  assert.equal(r.state, undefined, 'the old state.json is gone');
  assert.deepEqual(readdirSync(path.dirname(dir)), ['ck']);
  for (const x of [a, b, r.model]) x.dispose();
});

test('resolveCheckpointDir: the directory, checkpoints/final, or the newest checkpoint', async () => {
  const run = tmp();
  assert.throws(() => resolveCheckpointDir(run), /no checkpoint at '.*': expected .*model\.json, .*checkpoints\/final\/model\.json or .*checkpoints\/<tag>\/model\.json/);
  const m = createModel('resnet-tiny-test');
  const e1 = path.join(run, 'checkpoints', 'epoch-1');
  const e2 = path.join(run, 'checkpoints', 'epoch-2');
  await saveCheckpoint(e2, { model: m });
  await saveCheckpoint(e1, { model: m });
  const old = new Date(Date.now() - 60_000);
  utimesSync(path.join(e1, 'model.json'), old, old);
  assert.equal(resolveCheckpointDir(run), e2);
  assert.equal(resolveCheckpointDir(e1), e1);
  const fin = path.join(run, 'checkpoints', 'final');
  await saveCheckpoint(fin, { model: m });
  utimesSync(path.join(fin, 'model.json'), old, old);
  assert.equal(resolveCheckpointDir(run), fin);
  const r = await loadCheckpoint(run);
  assert.equal(r.dir, fin);
  r.model.dispose();
  m.dispose();
});

test('a bad manifest is an error naming the file and field', async () => {
  const dir = path.join(tmp(), 'ck');
  const m = createModel('resnet-tiny-test');
  await saveCheckpoint(dir, { model: m });
  const j = JSON.parse(await fs.readFile(path.join(dir, 'model.json'), 'utf8')) as Record<string, unknown>;
  await fs.writeFile(path.join(dir, 'model.json'), JSON.stringify({ ...j, format: 'other' }));
  await assert.rejects(loadCheckpoint(dir), /model\.json: field 'format' is "other", expected 'vitscope-checkpoint'/);
  m.dispose();
});

test('a Python reader of the safetensors layout (json + numpy) recovers the weights', async (t) => {
  const { spawnSync } = await import('node:child_process');
  const probe = spawnSync('python3', ['-c', 'import numpy'], { encoding: 'utf8' });
  if (probe.status !== 0) {
    t.skip('python3 with numpy not available');
    return;
  }
  const m = createModel('resnet-tiny-test', { seed: 3 });
  const dir = path.join(tmp(), 'ck');
  await saveCheckpoint(dir, { model: m });
  const script = [
    'import json, struct, sys, numpy as np',
    'b = open(sys.argv[1], "rb").read()',
    'n = struct.unpack("<Q", b[:8])[0]',
    'h = json.loads(b[8:8 + n])',
    'e = h["stem.conv.kernel"]',
    's, t = e["data_offsets"]',
    'a = np.frombuffer(b[8 + n + s:8 + n + t], dtype="<f4").reshape(e["shape"])',
    'print(json.dumps({"shape": list(a.shape), "sum": float(a.astype(np.float64).sum()), "meta": h.get("__metadata__")}))',
  ].join('\n');
  const r = spawnSync('python3', ['-c', script, path.join(dir, 'weights.safetensors')], { encoding: 'utf8' });
  assert.equal(r.status, 0, r.stderr);
  const out = JSON.parse(r.stdout) as { shape: number[]; sum: number; meta: Record<string, string> };
  assert.deepEqual(out.shape, [3, 3, 3, 4]);
  const sum = Array.from(m.params.get('stem.conv.kernel')!.dataSync()).reduce((a, b) => a + b, 0);
  assert.ok(Math.abs(out.sum - sum) < 1e-6);
  assert.equal(out.meta.format, 'pt');
  m.dispose();
});
