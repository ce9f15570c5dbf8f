// The webgpu backend against native (cpu when the addon is not built) on the tiny presets of every family: loss,
// gradient, exact Hessian-vector product, three steps of the real training loop (train(): AdamW and SGD, mixup,
// evaluation, checkpoints), features() and the analyses' DFT, the analyses' library functions (Fourier and variance
// by depth, noise robustness, a loss-landscape point, Lanczos on the model's Hessian); tensors and GPU bytes stable
// over repeated products. Tolerances: losses 1e-4 relative; gradients, Hv, features, DFT and variances 1e-3 of the
// quantity's largest magnitude (float32 in another summation order, compounded through the network and its second
// derivative); log amplitudes 1e-3 absolute (a log near a zero amplitude magnifies rounding); parameters after three
// steps 1e-2 of the update's largest magnitude (Adam divides by sqrt(v), which magnifies rounding in the smallest
// gradients); accuracies within one image (an argmax can flip on a near tie); Ritz values of four Lanczos steps 1e-2
// of the largest (each step compounds the product's rounding).
//
// Dawn reads its Vulkan driver from the environment at start, so the checks run in a child process: on SwiftShader
// (chromium's CPU Vulkan driver) here and in CI, or on the system's driver with VITSCOPE_WEBGPU_SYSTEM=1 (a GPU
// machine, scripts/gpu-check.sh).
import { test } from 'node:test';
import '../support/presets.ts'; // the tiny test presets
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { tf } from '../../src/backend/tf.ts';
import { initBackend, type BackendName } from '../../src/backend/select.ts';
import { diagnoseVulkan, swiftShaderEnv, SyncReadError } from '../../src/backend/webgpu/index.ts';
import { mergeUnpaddedAxes } from '../../src/backend/webgpu/kernels/pad.ts';
import { createModel } from '../../src/models/index.ts';
import type { Model } from '../../src/models/model.ts';
import { crossEntropy } from '../../src/train/losses.ts';
import { train } from '../../src/train/train.ts';
import { fourierByDepth, sliceBatches, varianceByDepth } from '../../src/analysis/depth.ts';
import { noiseRobustness } from '../../src/analysis/noise-robustness.ts';
import { frequencyNoise } from '../../src/analysis/noise.ts';
import { evaluateAt, randomDirection } from '../../src/analysis/landscape.ts';
import { lanczos } from '../../src/hessian/lanczos.ts';
import { tinyData } from '../train/helpers.ts';
import { mixSeeds } from '../../src/data/seed-mix.ts';
import { dft2d, nhwcToMaps } from '../../src/analysis/dft.ts';
import { adamwUpdate, adamwUpdateComposite, gelu, geluComposite } from '../../src/backend/fused-ops.ts';
import { modelHessianOperator } from '../../src/hessian/model-operator.ts';
import { Rng } from '../../src/util/random.ts';

const THIS_FILE = fileURLToPath(import.meta.url);
const ROOT = path.resolve(path.dirname(THIS_FILE), '../..');
const IN_CHILD = process.env.VITSCOPE_WEBGPU_TEST_CHILD === '1';

function runChild(args: string[], env: NodeJS.ProcessEnv, timeoutMs: number): Promise<{ status: number | null; out: string }> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, ['--import', 'tsx', ...args], { cwd: ROOT, env, stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    child.stdout.on('data', (d: Buffer) => (out += d.toString()));
    child.stderr.on('data', (d: Buffer) => (out += d.toString()));
    const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
    child.on('close', (status) => {
      clearTimeout(timer);
      resolve({ status, out });
    });
  });
}

// ---------------------------------------------------------------- parent: pure checks and the child processes

if (!IN_CHILD) {
  const systemGpu = process.env.VITSCOPE_WEBGPU_SYSTEM === '1';
  const childEnv = systemGpu ? { ...process.env } : swiftShaderEnv();
  const skip = childEnv === null ? 'no Vulkan driver for Dawn: chromium (which ships SwiftShader) is not installed, and VITSCOPE_WEBGPU_SYSTEM=1 (use the system GPU driver) is not set' : false;

  test('webgpu backend matches the reference on every family (child process on Dawn)', { skip, timeout: 15 * 60_000 }, async (t) => {
    const env: NodeJS.ProcessEnv = { ...childEnv!, VITSCOPE_WEBGPU_TEST_CHILD: '1' };
    delete env.NODE_TEST_CONTEXT; // a test runner of its own, not a subtest of this one
    const r = await runChild(['--test', '--test-reporter=spec', THIS_FILE], env, 14 * 60_000);
    for (const line of r.out.split('\n').filter((l) => /✔|✖|﹣|ℹ (pass|fail|skipped)|\[webgpu-test\]/.test(l))) t.diagnostic(line.trim());
    assert.equal(r.status, 0, `webgpu checks failed (exit ${r.status}):\n${r.out.slice(-6000)}`);
    assert.match(r.out, /ℹ pass [1-9]/, `the child ran no checks:\n${r.out.slice(-3000)}`);
    assert.match(r.out, /ℹ skipped 0/, `the child skipped checks:\n${r.out.slice(-3000)}`);
  });

  test('without any Vulkan driver, auto and --backend webgpu fall back and say what is missing', async () => {
    const script = `
      import { initBackend } from './src/backend/select.ts';
      const auto = await initBackend({ backend: 'auto', quiet: true });
      const asked = await initBackend({ backend: 'webgpu' });
      console.log(JSON.stringify({ auto, asked }));`;
    // the automatic probe runs only where a GPU device exists (none here): VITSCOPE_WEBGPU_PROBE=always forces it
    const env: NodeJS.ProcessEnv = { ...process.env, VK_ICD_FILENAMES: path.join(os.tmpdir(), 'vitscope-no-such-icd.json'), VITSCOPE_WEBGPU_PROBE: 'always' };
    delete env.VK_DRIVER_FILES;
    const r = await runChild(['--input-type=module', '-e', script], env, 120_000);
    assert.equal(r.status, 0, r.out);
    const { auto, asked } = JSON.parse(r.out.trim().split('\n').filter((l) => l.startsWith('{')).pop()!);
    assert.notEqual(auto.name, 'webgpu');
    assert.equal(asked.name, auto.name);
    const reason = auto.skipped.find((s: { name: string }) => s.name === 'webgpu')?.reason as string;
    assert.match(reason, /VK_ICD_FILENAMES=.*vitscope-no-such-icd\.json names no existing driver manifest/);
    // one message: the backend used instead, and why not webgpu
    assert.match(r.out, new RegExp(`\\[vitscope\\] backend: ${auto.name} .*instead of webgpu; webgpu: no usable GPU adapter: .*VK_ICD_FILENAMES`));
  });

  test('auto does not choose a fallback adapter (SwiftShader) and says how to ask for it', { skip: systemGpu ? 'the system GPU driver is in use' : skip }, async () => {
    const script = `
      import { initBackend } from './src/backend/select.ts';
      console.log(JSON.stringify(await initBackend({ backend: 'auto' })));`;
    const r = await runChild(['--input-type=module', '-e', script], { ...childEnv!, VITSCOPE_WEBGPU_PROBE: 'always' }, 120_000);
    assert.equal(r.status, 0, r.out);
    const info = JSON.parse(r.out.trim().split('\n').filter((l) => l.startsWith('{')).pop()!);
    assert.notEqual(info.name, 'webgpu');
    assert.match(info.skipped.find((s: { name: string }) => s.name === 'webgpu')?.reason ?? '', /only a fallback adapter \(SwiftShader.*pass --backend webgpu/);
    assert.match(r.out, new RegExp(`\\[vitscope\\] backend: ${info.name} .*; webgpu: no usable GPU adapter: only a fallback adapter`));
  });

  // Notebooks load the library through a CommonJS require hook (notebooks/node_modules/vitscope), where a dynamic
  // import() of one of the project's .ts files fails ("Unknown file extension"): the backend must load there too.
  test('the library loaded as the notebooks load it (CommonJS require hook) initialises webgpu', { skip, timeout: 180_000 }, async () => {
    const script = `require('vitscope').initBackend({ backend: 'webgpu', quiet: true })
      .then((info) => console.log(JSON.stringify({ name: info.name, skipped: info.skipped })))
      .catch((err) => { console.error(err); process.exit(1); });`;
    const r = await new Promise<{ status: number | null; out: string }>((resolve) => {
      const child = spawn(process.execPath, ['-e', script], { cwd: path.join(ROOT, 'notebooks'), env: childEnv!, stdio: ['ignore', 'pipe', 'pipe'] });
      let out = '';
      child.stdout.on('data', (d: Buffer) => (out += d.toString()));
      child.stderr.on('data', (d: Buffer) => (out += d.toString()));
      const timer = setTimeout(() => child.kill('SIGKILL'), 170_000);
      child.on('close', (status) => {
        clearTimeout(timer);
        resolve({ status, out });
      });
    });
    assert.equal(r.status, 0, r.out);
    const info = JSON.parse(r.out.trim().split('\n').filter((l) => l.startsWith('{')).pop()!) as { name: string; skipped: unknown };
    assert.equal(info.name, 'webgpu', `webgpu not selected through the require hook: ${JSON.stringify(info.skipped)}`);
  });

  test('Vulkan diagnosis finds a loader on LD_LIBRARY_PATH and the driver manifests VK_ICD_FILENAMES lists', () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'vitscope-vk-'));
    try {
      fs.writeFileSync(path.join(dir, 'libvulkan.so.1'), '');
      const icd = path.join(dir, 'icd.json');
      fs.writeFileSync(icd, '{}');
      const ok = diagnoseVulkan({ LD_LIBRARY_PATH: dir, VK_ICD_FILENAMES: `${icd}:${dir}/missing.json` }, 'linux');
      assert.equal(ok.loader, path.join(dir, 'libvulkan.so.1'));
      assert.deepEqual(ok.icds, [icd]);
      assert.equal(ok.problem, null);
      const none = diagnoseVulkan({ LD_LIBRARY_PATH: dir, VK_DRIVER_FILES: `${dir}/missing.json` }, 'linux');
      assert.match(none.problem!, /VK_DRIVER_FILES=.*missing\.json names no existing driver manifest/);
      assert.equal(diagnoseVulkan({}, 'darwin').problem, null);
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });

  test('pad of rank > 4 merges unpadded axes', () => {
    assert.deepEqual(mergeUnpaddedAxes([2, 3, 4, 5, 6, 7], [[0, 0], [0, 0], [1, 0], [0, 0], [0, 0], [0, 2]]), {
      shape: [6, 4, 30, 7],
      paddings: [[0, 0], [1, 0], [0, 0], [0, 2]],
    });
    assert.deepEqual(mergeUnpaddedAxes([2, 3], [[1, 1], [0, 0]]), { shape: [2, 3], paddings: [[1, 1], [0, 0]] });
  });
}

// ---------------------------------------------------------------- child: on Dawn

const FAMILIES = ['vit-tiny-test', 'resnet-a-tiny-test', 'swin-tiny-test', 'alternet-tiny-test'];
const BATCH = 4;
const CLASSES = 5;
/** Convolutions, batch norm and attention in one model (its shaders also serve the memory check). */
const ANALYSIS_PRESET = 'alternet-tiny-test';

let reference: BackendName = 'native';

async function use(name: BackendName): Promise<void> {
  const info = await initBackend({ backend: name, quiet: true });
  assert.equal(info.name, name, `backend ${name} not selected: ${JSON.stringify(info.skipped)}`);
}

function maxRelDiff(got: ArrayLike<number>, ref: ArrayLike<number>): { diff: number; scale: number } {
  assert.equal(got.length, ref.length);
  let diff = 0;
  let scale = 0;
  for (let i = 0; i < ref.length; i++) {
    assert.ok(Number.isFinite(got[i]!), `non-finite value ${got[i]} at ${i}`);
    diff = Math.max(diff, Math.abs(got[i]! - ref[i]!));
    scale = Math.max(scale, Math.abs(ref[i]!));
  }
  return { diff, scale };
}

function assertClose(what: string, got: ArrayLike<number>, ref: ArrayLike<number>, tol: number, against = `webgpu - ${reference}`): void {
  const { diff, scale } = maxRelDiff(got, ref);
  console.log(`[webgpu-test] ${what}: max |${against}| = ${diff.toExponential(2)}, scale ${scale.toExponential(2)}`);
  assert.ok(diff <= tol * Math.max(scale, 1e-6), `${what}: max |${against}| = ${diff}, scale ${scale}, tolerance ${tol} of the scale`);
}

function inputs(model: Model, seed: number, batch = BATCH): { x: tf.Tensor4D; y: tf.Tensor1D } {
  const rng = new Rng(seed);
  const s = model.config.imageSize;
  const x = tf.tensor4d(Float32Array.from({ length: batch * s * s * 3 }, () => rng.normal()), [batch, s, s, 3]);
  const y = tf.tensor1d(Int32Array.from({ length: batch }, () => rng.int(CLASSES)), 'int32');
  return { x, y };
}

async function flatRead(ts: readonly tf.Tensor[]): Promise<Float32Array> {
  const flat = tf.tidy(() => tf.concat(ts.map((t) => tf.reshape(t, [-1]))));
  const data = (await flat.data()) as Float32Array;
  flat.dispose();
  return data;
}

/** Loss, gradient and Hv in training mode (batch statistics, seeded drop path), read asynchronously. */
async function lossGradHvp(backend: BackendName, preset: string): Promise<Float32Array[]> {
  await use(backend);
  const model = createModel(preset, { seed: 3, numClasses: CLASSES });
  const { x, y } = inputs(model, 11);
  const rng = new Rng(12);
  const names = [...model.params.keys()];
  const p0 = names.map((n) => model.params.get(n)!);
  const v = p0.map((p) => tf.tensor(Float32Array.from({ length: p.size }, () => rng.normal()), p.shape));
  const loss = (...ps: tf.Tensor[]) => crossEntropy(model.forward(x, { training: true, seed: 5, params: new Map(names.map((n, i) => [n, ps[i]!])) }), y);
  const l = tf.tidy(() => loss(...p0));
  const g = tf.grads(loss)(p0);
  const hv = tf.grads((...ps: tf.Tensor[]) => tf.addN(tf.grads(loss)(ps).map((gi, i) => tf.sum(tf.mul(gi, v[i]!)))))(p0);
  const out = [(await l.data()) as Float32Array, await flatRead(g), await flatRead(hv)];
  tf.dispose([l, ...g, ...hv, ...v, x, y]);
  model.dispose();
  return out;
}

const TRAIN_RECIPES: Record<string, Record<string, unknown>> = {
  // AdamW (the WGSL kernel), mixup/CutMix, label smoothing, RandAugment on the CPU side
  'vit-tiny-test': { optimizer: 'adamw', lr: 1e-2, randAugmentOps: 1 },
  // SGD with momentum (composite ops), BatchNorm running statistics, gradient clipping
  'resnet-a-tiny-test': { optimizer: 'sgd', lr: 0.05, mixup: 0, cutmix: 0, randAugmentOps: 0, clipNorm: 0.5 },
};

/** Three steps of the training loop (train(), one epoch, evaluation and checkpoints included): step losses and the state after. */
async function trainLoop(backend: BackendName, preset: string): Promise<{ losses: number[]; testNll: number; params: Float32Array; buffers: Float32Array; initial: Float32Array }> {
  await use(backend);
  const tensorsBefore = tf.memory().numTensors;
  const results = fs.mkdtempSync(path.join(os.tmpdir(), 'vitscope-webgpu-train-'));
  const losses: number[] = [];
  try {
    const r = await train(
      { model: preset, epochs: 1, batchSize: 8, stepsPerEpoch: 3, testSize: 8, evalBatchSize: 8, warmupEpochs: 0, seed: 3, results, run: 'run', ...TRAIN_RECIPES[preset] },
      { data: tinyData(24, 8, 4), log: () => {}, onStep: (s) => losses.push(s.loss) },
    );
    // the initial model: the run's seed and its init stream, as the checkpoint's state records them
    const state = JSON.parse(fs.readFileSync(path.join(r.checkpoint!, 'state.json'), 'utf8')) as { rng: { seed: number; streams: { init: number } } };
    const start = createModel(r.model.config, { seed: mixSeeds(state.rng.seed, state.rng.streams.init) });
    const initial = await flatRead([...start.params.values()]);
    start.dispose();
    const params = await flatRead([...r.model.params.values()]);
    const buffers = r.model.buffers.size > 0 ? await flatRead([...r.model.buffers.values()]) : new Float32Array(0);
    r.model.dispose();
    assert.equal(tf.memory().numTensors, tensorsBefore, `${backend}: tensors left behind by train()`);
    return { losses, testNll: r.metrics[0]!.test_nll, params, buffers, initial };
  } finally {
    fs.rmSync(results, { recursive: true, force: true });
  }
}

/** Every block's feature map (evaluation mode) and the 2-D DFT amplitude of the last one. */
async function featuresAndDft(backend: BackendName, preset: string): Promise<{ kinds: string[]; maps: Float32Array; dft: Float32Array }> {
  await use(backend);
  const model = createModel(preset, { seed: 5, numClasses: CLASSES });
  const { x, y } = inputs(model, 31);
  const feats = model.features(x, { training: false });
  const last = feats[feats.length - 1]!.tensor;
  const amplitude = tf.tidy(() => {
    const f = dft2d(nhwcToMaps(last));
    return tf.sqrt(tf.add(tf.square(f.re), tf.square(f.im)));
  });
  const maps = await flatRead(feats.map((f) => f.tensor));
  const dft = (await amplitude.data()) as Float32Array;
  const kinds = feats.map((f) => f.kind);
  tf.dispose([...feats.map((f) => f.tensor), amplitude, x, y]);
  model.dispose();
  return { kinds, maps, dft };
}

/** The analyses' library functions on one model: Fourier and variance by depth, noise robustness, a landscape point. */
async function analyses(backend: BackendName): Promise<{ logAmplitude: number[]; variance: number[]; kinds: string[]; bandNoise: Float32Array; noise: number[]; landscape: number[] }> {
  await use(backend);
  const model = createModel(ANALYSIS_PRESET, { seed: 8, numClasses: CLASSES });
  const { x } = inputs(model, 61, 8);
  const y = Int32Array.from({ length: 8 }, (_, i) => i % CLASSES);
  const fourier = await fourierByDepth(model, sliceBatches(x, 4));
  const variance = await varianceByDepth(model, sliceBatches(x, 4));
  const band = await frequencyNoise([2, 8, 8, 3], { frequency: 0.5, bandwidth: 0.1, scale: 0.5, seed: 4 });
  const bandNoise = (await band.data()) as Float32Array;
  band.dispose();
  const [noise] = await noiseRobustness([{ label: 'm', model }], { x, y }, { frequencies: [0.3, 0.9], groups: 1, batchSize: 8, seed: 2 });
  const rng = new Rng(9);
  const d1 = randomDirection(model, rng);
  const d2 = randomDirection(model, rng);
  const point = new Map(model.paramInfo.map((p) => [p.name, tf.tidy(() => tf.add(model.params.get(p.name)!, tf.sub(tf.mul(d1.get(p.name)!, 0.4), tf.mul(d2.get(p.name)!, 0.3))))]));
  const at = await evaluateAt(model, [{ x, y }], point, { l2: 0.05 });
  tf.dispose([x, ...d1.values(), ...d2.values(), ...point.values()]);
  model.dispose();
  return {
    logAmplitude: fourier.flatMap((b) => b.logAmplitude.flat()),
    variance: variance.map((b) => b.variance),
    kinds: fourier.map((b) => b.kind),
    bandNoise,
    noise: [noise!.cleanAccuracy, ...noise!.noisyAccuracy],
    landscape: [at.loss, at.nll, at.accuracy],
  };
}

/** The model's Hessian (evaluation mode) through its operator: one product and four Lanczos steps at both ends. */
async function hessianLanczos(backend: BackendName): Promise<{ hv: Float64Array; ritz: number[] }> {
  await use(backend);
  const model = createModel(ANALYSIS_PRESET, { seed: 9, numClasses: CLASSES });
  const { x, y } = inputs(model, 71);
  const op = modelHessianOperator(model, [{ x, y }]);
  const rng = new Rng(72);
  const hv = await op.matvec(Float64Array.from({ length: op.dim }, () => rng.normal()));
  const { values } = await lanczos(op, { steps: 4, k: 1, which: 'both', seed: 73 });
  op.dispose();
  tf.dispose([x, y]);
  model.dispose();
  return { hv, ritz: values };
}

if (IN_CHILD) {
  test('webgpu initialises on a Dawn adapter', async () => {
    // On SwiftShader the fallback adapter is accepted because the backend is asked for by name.
    const info = await initBackend({ backend: 'webgpu', quiet: true });
    assert.equal(info.name, 'webgpu', `webgpu did not initialise: ${JSON.stringify(info.skipped)}`);
    console.log(`[webgpu-test] adapter: ${info.adapter!.description}${info.adapter!.fallback ? ' (fallback)' : ''}`);
    try {
      await initBackend({ backend: 'native', quiet: true });
    } catch {
      reference = 'cpu';
    }
    console.log(`[webgpu-test] reference backend: ${reference}`);
  });

  for (const preset of FAMILIES) {
    test(`${preset}: loss, gradient and Hessian-vector product match ${'the reference'}`, async () => {
      const ref = await lossGradHvp(reference, preset);
      const got = await lossGradHvp('webgpu', preset);
      assertClose(`${preset} loss`, got[0]!, ref[0]!, 1e-4);
      assertClose(`${preset} gradient`, got[1]!, ref[1]!, 1e-3);
      assertClose(`${preset} Hv`, got[2]!, ref[2]!, 1e-3);
    });
  }

  for (const preset of ['vit-tiny-test', 'resnet-a-tiny-test']) {
    test(`${preset}: three steps of the training loop (train()) match`, async () => {
      const ref = await trainLoop(reference, preset);
      const got = await trainLoop('webgpu', preset);
      assert.equal(got.losses.length, 3);
      assertClose(`${preset} train() step losses`, got.losses, ref.losses, 1e-4);
      assertClose(`${preset} train() test NLL`, [got.testNll], [ref.testNll], 1e-4);
      const update = ref.params.map((p, i) => p - ref.initial[i]!);
      assert.ok(update.some((u) => u !== 0), 'the reference run changed no parameter');
      assertClose(`${preset} train() parameter update`, got.params.map((p, i) => p - got.initial[i]!), update, 1e-2);
      if (ref.buffers.length > 0) assertClose(`${preset} train() BatchNorm statistics`, got.buffers, ref.buffers, 1e-3);
    });

    test(`${preset}: features() and the DFT of a feature map match`, async () => {
      const ref = await featuresAndDft(reference, preset);
      const got = await featuresAndDft('webgpu', preset);
      assert.deepEqual(got.kinds, ref.kinds);
      assertClose(`${preset} features`, got.maps, ref.maps, 1e-3);
      assertClose(`${preset} DFT amplitude`, got.dft, ref.dft, 1e-3);
    });
  }

  test(`${ANALYSIS_PRESET}: Fourier and variance by depth, noise robustness and a loss-landscape point match`, async () => {
    const ref = await analyses(reference);
    const got = await analyses('webgpu');
    assert.deepEqual(got.kinds, ref.kinds);
    const { diff } = maxRelDiff(got.logAmplitude, ref.logAmplitude);
    console.log(`[webgpu-test] log amplitude by depth: max |webgpu - ${reference}| = ${diff.toExponential(2)}`);
    assert.ok(diff <= 1e-3, `log amplitude differs by ${diff}`);
    assertClose('variance by depth', got.variance, ref.variance, 1e-3);
    assertClose('frequency-band noise', got.bandNoise, ref.bandNoise, 1e-4);
    const oneImage = 100 / 8;
    got.noise.forEach((a, i) => assert.ok(Math.abs(a - ref.noise[i]!) <= oneImage + 1e-9, `noise robustness accuracy ${i}: ${a} vs ${ref.noise[i]}`));
    console.log(`[webgpu-test] noise robustness accuracies (clean, 0.3π, 0.9π): webgpu ${got.noise.join(', ')}; ${reference} ${ref.noise.join(', ')}`);
    assertClose('landscape point loss and NLL', got.landscape.slice(0, 2), ref.landscape.slice(0, 2), 1e-4);
    assert.ok(Math.abs(got.landscape[2]! - ref.landscape[2]!) <= oneImage + 1e-9, `landscape accuracy ${got.landscape[2]} vs ${ref.landscape[2]}`);
  });

  test(`${ANALYSIS_PRESET}: a Hessian-vector product and four Lanczos steps through the model operator match`, async () => {
    const ref = await hessianLanczos(reference);
    const got = await hessianLanczos('webgpu');
    assertClose('operator Hv', got.hv, ref.hv, 1e-3);
    assert.equal(got.ritz.length, ref.ritz.length);
    assertClose('Lanczos Ritz values (largest, smallest)', got.ritz, ref.ritz, 1e-2);
  });

  test('repeated Hessian-vector products leak no tensors and no GPU memory', async () => {
    await use('webgpu');
    // AlterNet: convolutions, batch norm and attention in one model, and its shaders compile fastest of the mixed ones
    const model = createModel('alternet-tiny-test', { seed: 6, numClasses: CLASSES });
    const { x, y } = inputs(model, 41);
    const op = modelHessianOperator(model, [{ x, y }]);
    const rng = new Rng(42);
    const v = Float64Array.from({ length: op.dim }, () => rng.normal());
    const first = await op.matvec(v);
    const before = tf.memory() as tf.MemoryInfo & { numBytesInGPU?: number };
    let last = first;
    for (let i = 0; i < 2; i++) last = await op.matvec(v);
    const after = tf.memory() as tf.MemoryInfo & { numBytesInGPU?: number };
    assert.equal(after.numTensors, before.numTensors, `tensors: ${before.numTensors} -> ${after.numTensors}`);
    assert.equal(after.numBytes, before.numBytes);
    assert.equal(after.numBytesInGPU, before.numBytesInGPU, `GPU bytes in use: ${before.numBytesInGPU} -> ${after.numBytesInGPU}`);
    assertClose('repeated Hv', last, first, 1e-6, 'last - first product');
    op.dispose();
    tf.dispose([x, y]);
    model.dispose();
  });

  test('the WGSL AdamW and GELU kernels equal their composite forms on webgpu', async () => {
    await use('webgpu');
    for (const k of ['VitscopeAdamW', 'VitscopeGelu']) assert.ok(tf.getKernel(k, 'webgpu'), `${k} not registered for webgpu`);
    const rng = new Rng(51);
    const r = (scale: number) => tf.tensor1d(Float32Array.from({ length: 3000 }, () => rng.normal() * scale));
    const [p, g, m] = [r(1), r(0.1), r(0.01)];
    const v = tf.square(r(0.01));
    const attrs = { beta1: 0.9, beta2: 0.999, eps: 1e-8, stepSize: 1e-3 / (1 - 0.9 ** 3), bc2Sqrt: Math.sqrt(1 - 0.999 ** 3), decay: 5e-5 };
    const fused = adamwUpdate(p, g, m, v, attrs);
    const composite = adamwUpdateComposite(p, g, m, v, attrs);
    for (const [i, what] of ['p', 'm', 'v'].entries()) assertClose(`AdamW ${what}'`, await fused[i]!.data(), await composite[i]!.data(), 1e-6, 'WGSL - composite');
    const x = r(2);
    assertClose('GELU', await gelu(x).data(), await geluComposite(x).data(), 1e-6, 'WGSL - composite');
    const dFused = tf.grad((t: tf.Tensor) => tf.sum(gelu(t)))(x);
    const dComposite = tf.grad((t: tf.Tensor) => tf.sum(geluComposite(t)))(x);
    assertClose('GELU gradient', await dFused.data(), await dComposite.data(), 1e-6, 'WGSL - composite');
    tf.dispose([p, g, m, v, x, dFused, dComposite, ...fused, ...composite]);
  });

  test('a synchronous read of GPU data fails with a message naming the asynchronous call', async () => {
    await use('webgpu');
    // large enough that tfjs runs the multiply on the GPU rather than on the CPU copy of a small input
    const a = tf.tensor1d(Float32Array.from({ length: 2048 }, (_, i) => i));
    const b = tf.mul(a, 2);
    assert.throws(() => b.dataSync(), (err: Error) => err instanceof SyncReadError && /await tensor\.data\(\)/.test(err.message) && /shape \[2048\]/.test(err.message));
    const expected = Array.from({ length: 2048 }, (_, i) => 2 * i);
    assert.deepEqual(Array.from(await b.data()), expected);
    assert.deepEqual(Array.from(b.dataSync()), expected); // cached on the CPU by the asynchronous read
    tf.dispose([a, b]);
  });
}
