import { addon } from '../src/backend/native/addon.ts';
const A = addon();
A.setThreads(2);
function bench(batch: number, M: number, N: number, K: number, tA: boolean, tB: boolean) {
  const a = new Float32Array(batch * M * K).map(() => Math.random() - 0.5);
  const b = new Float32Array(batch * K * N).map(() => Math.random() - 0.5);
  const out = new Float32Array(batch * M * N);
  const idx = Int32Array.from({ length: batch }, (_, i) => i);
  const res: string[] = [];
  for (const g of ['blas', 'own'] as const) {
    A.setGemm(g);
    const run = () => A.matmul(a, b, out, M, N, K, tA, tB, idx, idx, null, 0, 0, 0);
    run();
    const ts: number[] = [];
    for (let r = 0; r < 7; r++) { const t0 = performance.now(); run(); ts.push(performance.now() - t0); }
    ts.sort((x, y) => x - y);
    res.push(`${g} ${(2 * batch * M * N * K / ts[3]! / 1e6).toFixed(0)}`);
  }
  console.log(`b${batch} M${M} N${N} K${K} tA=${+tA} tB=${+tB}: ${res.join('  ')} GFLOP/s`);
}
for (const N of [2, 4, 8, 12, 16]) for (const tA of [false, true]) bench(64, 256, N, 256, tA, false);
bench(1, 16384, 10, 512, false, false);
bench(1, 16384, 16, 64, false, false);
bench(1, 4096, 16, 4096, true, false);
