// The plan of a long Hessian run and the cost of persisting its units (issue 21):
//   node --import tsx bench/units.ts [--presets vit-ti,resnet-50] [--protocol paper] [--shards 64] [--train-count 50000]
// 1. The plan (src/experiments/hessian.ts planHessianUnits, the same function the experiment and notebooks use) for
//    CIFAR-100's 50 000 training images, with one measured Hessian-vector product per preset (batch of the protocol,
//    all parameters, the protocol's L2 term, one warm-up) and the time here and on `--shards` shards.
// 2. The cost of persisting a unit: append + fsync of real unit records (src/io/unit-store.ts UnitWriter), median
//    over `--appends` records, against the quick protocol's estimated run time for the first preset.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { initBackend } from '../src/backend/select.ts';
import { runtimeId } from '../src/backend/runtime-id.ts';
import { tf } from '../src/backend/tf.ts';
import { describeHessianPlan, planHessianUnits, resolveHessianSettings, type HessianAnalysis } from '../src/experiments/hessian.ts';
import { secondsPerProduct } from '../src/hessian/timing.ts';
import { UnitWriter, type UnitPlanFile, type UnitRecord } from '../src/io/unit-store.ts';
import { createModel } from '../src/models/index.ts';
import { smoothedOneHot } from '../src/train/losses.ts';
import { Rng } from '../src/util/random.ts';

function arg(name: string, fallback: string): string {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 && process.argv[i + 1] ? process.argv[i + 1]! : fallback;
}

const presets = arg('presets', 'vit-ti,resnet-50').split(',');
const protocol = arg('protocol', 'paper') as 'paper' | 'quick';
const shards = Number(arg('shards', '64'));
const trainCount = Number(arg('train-count', '50000'));
const appends = Number(arg('appends', '200'));
const repeats = Number(arg('repeats', '2'));

const backend = await initBackend({ backend: (arg('backend', 'native') as 'native'), quiet: true });
console.log(`backend ${backend.name} (${runtimeId().cpuKernel}), ${backend.threads} threads`);

async function measure(preset: string, batchSize: number, l2: number): Promise<number> {
  const model = createModel(preset, { numClasses: 100, seed: 0 });
  const size = model.config.imageSize;
  const x = tf.randomNormal([batchSize, size, size, 3], 0, 1, 'float32', 2) as tf.Tensor4D;
  const rng = new Rng(3);
  const labels = tf.tensor1d(Array.from({ length: batchSize }, () => rng.nextUint32() % 100), 'int32');
  const y = smoothedOneHot(labels, 100, 0.1) as tf.Tensor2D;
  try {
    return await secondsPerProduct(model, { x, y }, { l2, repeats });
  } finally {
    model.dispose();
    tf.dispose([x, labels, y]);
  }
}

const analyses = new Set<HessianAnalysis>(['maxeig', 'spectrum', 'timing']);
const measured: Record<string, number> = {};
const plans: Record<string, UnitPlanFile> = {};
for (const preset of presets) {
  const { run } = resolveHessianSettings({ presets: [preset], protocol });
  const { units } = planHessianUnits(run, analyses, [{ label: preset, fingerprint: '' }], trainCount);
  plans[preset] = { analysis: 'hessian', totalUnits: units.length, shards: 1, units, settingsKey: '', createdAt: '', models: [{ label: preset, fingerprint: '' }] };
  measured[preset] = await measure(preset, run.batchSize, run.l2);
  const d = describeHessianPlan(plans[preset]!, { [preset]: measured[preset]! }, shards);
  console.log(`\n${preset}, --protocol ${protocol}, ${trainCount} training images:`);
  for (const line of d.lines) console.log('  ' + line);
}

// Persisting: append + fsync of unit records as the runs write them (result sizes of a max-eigenvalue unit of the
// paper, k = 5; an SLQ run of 30 nodes; a trace of 10 probes), in a temporary run folder.
const dir = mkdtempSync(path.join(tmpdir(), 'vitscope-units-bench-'));
try {
  const writer = new UnitWriter(dir, { index: 0, count: 1 });
  const rng = new Rng(5);
  const values = (n: number): number[] => Array.from({ length: n }, () => rng.normal() * 100);
  const results = [
    { values: values(5), iterations: [17, 23, 31, 40, 12], converged: [true, true, true, true, true], indices: Array.from({ length: 16 }, (_, i) => i * 97), ms: 1234.5, products: 123 },
    { run: 0, slq: { nodes: values(30), weights: values(30) }, products: 120, ms: 5678.9 },
    { trace: { mean: 1.5, stderr: 0.1, values: values(10) }, products: 40, ms: 999.1 },
  ];
  const times: number[] = [];
  for (let i = 0; i < appends; i++) {
    const record: UnitRecord = {
      index: i, kind: 'maxeig-batch', model: 'vit-ti (final)', fingerprint: '0123456789abcdef', settingsKey: 'fedcba9876543210',
      seconds: 12.345, backend: 'native', cpuKernel: 'avx2/blas', finishedAt: new Date().toISOString(), result: results[i % results.length],
    };
    const t0 = performance.now();
    await writer.append(record);
    times.push(performance.now() - t0);
  }
  writer.close();
  times.sort((a, b) => a - b);
  const median = times[Math.floor(times.length / 2)]!;
  const p95 = times[Math.floor(times.length * 0.95)]!;
  console.log(`\npersisting a unit (append + fsync, ${appends} records, ${dir.startsWith('/tmp') ? '/tmp' : dir}): median ${median.toFixed(2)} ms, p95 ${p95.toFixed(2)} ms`);
  const first = presets[0]!;
  const { run: quick } = resolveHessianSettings({ presets: [first], protocol: 'quick' });
  const { units } = planHessianUnits(quick, analyses, [{ label: first, fingerprint: '' }], trainCount);
  const quickPlan: UnitPlanFile = { analysis: 'hessian', totalUnits: units.length, shards: 1, units, settingsKey: '', createdAt: '', models: [{ label: first, fingerprint: '' }] };
  const quickSeconds = describeHessianPlan(quickPlan, { [first]: measured[first]! }, 1).hours * 3600;
  // power iteration rarely runs to maxIter: a lower bound of the run (one product per eigenvalue per batch) makes the share an upper bound
  const minProducts = units.reduce((a, u) => a + (u.kind === 'maxeig-batch' ? quick.k : u.products ?? 0), 0);
  const minSeconds = minProducts * measured[first]!;
  const persist = (units.length * median) / 1000;
  console.log(
    `quick protocol on ${first}: ${units.length} units, ${minProducts}…${Math.round(quickSeconds / measured[first]!)} products, ${minSeconds.toFixed(0)}…${quickSeconds.toFixed(0)} s; ` +
      `persisting ${persist.toFixed(3)} s = ${((100 * persist) / quickSeconds).toFixed(4)}…${((100 * persist) / minSeconds).toFixed(4)}% of the run`,
  );
} finally {
  rmSync(dir, { recursive: true, force: true });
}
