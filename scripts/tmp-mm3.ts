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
    for (let r = 0; r < 9; r++) { const t0 = performance.now(); run(); ts.push(performance.now() - t0); }
    ts.sort((x, y) => x - y);
    res.push(`${g} ${(2 * batch * M * N * K / ts[4]! / 1e6).toFixed(0)}`);
  }
  console.log(`b${batch} M${M} N${N} K${K} tA=${+tA} tB=${+tB}: ${res.join('  ')} GFLOP/s`);
}
const which = process.argv[2] ?? 'swin';
if (which === 'swin') {
  bench(3072, 16, 32, 16, false, false); // P V
  bench(3072, 16, 32, 16, true, false);  // P^T dO
  bench(3072, 16, 16, 32, false, true);  // Q K^T, dO V^T
  bench(3072, 16, 32, 16, false, false); // dS K
  bench(768, 16, 32, 16, false, false);
  bench(3072, 49, 32, 49, false, false); // 7x7 windows
  bench(3072, 49, 49, 32, false, true);
}
if (which === 'tiny') {
  for (const [b, M, N, K] of [[1, 1, 3, 7], [1, 4, 4, 4], [1, 8, 8, 10], [1, 2, 10, 100], [1, 16, 16, 16], [1000, 4, 4, 4], [1000, 8, 10, 8], [200, 32, 32, 32], [1, 64, 64, 12], [1, 100, 3, 100]] as const) {
    bench(b, M, N, K, false, false);
    bench(b, M, N, K, true, true);
  }
}
