// Training-step throughput and per-kernel time profile on a tfjs backend (default: native), with an optional
// PyTorch CPU reference of the same architectures (scripts/profile-train-step-torch.py).
//
//   node --import tsx scripts/profile-train-step.ts [--models vit-cpu,resnet-20] [--batches 32,128]
//        [--steps 5] [--warmup 2] [--backend native] [--torch] [--kernels] [--by-shape] [--top 25] [--threads 2] [--json FILE]
//
// One step = the training step of src/train/step.ts: forward (training mode) + cross-entropy + backward + gradient
// norm + AdamW update (weight decay 0.05): --optimizer fused (default) runs adamwUpdate from src/backend/fused-ops.ts
// (one kernel per parameter), composite runs the same rule as a dozen tensor ops per parameter (AdamW's fused: false). --kernels wraps every kernel of the backend with a timer and prints where the time goes; the
// rest of the step ("outside kernels") is the tfjs engine, tape and JavaScript glue; --by-shape splits matrix products
// and elementwise kernels by their input shapes (which layer's work it is). --hvp profiles one exact
// Hessian-vector product (src/hessian/model-operator.ts, evaluation mode, all parameters) the same way and prints
// its ratio to the value-and-gradient step of src/hessian/timing.ts (the figure `npm run bench` reports).
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { fileURLToPath } from 'node:url';
import { tf } from '../src/backend/tf.ts';
import { initBackend, parseBackendName } from '../src/backend/select.ts';
import { createModel } from '../src/models/index.ts';
import { AdamW } from '../src/train/adamw.ts';
import { makeTrainStep } from '../src/train/step.ts';
import { modelHessianOperator } from '../src/hessian/model-operator.ts';
import { normalVector } from '../src/util/random.ts';
import { Rng } from '../src/util/random.ts';
import { nativePeak } from '../bench/micro.ts';

interface Args {
  models: string[];
  batches: number[];
  steps: number;
  warmup: number;
  backend: string;
  torch: boolean;
  kernels: boolean;
  top: number;
  threads: number;
  optimizer: 'fused' | 'composite';
  hvp: boolean;
  byShape: boolean;
  json?: string;
}

function parseArgs(argv: string[]): Args {
  const a: Args = { models: ['vit-cpu', 'resnet-20'], batches: [32, 128], steps: 5, warmup: 3, backend: 'native', torch: false, kernels: false, top: 25, threads: 2, optimizer: 'fused', hvp: false, byShape: false };
  for (let i = 0; i < argv.length; i++) {
    const k = argv[i];
    const v = () => {
      const val = argv[++i];
      if (val === undefined) throw new Error(`profile-train-step: ${k} needs a value`);
      return val;
    };
    if (k === '--models') a.models = v().split(',');
    else if (k === '--batches') a.batches = v().split(',').map(Number);
    else if (k === '--steps') a.steps = Number(v());
    else if (k === '--warmup') a.warmup = Number(v());
    else if (k === '--backend') a.backend = v();
    else if (k === '--torch') a.torch = true;
    else if (k === '--kernels') a.kernels = true;
    else if (k === '--top') a.top = Number(v());
    else if (k === '--threads') a.threads = Number(v());
    else if (k === '--json') a.json = v();
    else if (k === '--hvp') a.hvp = true;
    else if (k === '--by-shape') a.byShape = a.kernels = true;
    else if (k === '--optimizer') {
      const o = v();
      if (o !== 'fused' && o !== 'composite') throw new Error(`profile-train-step: --optimizer: expected fused or composite, got '${o}'`);
      a.optimizer = o;
    }
    else throw new Error(`profile-train-step: unknown argument '${k}', expected --models, --batches, --steps, --warmup, --backend, --torch, --kernels, --by-shape, --top, --threads, --optimizer, --hvp, --json`);
  }
  if (a.batches.some((b) => !Number.isInteger(b) || b < 1)) throw new Error(`profile-train-step: --batches: expected positive integers, got ${a.batches}`);
  return a;
}

/** Wraps every kernel of `backend` with a wall-clock timer; returns the accumulator and an off switch. */
const SHAPED = new Set(['BatchMatMul', 'Add', 'Multiply', 'Sub', 'RealDiv', 'Tile', 'Sum', 'Transpose', 'Conv2D', 'Conv2DBackpropInput', 'Conv2DBackpropFilter']);

const prod = (xs: readonly number[]): number => xs.reduce((a, b) => a * b, 1);

/** The kernel family a kernel's time is reported under, with the share of peak where it does arithmetic. */
function familyOf(kernel: string): string {
  if (kernel === 'BatchMatMul' || kernel === '_FusedMatMul') return 'matrix products';
  if (/^(Fused)?Conv2D|^Conv2DBackprop/.test(kernel)) return 'convolutions';
  if (/Depthwise/.test(kernel)) return 'depthwise convolutions';
  if (/^Vitscope(LayerNorm|BatchNorm|ChannelAffine)/.test(kernel)) return 'normalisation (fused)';
  if (/^Vitscope(Gelu|Silu|Softmax)|^Softmax$/.test(kernel)) return 'activations and softmax (fused)';
  if (/^(Transpose|Reshape|Concat|SplitV|Slice|PadV2|Tile|Pack|Unpack|GatherV2|Identity|Cast)$/.test(kernel)) return 'copies and layout';
  return 'elementwise and reductions';
}

/** Floating-point operations of one call (multiply-adds count 2); 0 for kernels outside the arithmetic families. */
function kernelFlops(kernel: string, inputs: tf.NamedTensorInfoMap, attrs: tf.NamedAttrMap | undefined, out: tf.TensorInfo | tf.TensorInfo[]): number {
  const o = Array.isArray(out) ? out[0]! : out;
  if (kernel === 'BatchMatMul' || kernel === '_FusedMatMul') {
    // output [..., M, N] times the contracted K of a ([..., M, K], or [..., K, M] transposed)
    const a = (inputs as { a: tf.TensorInfo }).a.shape;
    const K = attrs?.transposeA ? a[a.length - 2]! : a[a.length - 1]!;
    return 2 * prod(o.shape) * K;
  }
  if (kernel === 'Conv2D' || kernel === 'FusedConv2D') {
    const f = (inputs as { filter: tf.TensorInfo }).filter.shape;
    return 2 * prod(o.shape) * f[0]! * f[1]! * f[2]!;
  }
  if (kernel === 'Conv2DBackpropInput') {
    const f = (inputs as { filter: tf.TensorInfo }).filter.shape;
    return 2 * prod((inputs as { dy: tf.TensorInfo }).dy.shape) * f[0]! * f[1]! * f[2]!;
  }
  if (kernel === 'Conv2DBackpropFilter') {
    const f = (attrs as unknown as { filterShape: number[] }).filterShape;
    return 2 * prod((inputs as { dy: tf.TensorInfo }).dy.shape) * f[0]! * f[1]! * f[2]!;
  }
  return 0;
}

function instrumentKernels(backend: string, byShape = false): { stats: Map<string, { ms: number; cpuMs: number; calls: number }>; families: Map<string, { ms: number; flops: number }>; enabled: { on: boolean } } {
  const stats = new Map<string, { ms: number; cpuMs: number; calls: number }>();
  const families = new Map<string, { ms: number; flops: number }>();
  const enabled = { on: false };
  for (const k of tf.getKernelsForBackend(backend)) {
    const cfg = tf.getKernel(k.kernelName, backend) as tf.KernelConfig & { __timed?: boolean };
    if (cfg.__timed) continue;
    const orig = cfg.kernelFunc;
    cfg.kernelFunc = (args) => {
      if (!enabled.on) return orig(args);
      const t0 = performance.now();
      const c0 = process.cpuUsage();
      const r = orig(args);
      const key = byShape && SHAPED.has(k.kernelName)
        ? `${k.kernelName} ${Object.values(args.inputs).map((t) => `[${(t as tf.TensorInfo).shape.join(',')}]`).join('')}`
        : k.kernelName;
      const s = stats.get(key) ?? { ms: 0, cpuMs: 0, calls: 0 };
      const ms = performance.now() - t0;
      const family = familyOf(k.kernelName);
      const f = families.get(family) ?? { ms: 0, flops: 0 };
      f.ms += ms;
      f.flops += kernelFlops(k.kernelName, args.inputs, args.attrs, r as tf.TensorInfo | tf.TensorInfo[]);
      families.set(family, f);
      s.ms += ms;
      const cu = process.cpuUsage(c0);
      s.cpuMs += (cu.user + cu.system) / 1000;
      s.calls++;
      stats.set(key, s);
      return r;
    };
    cfg.__timed = true;
  }
  return { stats, families, enabled };
}

interface Measured {
  ms: number;
  cpuMs: number;
  kernelMs?: number;
  kernelCpuMs?: number;
  topKernels?: { kernel: string; ms: number; cpuMs: number; calls: number }[];
  /** Per kernel family, per step: wall ms and GFLOP (--kernels). */
  families?: { family: string; ms: number; gflop: number }[];
}

interface Result {
  model: string;
  batch: number;
  backend: string;
  stepMs: number;
  /** CPU time (all threads) per step: the fairer comparison when the machine is shared. */
  cpuMsPerStep: number;
  imgPerSec: number;
  kernelMs?: number;
  kernelCpuMs?: number;
  topKernels?: { kernel: string; ms: number; cpuMs: number; calls: number }[];
  families?: { family: string; ms: number; gflop: number }[];
  /** --hvp: one Hessian-vector product, measured like the step. */
  hvp?: Measured;
  torchImgPerSec?: number;
  torchCpuMsPerStep?: number;
  ratio?: number;
}

function torchReference(model: string, batch: number, a: Args): { imgPerSec: number; cpuMsPerStep: number } | undefined {
  const script = path.join(path.dirname(fileURLToPath(import.meta.url)), 'profile-train-step-torch.py');
  for (const py of ['/usr/bin/python3', 'python3']) {
    const r = spawnSync(py, [script, model, String(batch), String(a.steps), String(a.warmup), String(a.threads)], { encoding: 'utf8' });
    if (r.status === 0) {
      const line = r.stdout.trim().split('\n').pop()!;
      return JSON.parse(line) as { imgPerSec: number; cpuMsPerStep: number };
    }
    if (r.error === undefined && !/No module named 'torch'/.test(r.stderr)) {
      console.error(`[profile] PyTorch reference failed (${py}): ${r.stderr.trim().split('\n').pop()}`);
      return undefined;
    }
  }
  console.error('[profile] no python3 with torch found (Debian: apt install python3-torch)');
  return undefined;
}

async function profileOne(model: string, batch: number, a: Args, timer: ReturnType<typeof instrumentKernels> | null): Promise<Result> {
  const m = createModel(model, { seed: 0 });
  const rng = new Rng(1);
  const size = m.config.imageSize;
  const x = tf.tensor4d(Float32Array.from({ length: batch * size * size * 3 }, () => rng.normal()), [batch, size, size, 3]);
  const labels = tf.tensor1d(Int32Array.from({ length: batch }, () => rng.int(m.config.numClasses)), 'int32');
  const optimizer = new AdamW({ weightDecay: 0.05, fused: a.optimizer === 'fused' });
  // --hvp: value and gradient without the update (the step src/hessian/timing.ts compares with), then the product
  const trainStep = makeTrainStep(m, a.hvp ? null : optimizer);
  let seed = 0;
  const step = async (): Promise<void> => {
    await trainStep({ x, y: labels }, { lr: 1e-3, seed: seed++, updateStats: !a.hvp });
  };
  const op = a.hvp ? modelHessianOperator(m, [{ x, y: labels }]) : null;
  const v = op ? normalVector(new Rng(0), op.dim) : null;
  const product = async (): Promise<void> => {
    await op!.matvec(v!);
  };
  const measure = async (f: () => Promise<void>): Promise<Measured> => {
    for (let i = 0; i < a.warmup; i++) await f();
    if (timer) {
      timer.stats.clear();
      timer.families.clear();
      timer.enabled.on = true;
    }
    const t0 = performance.now();
    const c0 = process.cpuUsage();
    for (let i = 0; i < a.steps; i++) await f();
    const ms = (performance.now() - t0) / a.steps;
    const cu = process.cpuUsage(c0);
    const cpuMs = (cu.user + cu.system) / 1000 / a.steps;
    if (timer) timer.enabled.on = false;
    const out: Measured = { ms, cpuMs };
    if (timer) {
      const all = [...timer.stats.entries()].map(([kernel, s]) => ({ kernel, ms: s.ms / a.steps, cpuMs: s.cpuMs / a.steps, calls: s.calls / a.steps }));
      all.sort((p, q) => q.cpuMs - p.cpuMs);
      out.kernelMs = all.reduce((s, k) => s + k.ms, 0);
      out.kernelCpuMs = all.reduce((s, k) => s + k.cpuMs, 0);
      out.topKernels = all.slice(0, a.top);
      out.families = [...timer.families.entries()].map(([family, f]) => ({ family, ms: f.ms / a.steps, gflop: f.flops / 1e9 / a.steps })).sort((p, q) => q.ms - p.ms);
    }
    return out;
  };
  const s = await measure(step);
  const r: Result = {
    model, batch, backend: tf.getBackend(), stepMs: s.ms, cpuMsPerStep: s.cpuMs, imgPerSec: (batch * 1000) / s.ms,
    kernelMs: s.kernelMs, kernelCpuMs: s.kernelCpuMs, topKernels: s.topKernels, families: s.families,
  };
  if (op) r.hvp = await measure(product);
  optimizer.dispose();
  m.dispose();
  x.dispose();
  labels.dispose();
  return r;
}

/** The machine's peak GFLOP/s (native backend only), for the kernel families' shares. */
let peakGflops: number | null = null;

function printKernels(what: string, m: Measured): void {
  if (!m.topKernels) return;
  if (m.families) {
    const rows = m.families.map((f) => {
      const rate = f.gflop > 0 ? `, ${(f.gflop / (f.ms / 1e3)).toFixed(0)} GFLOP/s${peakGflops ? ` = ${((100 * f.gflop) / (f.ms / 1e3) / peakGflops).toFixed(0)}% of peak` : ''}` : '';
      return `    ${f.family}: ${f.ms.toFixed(0)} ms (${((100 * f.ms) / m.ms).toFixed(0)}% of the ${what})${rate}`;
    });
    console.log(`  ${what} by kernel family (wall time${peakGflops ? `; peak ${peakGflops.toFixed(0)} GFLOP/s` : ''}):\n${rows.join('\n')}`);
  }
  const width = Math.max(24, ...m.topKernels.map((k) => k.kernel.length));
  console.log(`  ${what}: kernels ${m.kernelMs!.toFixed(1)} ms wall, ${m.kernelCpuMs!.toFixed(1)} ms cpu; outside kernels ${(m.ms - m.kernelMs!).toFixed(1)} ms wall, ${(m.cpuMs - m.kernelCpuMs!).toFixed(1)} ms cpu`);
  console.log(`    ${'kernel'.padEnd(width)} ${'wall ms'.padStart(9)} ${'cpu ms'.padStart(9)} ${'cpu %'.padStart(6)} calls`);
  for (const k of m.topKernels)
    console.log(`    ${k.kernel.padEnd(width)} ${k.ms.toFixed(2).padStart(9)} ${k.cpuMs.toFixed(2).padStart(9)} ${(100 * k.cpuMs / m.cpuMs).toFixed(1).padStart(6)} ${k.calls.toFixed(0).padStart(5)}`);
}

async function main(): Promise<void> {
  const a = parseArgs(process.argv.slice(2));
  const info = await initBackend({ backend: parseBackendName(a.backend, '--backend') });
  const timer = a.kernels ? instrumentKernels(info.name, a.byShape) : null;
  if (a.kernels && info.name === 'native') peakGflops = nativePeak()?.gflops ?? null;
  const results: Result[] = [];
  for (const model of a.models) {
    for (const batch of a.batches) {
      const r = await profileOne(model, batch, a, timer);
      if (a.torch) {
        const t = torchReference(model, batch, a);
        if (t) {
          r.torchImgPerSec = t.imgPerSec;
          r.torchCpuMsPerStep = t.cpuMsPerStep;
          r.ratio = r.imgPerSec / t.imgPerSec;
        }
      }
      results.push(r);
      const torch = r.torchImgPerSec
        ? `   PyTorch ${r.torchImgPerSec.toFixed(1)} img/s (cpu ${r.torchCpuMsPerStep!.toFixed(0)} ms/step)   ratio ${r.ratio!.toFixed(2)}x`
        : '';
      console.log(`${model.padEnd(10)} batch ${String(batch).padStart(4)}   ${info.name} ${r.imgPerSec.toFixed(1)} img/s (${r.stepMs.toFixed(0)} ms/step, cpu ${r.cpuMsPerStep.toFixed(0)} ms/step)${torch}`);
      printKernels('step', { ms: r.stepMs, cpuMs: r.cpuMsPerStep, kernelMs: r.kernelMs, kernelCpuMs: r.kernelCpuMs, topKernels: r.topKernels, families: r.families });
      if (r.hvp) {
        console.log(`  Hessian-vector product ${r.hvp.ms.toFixed(0)} ms (cpu ${r.hvp.cpuMs.toFixed(0)} ms): ${(r.hvp.ms / r.stepMs).toFixed(2)}x the value-and-gradient step (cpu ${(r.hvp.cpuMs / r.cpuMsPerStep).toFixed(2)}x)`);
        printKernels('product', r.hvp);
      }
    }
  }
  if (a.json) fs.writeFileSync(a.json, JSON.stringify({ backend: info, results }, null, 2) + '\n');
}

await main();
