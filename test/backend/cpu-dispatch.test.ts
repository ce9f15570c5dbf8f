// Run-time CPU dispatch of the native addon: the SIMD level detected by CPUID, the VITSCOPE_CPU override, and the
// kernels of every level this CPU supports (own sgemm, direct convolutions, GELU, softmax) against the highest level and against a
// float64 reference. On an AVX-512 machine this forces the AVX2 path and compares it with the AVX-512 path.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import { ADDON_PATH, loadAddon, type CpuLevel, type NativeAddon } from '../../src/backend/native/addon.ts';
import { erfApprox } from '../../src/backend/native/fused-kernels.ts';
import { Rng } from '../../src/util/random.ts';

const loaded = loadAddon();
const skip = loaded.addon ? false : `native addon unavailable: ${loaded.reason}`;
const ORDER: CpuLevel[] = ['generic', 'avx2', 'avx512'];
const rng = new Rng(1414);

function randn(n: number): Float32Array {
  const x = new Float32Array(n);
  for (let i = 0; i < n; i++) x[i] = rng.normal();
  return x;
}

/** max |a - b| / max(1, max |b|) */
function relErr(a: Float32Array, b: ArrayLike<number>): number {
  assert.equal(a.length, b.length);
  let e = 0;
  let m = 0;
  for (let i = 0; i < a.length; i++) {
    e = Math.max(e, Math.abs(a[i]! - b[i]!));
    m = Math.max(m, Math.abs(b[i]!));
  }
  return e / Math.max(1, m);
}

/** The levels this CPU supports, lowest first. */
function supportedLevels(a: NativeAddon): CpuLevel[] {
  return ORDER.slice(0, ORDER.indexOf(a.cpu().detected) + 1);
}

/** Runs fn at each level (and gemm choice), restoring the addon's state afterwards. */
function atLevel<T>(a: NativeAddon, level: CpuLevel, gemm: 'own' | 'blas', fn: () => T): T {
  const before = a.cpu().level;
  const beforeGemm = a.gemm().choice;
  try {
    assert.equal(a.setCpu(level), level);
    a.setGemm(gemm);
    return fn();
  } finally {
    a.setCpu(before);
    a.setGemm(beforeGemm);
  }
}

/** op(A) op(B) in float64; A is [M,K] ([K,M] if tA), B is [K,N] ([N,K] if tB). */
function matmulRef(A: Float32Array, B: Float32Array, M: number, N: number, K: number, tA: boolean, tB: boolean): Float64Array {
  const C = new Float64Array(M * N);
  for (let i = 0; i < M; i++)
    for (let j = 0; j < N; j++) {
      let s = 0;
      for (let p = 0; p < K; p++) s += A[tA ? p * M + i : i * K + p]! * B[tB ? j * K + p : p * N + j]!;
      C[i * N + j] = s;
    }
  return C;
}

test('the detected level matches the CPU flags, and VITSCOPE_CPU lowers it in a new process', { skip }, () => {
  const a = loaded.addon!;
  const { level, detected } = a.cpu();
  assert.ok(ORDER.includes(detected), `detected level '${detected}'`);
  if (process.env.VITSCOPE_CPU === undefined) assert.equal(level, detected);
  if (process.arch === 'x64' && process.platform === 'linux') {
    const flags = /^flags\s*:(.*)$/m.exec(fs.readFileSync('/proc/cpuinfo', 'utf8'))?.[1]?.split(/\s+/) ?? [];
    const has512 = ['avx512f', 'avx512dq', 'avx512bw', 'avx512vl'].every((f) => flags.includes(f));
    assert.equal(detected, has512 ? 'avx512' : flags.includes('avx2') && flags.includes('fma') ? 'avx2' : 'generic');
  }
  const child = (value: string) =>
    spawnSync(process.execPath, ['-e', `const a = require(${JSON.stringify(ADDON_PATH)}); process.stdout.write(JSON.stringify(a.cpu()))`], {
      env: { ...process.env, VITSCOPE_CPU: value },
      encoding: 'utf8',
    });
  const forced = child('generic');
  assert.equal(forced.status, 0, forced.stderr);
  assert.deepEqual(JSON.parse(forced.stdout), { level: 'generic', detected });
  // asking for more than the CPU has keeps what it has
  assert.equal(JSON.parse(child('avx512').stdout).level, detected);
});

test('the loader refuses a bad VITSCOPE_CPU value with a message naming the variable and the value', () => {
  const script = `const m = await import(${JSON.stringify(new URL('../../src/backend/native/addon.ts', import.meta.url).href)});
process.stdout.write(JSON.stringify(m.loadAddon().reason ?? null));`;
  const r = spawnSync(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', script], {
    env: { ...process.env, VITSCOPE_CPU: 'avx1024' },
    encoding: 'utf8',
  });
  assert.equal(r.status, 0, r.stderr);
  assert.match(JSON.parse(r.stdout) as string, /VITSCOPE_CPU: expected one of avx512, avx2, generic, found 'avx1024'/);
});

test('setCpu and setGemm reject unknown names and levels the CPU lacks, naming what was found', { skip }, () => {
  const a = loaded.addon!;
  assert.throws(() => a.setCpu('sse9' as CpuLevel), /setCpu: expected 'avx512', 'avx2' or 'generic', found 'sse9'/);
  assert.throws(() => a.setGemm('fast' as 'own'), /setGemm: expected 'auto', 'blas' or 'own', found 'fast'/);
  if (a.cpu().detected !== 'avx512') assert.throws(() => a.setCpu('avx512'), /supports up to/);
});

test('every supported level computes the same matmul as the highest one and as float64 (own sgemm and BLAS)', { skip }, () => {
  const a = loaded.addon!;
  const levels = supportedLevels(a);
  const top = levels[levels.length - 1]!;
  // model shapes (ViT qkv, MLP backward, attention), edges of every register tile, transposes, a K spanning several
  // k-blocks; K <= 256 with M <= 168 takes the path that reads A in place (no packing), and so does every product
  // with at most 4 column panels (N <= 128 at AVX-512: here across row blocks and k-blocks); N <= one vector takes the
  // one-vector tile (full and partial row tiles, transposed A read contiguously); small row counts (Swin's 16-token
  // and 49-token windows, 30 rows on the one-vector tile) take the smaller tiles
  const shapes: [number, number, number, boolean, boolean][] = [
    [130, 96, 64, false, false],
    [16, 32, 16, false, false],
    [16, 16, 32, false, true],
    [49, 32, 49, true, false],
    [30, 12, 40, true, false],
    [200, 16, 600, true, false],
    [61, 9, 300, false, true],
    [300, 32, 530, false, false],
    [300, 20, 530, true, true],
    [200, 128, 300, true, false],
    [190, 129, 270, false, false],
    [65, 65, 64, false, true],
    [65, 64, 65, true, false],
    [150, 40, 200, true, true],
    [96, 130, 300, true, false],
    [37, 45, 600, true, true],
    [1, 7, 3, false, false],
    [29, 1, 5, false, true],
  ];
  for (const [M, N, K, tA, tB] of shapes) {
    const A = randn(M * K);
    const B = randn(K * N);
    const idx = new Int32Array([0]);
    const ref = matmulRef(A, B, M, N, K, tA, tB);
    const run = (level: CpuLevel, gemm: 'own' | 'blas') =>
      atLevel(a, level, gemm, () => {
        const C = new Float32Array(M * N).fill(Number.NaN);
        a.matmul(A, B, C, M, N, K, tA, tB, idx, idx, null, 0, 0, 0);
        return C;
      });
    const best = run(top, 'own');
    const label = `${M}x${N}x${K} tA=${tA} tB=${tB}`;
    assert.ok(relErr(best, ref) < 1e-5 * Math.sqrt(K), `${top} vs float64, ${label}: ${relErr(best, ref)}`);
    for (const level of levels)
      for (const gemm of ['own', 'blas'] as const) {
        const C = run(level, gemm);
        assert.ok(relErr(C, best) < 1e-5 * Math.sqrt(K), `${level}/${gemm} vs ${top}/own, ${label}: ${relErr(C, best)}`);
      }
  }
});

test('a large matmul takes the threaded paths identically at every level', { skip }, () => {
  const a = loaded.addon!;
  const levels = supportedLevels(a);
  const [M, N, K] = [520, 192, 768];
  const A = randn(M * K);
  const B = randn(K * N);
  const idx = new Int32Array([0]);
  const out = levels.map((level) =>
    atLevel(a, level, 'own', () => {
      const C = new Float32Array(M * N);
      a.matmul(A, B, C, M, N, K, false, true, idx, idx, null, 0, 0, 0);
      return C;
    }),
  );
  const ref = matmulRef(A, B, M, N, K, false, true);
  for (let i = 0; i < levels.length; i++) assert.ok(relErr(out[i]!, ref) < 1e-4, `${levels[i]}: ${relErr(out[i]!, ref)}`);
});

test('convolution and both its gradients agree across levels (direct SIMD kernels vs im2col + sgemm)', { skip }, () => {
  const a = loaded.addon!;
  const levels = supportedLevels(a);
  // [N, H, C, Cout, stride]: ResNet-20's stages (16/32/64 channels), a stride-2 entry, a stem, widths that are
  // multiples of 8 but not 16 (direct kernels decline them)
  const cases: [number, number, number, number, number][] = [
    [4, 16, 16, 16, 1],
    [4, 16, 16, 32, 2],
    [3, 8, 32, 64, 1],
    [2, 9, 3, 16, 1],
    [2, 7, 8, 24, 1],
  ];
  for (const [N, H, C, Co, s] of cases) {
    const oH = Math.ceil(H / s);
    const pad = Math.max(0, ((oH - 1) * s + 3 - H) >> 1);
    const geom = [N, H, H, C, 3, 3, Co, oH, oH, s, s, 1, 1, pad, pad];
    const x = randn(N * H * H * C);
    const w = randn(9 * C * Co);
    const dy = randn(N * oH * oH * Co);
    const bias = randn(Co);
    const results = levels.map((level) =>
      atLevel(a, level, 'own', () => {
        const y = new Float32Array(N * oH * oH * Co).fill(Number.NaN);
        const dw = new Float32Array(9 * C * Co).fill(Number.NaN);
        const dx = new Float32Array(N * H * H * C).fill(Number.NaN);
        a.conv2d(x, w, y, geom, bias, Co, 1, 0);
        a.conv2dBackpropFilter(x, dy, dw, geom);
        a.conv2dBackpropInput(dy, w, dx, geom);
        return { y, dw, dx };
      }),
    );
    // float64 forward reference for the first output pixels: catches an error shared by every level
    const y0 = results[0]!.y;
    for (let co = 0; co < Co; co++) {
      let sum = bias[co]!;
      for (let ky = 0; ky < 3; ky++)
        for (let kx = 0; kx < 3; kx++) {
          const iy = ky - pad;
          const ix = kx - pad;
          if (iy < 0 || ix < 0 || iy >= H || ix >= H) continue;
          for (let c = 0; c < C; c++) sum += x[(iy * H + ix) * C + c]! * w[((ky * 3 + kx) * C + c) * Co + co]!;
        }
      assert.ok(Math.abs(y0[co]! - Math.max(0, sum)) < 1e-4 * Math.max(1, Math.abs(sum)), `pixel 0 channel ${co}`);
    }
    const top = results[results.length - 1]!;
    for (let i = 0; i < levels.length; i++)
      for (const key of ['y', 'dw', 'dx'] as const) {
        const e = relErr(results[i]![key], top[key]);
        assert.ok(e < 1e-5, `${levels[i]} vs ${levels[levels.length - 1]} ${key} for [${geom.slice(0, 7).join(',')}] s${s}: ${e}`);
      }
  }
});

test('GELU, its derivative and softmax agree across levels and with a float64 reference', { skip }, () => {
  const a = loaded.addon!;
  const levels = supportedLevels(a);
  const n = 32 * 65 + 13; // threaded, and a tail that no vector width divides
  const x = randn(n).map((v) => 3 * v);
  x[0] = 0; x[1] = -9; x[2] = 9; x[3] = 1e-20;
  const dy = randn(n);
  const cols = 65;
  const rows = Math.floor(n / cols);
  const geluRef = new Float64Array(n), geluGradRef = new Float64Array(n);
  for (let i = 0; i < n; i++) {
    const v = x[i]!;
    const cdf = 0.5 * (1 + erfApprox(v / Math.SQRT2));
    geluRef[i] = v * cdf;
    geluGradRef[i] = dy[i]! * (cdf + v * Math.exp(-0.5 * v * v) / Math.sqrt(2 * Math.PI));
  }
  const softRef = new Float64Array(rows * cols), logRef = new Float64Array(rows * cols);
  for (let r = 0; r < rows; r++) {
    let mx = -Infinity, s = 0;
    for (let c = 0; c < cols; c++) mx = Math.max(mx, x[r * cols + c]!);
    for (let c = 0; c < cols; c++) s += Math.exp(x[r * cols + c]! - mx);
    for (let c = 0; c < cols; c++) {
      softRef[r * cols + c] = Math.exp(x[r * cols + c]! - mx) / s;
      logRef[r * cols + c] = x[r * cols + c]! - mx - Math.log(s);
    }
  }
  const results = levels.map((level) =>
    atLevel(a, level, 'own', () => {
      const gelu = new Float32Array(n).fill(Number.NaN), geluGrad = new Float32Array(n).fill(Number.NaN);
      const soft = new Float32Array(rows * cols).fill(Number.NaN), logSoft = new Float32Array(rows * cols).fill(Number.NaN);
      a.gelu(x, gelu, n);
      a.geluGrad(x, dy, geluGrad, n);
      a.softmax(x, soft, rows, cols, false);
      a.softmax(x, logSoft, rows, cols, true);
      return { gelu, geluGrad, soft, logSoft };
    }),
  );
  const refs = { gelu: geluRef, geluGrad: geluGradRef, soft: softRef, logSoft: logRef };
  const top = results[results.length - 1]!;
  for (let i = 0; i < levels.length; i++)
    for (const key of ['gelu', 'geluGrad', 'soft', 'logSoft'] as const) {
      assert.ok(relErr(results[i]![key], refs[key]) < 2e-6, `${levels[i]} ${key} vs float64: ${relErr(results[i]![key], refs[key])}`);
      assert.ok(relErr(results[i]![key], top[key]) < 2e-6, `${levels[i]} vs ${levels[levels.length - 1]} ${key}: ${relErr(results[i]![key], top[key])}`);
    }
});

test('the measured clock and FMA units are plausible (the bench computes the peak from them)', { skip }, () => {
  const a = loaded.addon!;
  if (process.arch !== 'x64') return;
  const clock = a.measureClockHz();
  assert.ok(clock > 0.3e9 && clock < 10e9, `clock ${clock} Hz`);
  for (const level of supportedLevels(a).filter((l) => l !== 'generic')) {
    const units = atLevel(a, level, 'own', () => a.measureFmaRate()) / clock;
    // every AVX2/AVX-512 core retires 1 to 4 vector FMAs per cycle; a slice lost to another process only lowers it
    assert.ok(units > 0.4 && units < 4.5, `${level}: ${units} vector FMAs per cycle`);
  }
  assert.equal(atLevel(a, 'generic', 'blas', () => a.measureFmaRate()), 0, 'no vector FMA loop at the generic level');
});
