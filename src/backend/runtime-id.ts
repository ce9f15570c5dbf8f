// Which backend and CPU kernels computed a number: recorded with every unit of work, because results are
// bit-identical only on the same backend and kernel (the native addon's SIMD level and sgemm differ in rounding).
import { tf } from './tf.ts';
import { loadAddon } from './native/addon.ts';

export interface RuntimeId {
  backend: string;
  /** native: '<SIMD level>/<sgemm>' (e.g. 'avx2/blas'); other backends: their name. */
  cpuKernel: string;
}

export function runtimeId(): RuntimeId {
  const backend = tf.getBackend() ?? 'none';
  if (backend !== 'native') return { backend, cpuKernel: backend };
  const { addon } = loadAddon();
  if (!addon) return { backend, cpuKernel: 'unknown' };
  return { backend, cpuKernel: `${addon.cpu().level}/${addon.gemm().active}` };
}
