// Micro-benchmarks: sgemm and ResNet-20-shaped conv2d throughput on the current backend. On `native`: the machine's
// peak (measured clock and FMA units), sgemm on both the project's kernels and the system BLAS, and the Hessian
// algorithms' reorthogonalisation (the addon's Gram–Schmidt pass and JavaScript's).
import { tf } from '../src/backend/tf.ts';
import { addon } from '../src/backend/native/addon.ts';
import { normalize, orthogonalize, setNativeGramSchmidt } from '../src/hessian/vector.ts';
import { Rng, normalVector } from '../src/util/random.ts';
import { emit, note, round, timeIt } from './timing.ts';

export interface MicroOptions {
  backend: string;
  quick: boolean;
  slow: boolean; // a JS/WASM backend: fewer repetitions
}

/** Backends whose kernels have finished when the op returns (CPU, JS, WASM): no read needed to wait for them. */
const SYNCHRONOUS = new Set(['native', 'cpu', 'wasm']);

/**
 * Waits for `t` and frees it. On a synchronous backend it is only disposed: reading it (t.data()) hands its buffer
 * to user code, so the backend's buffer pool may not recycle it and every repetition would allocate, page-fault and
 * zero a fresh output (at 1024³ or the ViT's qkv shape, 4 MB: a third of the measured time went to that, where a
 * training step reuses its buffers).
 */
const sync = async (t: tf.Tensor) => {
  if (!SYNCHRONOUS.has(tf.getBackend())) await t.data();
  t.dispose();
};

/** Peak single-precision GFLOP/s of the native pool: cores x FMA units x vector width x 2 x clock, all measured. */
export function nativePeak(): { gflops: number; record: Record<string, unknown> } | null {
  const a = addon();
  const { level } = a.cpu();
  const width = level === 'avx512' ? 16 : level === 'avx2' ? 8 : 0;
  const clock = a.measureClockHz();
  const fmaRate = a.measureFmaRate();
  if (width === 0 || clock <= 0 || fmaRate <= 0) return null;
  const units = Math.max(1, Math.round(fmaRate / clock));
  const cores = a.threads();
  const gflops = (cores * units * width * 2 * clock) / 1e9;
  return {
    gflops,
    record: {
      bench: 'peak', backend: 'native', cpu: level, cores, fma_units: units, vector_floats: width,
      clock_ghz: round(clock / 1e9, 3), gflops: round(gflops, 1),
      how: 'cores x FMA units x vector floats x 2 x clock; clock timed over dependent integer adds, FMA units = vector FMAs per cycle from an FMA throughput loop (rounded)',
    },
  };
}

export async function runMicro(o: MicroOptions): Promise<void> {
  const reps = o.slow ? { warmup: 1, minReps: 1, maxReps: 3, minSeconds: 0.5 } : { warmup: 2, minReps: 3, maxReps: 50, minSeconds: 1 };
  const B = o.quick ? 2 : 32;
  // [label, batch, m, k, n, transposeA]: square products, ViT's qkv projection, and the attention products whose
  // narrow side is the head width (P·V and its transposed-A gradient Pᵀ·dO): pit-ti's first stage (962 tokens, head
  // width 32), mobilevit-xxs's first transformer (256 patches, head width 16) and swin-ti's first stage (windows of
  // 16 tokens, head width 32), at batch 16
  const gemms: [string, number, number, number, number, boolean][] = o.quick
    ? [['128x128x128', 1, 128, 128, 128, false], [`vit-qkv [${B}*65,192]x[192,576]`, 1, B * 65, 192, 576, false]]
    : [
        ['512x512x512', 1, 512, 512, 512, false],
        ['1024x1024x1024', 1, 1024, 1024, 1024, false],
        [`vit-qkv [${B}*65,192]x[192,576]`, 1, B * 65, 192, 576, false],
        ['pit-ti P·V [32,962,962]x[32,962,32]', 32, 962, 962, 32, false],
        ['pit-ti Pᵀ·dO [32,962,962]ᵀx[32,962,32]', 32, 962, 962, 32, true],
        ['mobilevit-xxs P·V [256,256,256]x[256,256,16]', 256, 256, 256, 16, false],
        ['mobilevit-xxs Pᵀ·dO [256,256,256]ᵀx[256,256,16]', 256, 256, 256, 16, true],
        ['swin-ti window P·V [3072,16,16]x[3072,16,32]', 3072, 16, 16, 32, false],
      ];
  const native = o.backend === 'native';
  const peak = native ? nativePeak() : null;
  if (peak) emit(peak.record);
  else if (native) note('native: no SIMD level or clock measurement, so no peak');
  // native: the project's sgemm and the system BLAS on the same operands; 'auto' (what training uses) afterwards
  const impls: ('own' | 'blas' | null)[] = native ? ['own', 'blas'] : [null];
  for (const [shape, batch, m, k, n, transposeA] of gemms) {
    const a = tf.randomNormal(batch === 1 ? [m, k] : [batch, m, k]);
    const b = tf.randomNormal(batch === 1 ? [k, n] : [batch, k, n]);
    for (const impl of impls) {
      if (impl) addon().setGemm(impl);
      try {
        const s = await timeIt(() => sync(tf.matMul(a, b, transposeA)), reps);
        const gflops = (2 * batch * m * k * n) / s / 1e9;
        emit({
          bench: 'sgemm', shape, backend: o.backend, ...(impl ? { impl } : {}), gflops: round(gflops, 3), ms: round(s * 1e3, 3),
          ...(peak ? { pct_peak: round((100 * gflops) / peak.gflops, 1) } : {}),
        });
      } finally {
        if (impl) addon().setGemm('auto');
      }
    }
    a.dispose();
    b.dispose();
  }
  // ResNet-20 3x3 convolutions (NHWC, 'same'), one per stage, and the stride-2 stage entries.
  const convs: [number, number, number, number][] = [
    [32, 16, 16, 1],
    [32, 16, 32, 2],
    [16, 32, 32, 1],
    [8, 64, 64, 1],
  ];
  for (const [hw, cin, cout, stride] of convs) {
    const x = tf.randomNormal([B, hw, hw, cin]) as tf.Tensor4D;
    const w = tf.randomNormal([3, 3, cin, cout]) as tf.Tensor4D;
    const s = await timeIt(() => sync(tf.conv2d(x, w, stride, 'same')), reps);
    const out = Math.ceil(hw / stride);
    const flops = 2 * B * out * out * cout * 9 * cin;
    emit({
      bench: 'conv2d', shape: `[${B},${hw},${hw},${cin}]*[3,3,${cin},${cout}]/s${stride}`, backend: o.backend, gflops: round(flops / s / 1e9, 3), ms: round(s * 1e3, 3),
      ...(peak ? { pct_peak: round((100 * flops) / s / 1e9 / peak.gflops, 1) } : {}),
    });
    x.dispose();
    w.dispose();
  }
  if (native) await benchReorthogonalise(o.quick, reps);
}

/** One Lanczos step's reorthogonalisation at vit-ti's size (5,403,172 parameters) against 15 basis vectors, both passes. */
async function benchReorthogonalise(quick: boolean, reps: { warmup: number; minReps: number; maxReps: number; minSeconds: number }): Promise<void> {
  const n = quick ? 200_000 : 5_403_172;
  const m = 15;
  const rng = new Rng(1);
  const basis: Float64Array[] = [];
  for (let j = 0; j < m; j++) basis.push(normalize(orthogonalize(normalVector(rng, n), basis)));
  const start = normalVector(rng, n);
  const v = new Float64Array(n);
  for (const pass of ['native', 'javascript'] as const) {
    const was = setNativeGramSchmidt(pass === 'native');
    try {
      const s = await timeIt(async () => { v.set(start); orthogonalize(v, basis); }, { ...reps, maxReps: Math.min(reps.maxReps, 10) });
      emit({ bench: 'reorthogonalise', pass, dim: n, basis: m, ms: round(s * 1e3, 3), gb_per_s: round((2 * m * n * 8) / s / 1e9, 2) });
    } finally {
      setNativeGramSchmidt(was);
    }
  }
}
