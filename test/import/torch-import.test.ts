// Checkpoints written by PyTorch (torch.save, zip format) with timm's ViT names and the authors'
// ResNet names import, and the imported models give PyTorch's logits on the same inputs.
// Tolerance (float32 on both sides): |vitscope - torch| <= 2e-5 + 1e-4 |torch| for every logit.
import { test } from 'node:test';
import '../support/presets.ts'; // the tiny test presets
import assert from 'node:assert/strict';
import { existsSync, readFileSync, writeFileSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { tf } from '../../src/backend/tf.ts';
import { initBackend } from '../../src/backend/select.ts';
import { countParams, loadCheckpoint } from '../../src/models/index.ts';
import { encodeSafetensors } from '../../src/models/safetensors.ts';
import { importCheckpoint, openZip, readStateDict, readTorchFile, SourceTensor } from '../../src/models/import/index.ts';
import { runCommand } from '../../src/cli/registry.ts';
import { toTargetLayout } from '../../src/models/import/convert.ts';
import { lossOfParams } from '../../src/train/loss-of-params.ts';
import { modelHessianOperator } from '../../src/hessian/model-operator.ts';
import { compare, torchFixtures, type LogitsCase } from './fixtures.ts';

const ATOL = 2e-5;
const RTOL = 1e-4;
const fx = torchFixtures();
const skip = typeof fx === 'string' ? fx : false;
const F = () => {
  if (typeof fx === 'string') throw new Error(fx);
  return fx;
};
const scratch = mkdtempSync(path.join(tmpdir(), 'vitscope-import-out-'));

function logitsOf(model: { forward(x: tf.Tensor4D, o: { training: boolean }): tf.Tensor2D }, c: LogitsCase): Float32Array {
  const x = tf.tensor4d(c.input.data, c.input.shape as [number, number, number, number]);
  const y = model.forward(x, { training: false });
  assert.deepEqual([...y.shape], c.logits.shape);
  const v = y.dataSync() as Float32Array;
  x.dispose();
  y.dispose();
  return v;
}

test('timm ViT, timm ResNet (ImageNet stem) and authors\' ResNet checkpoints: plain, wrapped with args + optimizer + strided storages, DataParallel prefix, safetensors, legacy (pre-1.6) format — logits agree with PyTorch', { skip }, async (t) => {
  await initBackend({ quiet: true });
  const f = F();
  const checked: string[] = [];
  const measured = new Map<string, number>();
  for (const [name, c] of Object.entries(f.cases)) {
    for (const file of c.files) {
      const r = await importCheckpoint({ from: f.file(file), arch: c.config ?? c.preset! });
      const { maxAbs, ok } = compare(logitsOf(r.model, c), c.logits.data, ATOL, RTOL);
      assert.ok(ok, `${name} from ${file}: max |logit difference| ${maxAbs}`);
      measured.set(name, Math.max(measured.get(name) ?? 0, maxAbs));
      if (file.endsWith('.pth.tar') && name.startsWith('vit')) assert.equal(r.wrapper, 'state_dict');
      if (file.includes('dataparallel')) assert.equal(r.strippedPrefix, 'module.');
      if (file.endsWith('.safetensors')) assert.equal(r.format, 'safetensors');
      if (name.includes('resnet')) {
        assert.equal(r.source.id, name.startsWith('timm') ? 'timm-resnet' : 'authors-resnet');
        assert.ok(r.ignored.length > 0 && r.ignored.every((k) => k.endsWith('num_batches_tracked')));
      }
      const held = r.model.paramInfo.reduce((n, p) => n + p.shape.reduce((a, b) => a * b, 1), 0);
      assert.equal(countParams(r.model.config), held, `${name}: the analytic parameter count`);
      r.model.dispose();
      checked.push(`${name}:${file}`);
    }
  }
  assert.equal(checked.length, 10);
  t.diagnostic(`max |logit difference| per case: ${[...measured].map(([k, v]) => `${k} ${v.toExponential(1)}`).join(', ')}`);
});

test('the imported timm-named ViT: feature maps, loss (soft targets + L2), gradient and Hessian-vector product agree with PyTorch', { skip }, async (t) => {
  await initBackend({ quiet: true });
  const f = F();
  const c = f.cases['vit-cls']!;
  const d = c.derivatives!;
  const r = await importCheckpoint({ from: f.file('vit-plain.pt'), arch: c.config! });
  const m = r.model;
  const x = tf.tensor4d(c.input.data, c.input.shape as [number, number, number, number]);
  const y = tf.tensor2d(d.targets.data, d.targets.shape as [number, number]);
  // tolerance relative to the largest magnitude of each PyTorch quantity (float32 on both sides)
  const within = (what: string, ours: ArrayLike<number>, theirs: ArrayLike<number>, rel: number) => {
    const scale = Math.max(...Array.from(theirs, Math.abs));
    const { maxAbs, ok } = compare(ours, theirs, rel * scale, 0);
    assert.ok(ok, `${what}: max |difference| ${maxAbs} > ${rel} x ${scale}`);
    const kind = what.replace(/ (of|map) .*/, '');
    worst.set(kind, Math.max(worst.get(kind) ?? 0, maxAbs / scale));
  };
  const worst = new Map<string, number>();
  const maps = m.features(x);
  assert.deepEqual(maps.map((t) => t.name), Object.keys(c.features!));
  for (const fm of maps) {
    const want = c.features![fm.name]!;
    assert.deepEqual([...fm.tensor.shape], want.shape, fm.name);
    within(`feature map ${fm.name}`, fm.tensor.dataSync(), want.data, 1e-5);
  }
  tf.dispose(maps.map((t) => t.tensor));
  // PyTorch's tensors in vitscope's layouts and parameter order, through the importer's own name map
  const names = m.paramInfo.map((p) => p.name);
  const ours = (packed: Record<string, { shape: number[]; data: number[] }>) =>
    names.map((n, i) => {
      const k = r.source.key(n, m.config);
      const t = packed[typeof k === 'string' ? k : k.key]!;
      return toTargetLayout(Float32Array.from(t.data), t.shape, m.paramInfo[i]!.layout, m.paramInfo[i]!.shape);
    });
  const fn = lossOfParams(m, x, y, { l2: d.l2 });
  const point = names.map((n) => m.params.get(n)! as tf.Tensor);
  const loss = fn(point);
  within('loss', loss.dataSync(), [d.loss], 1e-6);
  const grads = tf.grads((...ps: tf.Tensor[]) => fn(ps))(point);
  const theirGrads = ours(d.gradient);
  grads.forEach((g, i) => within(`gradient of ${names[i]}`, g.dataSync(), theirGrads[i]!, 1e-4));
  const concat = (parts: Float32Array[]) => Float64Array.from(parts.flatMap((p) => Array.from(p)));
  const hv = await modelHessianOperator(m, [{ x, y }], { l2: d.l2 }).matvec(concat(ours(d.v)));
  within('Hessian-vector product', hv, concat(ours(d.hvp)), 1e-4);
  t.diagnostic(`max |difference| / max |PyTorch|: ${[...worst].map(([k, v]) => `${k} ${v.toExponential(1)}`).join(', ')}`);
  tf.dispose([x, y, loss, ...grads]);
  m.dispose();
});

test('torch element types: float16 (with a subnormal), bfloat16, float64, int64, uint8 read exactly (to float32)', { skip }, () => {
  const f = F();
  const root = readTorchFile(new Uint8Array(readFileSync(f.file('dtypes.pt'))), 'dtypes.pt');
  assert.ok(root instanceof Map);
  for (const [k, want] of Object.entries(f.dtypes)) {
    const t: unknown = root.get(k);
    assert.ok(t instanceof SourceTensor, k);
    assert.deepEqual([...t.shape], want.shape, k);
    assert.deepEqual([...t.values()], want.data.map(Math.fround), k);
  }
});

test('full-size key maps by shape: the authors\' CIFAR ViT-Ti into vit-ti, timm vit_tiny_patch16_224 into vit-ti-16-224', { skip }, async () => {
  await initBackend({ quiet: true });
  const f = F();
  for (const [file, arch, classes] of [['vit-ti-full.pth.tar', 'vit-ti', 100], ['vit-tiny-patch16-224.pt', 'vit-ti-16-224', 1000]] as const) {
    const sd = await readStateDict(f.file(file));
    const r = await importCheckpoint({ from: f.file(file), arch });
    const m = r.model;
    assert.equal(m.config.numClasses, classes);
    assert.equal(m.paramInfo.length, sd.tensors.size, `${file}: every key used once`);
    // layouts: qkv Linear [3D, D] -> kernel [D, 3D]; patch conv [D, 3, p, p] -> [p, p, 3, D]
    const qkv = sd.tensors.get('blocks.11.attn.qkv.weight')!;
    const kernel = m.params.get('blocks.11.attn.qkv.kernel')!;
    assert.deepEqual(kernel.shape, [qkv.shape[1], qkv.shape[0]]);
    const src = qkv.values();
    const dst = kernel.dataSync();
    const d = qkv.shape[1]!;
    for (const [o, i] of [[0, 0], [5, 7], [3 * d - 1, d - 1]] as const) assert.equal(dst[i * 3 * d + o], src[o * d + i]);
    const conv = sd.tensors.get('patch_embed.proj.weight')!;
    const [dim, cin, p] = conv.shape as [number, number, number];
    const pk = m.params.get('patch_embed.proj.kernel')!;
    assert.deepEqual(pk.shape, [p, p, cin, dim]);
    const cs = conv.values();
    const pd = pk.dataSync();
    for (const [o, c, y, x] of [[1, 2, p - 1, 0], [dim - 1, 0, 1, p - 1]] as const)
      assert.equal(pd[((y * p + x) * cin + c) * dim + o], cs[((o * cin + c) * p + y) * p + x]);
    m.dispose();
  }
});

test('the import command writes a checkpoint that loadCheckpoint (--checkpoint DIR) reads back with the same logits; it never replaces a directory', { skip }, async () => {
  await initBackend({ quiet: true });
  const f = F();
  const c = f.cases['resnet-bottleneck']!;
  const out = path.join(scratch, 'resnet');
  const ctx = { log: () => {}, signal: new AbortController().signal };
  await runCommand('import', { from: f.file(c.files[0]!), arch: c.preset!, out }, ctx);
  const loaded = await loadCheckpoint(out);
  assert.ok(compare(logitsOf(loaded.model, c), c.logits.data, ATOL, RTOL).ok);
  assert.equal((loaded.state?.imported as { source?: string }).source, 'authors-resnet');
  loaded.model.dispose();
  await assert.rejects(runCommand('import', { from: f.file(c.files[0]!), arch: c.preset!, out }, ctx), /already exists; import never replaces/);
  assert.ok(existsSync(path.join(out, 'model.json')));
});

/** Imports `from` into `arch` with --out and expects one error matching every pattern, and no --out. */
async function rejectsWithoutOutput(from: string, arch: Parameters<typeof importCheckpoint>[0]['arch'], patterns: RegExp[], source?: string): Promise<void> {
  const out = path.join(scratch, `bad-${path.basename(from)}-${Math.random().toString(36).slice(2)}`);
  let message = '';
  await assert.rejects(importCheckpoint({ from, arch, out, source }), (err: Error) => ((message = err.message), true));
  for (const p of patterns) assert.match(message, p);
  assert.ok(message.includes(from), `the error names the file: ${message}`);
  assert.equal(existsSync(out), false, `nothing written to ${out}`);
}

test('bad checkpoints: truncated zip, unsupported global in the state dict, wrong shapes, another architecture, truncated legacy file — one error naming file and key, nothing written', { skip }, async () => {
  await initBackend({ quiet: true });
  const f = F();
  const plain = readFileSync(f.file('vit-plain.pt'));
  const truncated = path.join(scratch, 'truncated.pt');
  writeFileSync(truncated, plain.subarray(0, Math.floor(plain.length * 0.6)));
  await rejectsWithoutOutput(truncated, f.cases['vit-cls']!.config!, [/truncated or damaged zip archive/]);
  // the directory intact but one storage's bytes damaged: its CRC-32 fails, and the entry is named
  const damagedBytes = Buffer.from(plain);
  const zip = openZip(new Uint8Array(damagedBytes), 'vit-plain.pt');
  const storage = [...zip.entries.values()].filter((e) => /\/data\/\d+$/.test(e.name)).sort((a, b) => b.size - a.size)[0]!;
  const lho = storage.localHeaderOffset;
  damagedBytes[lho + 30 + damagedBytes.readUInt16LE(lho + 26) + damagedBytes.readUInt16LE(lho + 28) + 5]! ^= 0x40;
  const damaged = path.join(scratch, 'damaged.pt');
  writeFileSync(damaged, damagedBytes);
  await rejectsWithoutOutput(damaged, f.cases['vit-cls']!.config!, [new RegExp(`zip entry '${storage.name}' fails its CRC-32 check`)]);
  await rejectsWithoutOutput(f.file('vit-unsupported-global.pt'), f.cases['vit-cls']!.config!, [
    /state-dict entry 'blocks\.1\.attn\.proj\.weight' is built by __main__\.Unsupported, which is not supported/,
  ]);
  await rejectsWithoutOutput(f.file('vit-plain.pt'), 'vit-tiny-test', [
    /does not match timm's VisionTransformer as preset 'vit-tiny-test'/,
    /mis-shaped keys \(\d+\): .*'blocks\.0\.attn\.qkv\.weight' is \[96, 32\], expected \[24, 8\]/,
  ]);
  // a GAP checkpoint into a class-token configuration: missing and unexpected keys by name
  const clsLike = { ...f.cases['vit-gap']!.config!, pool: 'cls' };
  await rejectsWithoutOutput(f.file('vit-gap.pt'), clsLike, [
    /missing keys \(3\): 'cls_token' \[1, 1, 24\], 'norm\.weight' \[24\], 'norm\.bias' \[24\]/,
    /unexpected keys \(2\): 'fc_norm\.weight' \[24\], 'fc_norm\.bias' \[24\]/,
    /mis-shaped keys \(1\): 'pos_embed' is \[1, 16, 24\], expected \[1, 17, 24\]/,
  ]);
  await rejectsWithoutOutput(f.file('resnet-basic.pth.tar'), 'vit-tiny-test', [/the authors' CIFAR ResNet.*preset 'vit-tiny-test' is a vit/]);
  await rejectsWithoutOutput(f.file('vit-plain.pt'), 'resnet-tiny-test', [/timm's VisionTransformer.*preset 'resnet-tiny-test' is a resnet/]);
  await rejectsWithoutOutput(f.file('timm-resnet-basic.pth'), 'resnet-tiny-test', [/timm's \(torchvision's\) ResNet.*has the ImageNet stem .* and preset 'resnet-tiny-test' the CIFAR one/]);
  await rejectsWithoutOutput(f.file('vit-plain.pt'), 'swin-tiny-test', [/timm's VisionTransformer \(family vit\), and preset 'swin-tiny-test' is a swin; expected a vit preset \(vit-ti, /]);
  await rejectsWithoutOutput(f.file('resnet-basic.pth.tar'), 'alternet-tiny-test', [/the authors' CIFAR ResNet .*\(family resnet\), and preset 'alternet-tiny-test' is a alternet; expected a resnet preset \(resnet-18, /]);
  await rejectsWithoutOutput(f.file('vit-module.pt'), f.cases['vit-cls']!.config!, [
    /the file holds a pickled object of __main__\.VisionTransformer, expected a state dict .*; save model\.state_dict\(\) instead/,
  ]);
  const unknown = path.join(scratch, 'unknown.safetensors');
  writeFileSync(unknown, encodeSafetensors(new Map([['encoder.layers.0.weight', { dtype: 'F32' as const, shape: [2], data: new Float32Array(2) }]])));
  await rejectsWithoutOutput(unknown, 'vit-tiny-test', [/the state-dict keys \('encoder\.layers\.0\.weight'\) are not those of a known source architecture; expected one of: .*timm's VisionTransformer \(timm-vit\)/]);
  await rejectsWithoutOutput(unknown, 'alternet-tiny-test', [/cannot import into preset 'alternet-tiny-test' \(family alternet\): checkpoint names are not mapped/]);
  // a source named explicitly that is not the file's: its keys are listed as missing and unexpected
  await rejectsWithoutOutput(f.file('timm-resnet-basic.pth'), f.cases['timm-resnet-basic']!.config!, [
    /does not match the authors' CIFAR ResNet/,
    /missing keys \(\d+\): 'layer0\.0\.weight' \[4, 3, 7, 7\]/,
    /unexpected keys \(\d+\): 'conv1\.weight' \[4, 3, 7, 7\]/,
  ], 'authors-resnet');
  const legacy = readFileSync(f.file('vit-legacy.pt'));
  const legacyCut = path.join(scratch, 'legacy-cut.pt');
  writeFileSync(legacyCut, legacy.subarray(0, legacy.length - 100));
  await rejectsWithoutOutput(legacyCut, f.cases['vit-cls']!.config!, [/storage '\d+' needs \d+ bytes at byte \d+, the file ends at \d+ \(truncated file\)/]);
});

test("the ImageNet ResNet presets have torchvision's parameter counts (resnet50 25,557,032; resnet18 11,689,512 with 1000 classes)", () => {
  assert.equal(countParams('resnet-50-224', { numClasses: 1000 }), 25_557_032);
  assert.equal(countParams('resnet-18-224', { numClasses: 1000 }), 11_689_512);
  assert.equal(countParams('vit-ti-16-224', { numClasses: 1000 }), 5_717_416); // timm vit_tiny_patch16_224
});
