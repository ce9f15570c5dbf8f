// The importer is generic over the families' declared layouts and checkpoint sources (no PyTorch needed here;
// test/crosscheck compares with timm itself): conversions by layout and their inverses, a file of one family
// given another family's preset, timm <= 0.6 Swin's derived buffers (checked, listed, never imported; one on an
// unshifted block is unexpected), the pretrained_cfg recorded with an imported checkpoint.
import { test, before } from 'node:test';
import '../support/presets.ts'; // the tiny test presets
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { initBackend } from '../../src/backend/select.ts';
import { createModel, getPreset, loadCheckpoint, pretrainedCfgOf, checkpointSources } from '../../src/models/index.ts';
import { importCheckpoint, sourceById, sourceIds } from '../../src/models/import/index.ts';
import { sourceShape, toSourceLayout, toTargetLayout } from '../../src/models/import/convert.ts';
import { PARAM_LAYOUTS } from '../../src/models/model.ts';
import { Rng } from '../../src/util/random.ts';
import { exportFor, safetensors } from './layout-export.ts';

before(async () => {
  await initBackend({ backend: 'cpu', quiet: true });
});

const scratch = mkdtempSync(path.join(tmpdir(), 'vitscope-layouts-'));
let serial = 0;
const write = (bytes: Uint8Array): string => {
  const file = path.join(scratch, `f${serial++}.safetensors`);
  writeFileSync(file, bytes);
  return file;
};

test('every layout converts from PyTorch and back exactly; depthwise and spatial by their PyTorch definitions', () => {
  const rng = new Rng(1);
  const shapes: Record<string, number[]> = { dense: [3, 5], conv: [2, 3, 4, 5], depthwise: [3, 3, 4, 2], tokens: [1, 7, 3], spatial: [1, 3, 4, 5], vector: [6] };
  for (const layout of PARAM_LAYOUTS) {
    const target = shapes[layout]!;
    const values = Float32Array.from({ length: target.reduce((a, b) => a * b, 1) }, () => rng.normal());
    const torch = toSourceLayout(values, target, layout);
    assert.deepEqual(Array.from(toTargetLayout(torch, sourceShape(target, layout), layout, target)), Array.from(values), layout);
  }
  // depthwise: PyTorch weight [C*M, 1, k, k], output channel c*M + m, is our [k, k, C, M]
  const [k, c, m] = [3, 4, 2];
  const torch = Float32Array.from({ length: c * m * k * k }, (_, i) => i);
  const ours = toTargetLayout(torch, [c * m, 1, k, k], 'depthwise', [k, k, c, m]);
  for (const [y, x, ci, mi] of [[0, 0, 0, 0], [2, 1, 3, 1], [1, 2, 2, 0]] as const)
    assert.equal(ours[((y * k + x) * c + ci) * m + mi], torch[((ci * m + mi) * k + y) * k + x]);
  assert.throws(() => toTargetLayout(torch, [c * m, 1, k, k], 'depthwise', [k, k, c, 3]), /depthwise filter must be \[C\*M, 1, kh, kw\]/);
  // spatial: [1, C, H, W] -> [1, H, W, C]
  const sp = toTargetLayout(Float32Array.from({ length: 24 }, (_, i) => i), [1, 2, 3, 4], 'spatial');
  assert.equal(sp[((1 * 4) + 2) * 2 + 1], 1 * 12 + 1 * 4 + 2); // (h 1, w 2, c 1) = torch (c 1, h 1, w 2)
});

test('the registry carries every family\'s sources (ids unique); a file of one family given another family\'s preset is one line naming both', async () => {
  const ids = sourceIds();
  assert.equal(new Set(ids).size, ids.length);
  for (const id of ['timm-vit', 'timm-swin', 'timm-swin-0.5', 'authors-resnet', 'timm-resnet']) assert.ok(ids.includes(id), id);
  assert.equal(sourceById('timm-swin-0.5').family.name, 'swin');
  const model = createModel('swin-tiny-test', { numClasses: 3, seed: 1 });
  const file = write(safetensors(exportFor(model, sourceById('timm-swin-0.5').source)));
  model.dispose();
  await assert.rejects(importCheckpoint({ from: file, arch: 'vit-tiny-test' }), (err: Error) => {
    assert.match(err.message, /the keys are those of timm <= 0\.6's SwinTransformer \(the authors' Swin-Ti\) \(family swin\), and preset 'vit-tiny-test' is a vit; expected a swin preset \(swin-ti, swin-tiny-224, /);
    assert.ok(!err.message.includes('\n'), 'one line');
    return true;
  });
  await assert.rejects(importCheckpoint({ from: file, arch: 'swin-tiny-test', source: 'timm-vit' }), /checkpoint source 'timm-vit' is timm's VisionTransformer, a vit, and preset 'swin-tiny-test' is a swin/);
});

test("timm <= 0.6 Swin: relative_position_index and attn_mask are checked against the preset and dropped; the weights import exactly", async () => {
  const model = createModel('swin-tiny-test', { numClasses: 3, seed: 2 });
  const source = sourceById('timm-swin-0.5').source;
  const tensors = exportFor(model, source);
  const masks = [...tensors.keys()].filter((k) => k.endsWith('attn_mask'));
  const indices = [...tensors.keys()].filter((k) => k.endsWith('relative_position_index'));
  assert.ok(masks.length > 0 && indices.length > 0, 'the tiny Swin has shifted blocks');
  // merging at the end of the previous stage, the head under 'head'
  assert.ok(tensors.has('layers.0.downsample.reduction.weight') && tensors.has('head.weight') && !tensors.has('head.fc.weight'));
  const r = await importCheckpoint({ from: write(safetensors(tensors)), arch: 'swin-tiny-test' });
  assert.equal(r.source.id, 'timm-swin-0.5');
  assert.deepEqual([...r.verified].sort(), [...masks, ...indices].sort());
  for (const [name, v] of r.model.params) assert.deepEqual(Array.from(v.dataSync()), Array.from(model.params.get(name)!.dataSync()), name);
  r.model.dispose();
  // without the buffers (a re-saved file) it imports too; a mask on an unshifted block is unexpected; a changed one inconsistent
  const without = new Map([...tensors].filter(([k]) => !masks.includes(k) && !indices.includes(k)));
  (await importCheckpoint({ from: write(safetensors(without)), arch: 'swin-tiny-test' })).model.dispose();
  const unshifted = masks[0]!.replace(/blocks\.1\./, 'blocks.0.');
  await assert.rejects(
    importCheckpoint({ from: write(safetensors(new Map([...tensors, [unshifted, tensors.get(masks[0]!)!]]))), arch: 'swin-tiny-test' }),
    new RegExp(`unexpected keys \\(1\\): '${unshifted.replace(/\./g, '\\.')}'`),
  );
  const t = tensors.get(masks[0]!)!;
  const flipped = Float64Array.from(t.values, (v) => (v === 0 ? -100 : 0));
  await assert.rejects(
    importCheckpoint({ from: write(safetensors(new Map([...tensors, [masks[0]!, { ...t, values: flipped }]]))), arch: 'swin-tiny-test' }),
    /buffers that disagree with the preset's windows\/shifts \(1, the file was built with another configuration\): '.*attn_mask' holds/,
  );
  model.dispose();
});

test('an imported checkpoint records its preset\'s pretrained_cfg in model.json and state.json, and loads with it', async () => {
  const model = createModel({ ...getPreset('swin-tiny-224'), preset: 'swin-tiny-224', imageSize: 224, dim: 8, depths: [1, 1], heads: [1, 1], windowSize: 7 }, { numClasses: 4 });
  const file = write(safetensors(exportFor(model, sourceById('timm-swin').source)));
  model.dispose();
  const out = path.join(scratch, 'imported');
  const r = await importCheckpoint({ from: file, arch: { ...getPreset('swin-tiny-224'), dim: 8, depths: [1, 1], heads: [1, 1] }, out });
  const want = pretrainedCfgOf(getPreset('swin-tiny-224'));
  assert.deepEqual(r.pretrainedCfg, want);
  assert.equal(want.cropPct, 0.9);
  r.model.dispose();
  const manifest = JSON.parse(readFileSync(path.join(out, 'model.json'), 'utf8')) as { config: { pretrainedCfg: unknown } };
  assert.deepEqual(manifest.config.pretrainedCfg, want);
  const state = JSON.parse(readFileSync(path.join(out, 'state.json'), 'utf8')) as { imported: { pretrainedCfg: unknown; source: string } };
  assert.deepEqual(state.imported.pretrainedCfg, want);
  assert.equal(state.imported.source, 'timm-swin');
  const loaded = await loadCheckpoint(out);
  assert.deepEqual(pretrainedCfgOf(loaded.model.config), want);
  loaded.model.dispose();
  assert.ok(checkpointSources().length >= 5);
});

test('pretrainedCfg overrides the preset\'s fields (another weight tag) and is checked field by field', async () => {
  const model = createModel('vit-tiny-test', { numClasses: 3, seed: 4 });
  const file = write(safetensors(exportFor(model, sourceById('timm-vit').source)));
  model.dispose();
  const r = await importCheckpoint({ from: file, arch: 'vit-tiny-test', pretrainedCfg: { mean: [0.5, 0.5, 0.5], cropPct: 0.95 } });
  assert.deepEqual(r.pretrainedCfg, { ...pretrainedCfgOf(getPreset('vit-tiny-test')), mean: [0.5, 0.5, 0.5], cropPct: 0.95 });
  assert.deepEqual(r.model.config.pretrainedCfg, r.pretrainedCfg);
  r.model.dispose();
  await assert.rejects(importCheckpoint({ from: file, arch: 'vit-tiny-test', pretrainedCfg: { cropPct: 2 } }), (err: Error & { exitCode?: number }) => {
    assert.match(err.message, /option '--pretrained-cfg': model config 'vit-tiny-test': field 'pretrainedCfg\.cropPct' is 2, expected a number in \(0, 1\]/);
    assert.equal(err.exitCode, 2);
    return true;
  });
  await assert.rejects(importCheckpoint({ from: file, arch: 'vit-tiny-test', pretrainedCfg: { inputSize: 224 } }), /field 'pretrainedCfg\.inputSize' is 224, expected the imageSize 8/);
});

test('an import builds its model without sampling an initialisation (every value is assigned); createModel is seeded as before afterwards', async () => {
  const blank = createModel('swin-tiny-test', { numClasses: 3, initialise: false });
  for (const [name, v] of [...blank.params, ...blank.buffers]) assert.ok(Array.from(v.dataSync()).every((x) => x === 0), name);
  blank.dispose();
  const a = createModel('swin-tiny-test', { numClasses: 3, seed: 7 });
  const b = createModel('swin-tiny-test', { numClasses: 3, seed: 7 });
  const k = 'layers.0.blocks.0.attn.qkv.kernel';
  assert.ok(Array.from(a.params.get(k)!.dataSync()).some((x) => x !== 0));
  assert.deepEqual(Array.from(a.params.get(k)!.dataSync()), Array.from(b.params.get(k)!.dataSync()));
  const file = write(safetensors(exportFor(a, sourceById('timm-swin').source)));
  const r = await importCheckpoint({ from: file, arch: 'swin-tiny-test' });
  for (const [name, v] of [...r.model.params, ...r.model.buffers]) assert.deepEqual(Array.from(v.dataSync()), Array.from([...a.params, ...a.buffers].find(([n]) => n === name)![1].dataSync()), name);
  for (const m of [a, b, r.model]) m.dispose();
});
