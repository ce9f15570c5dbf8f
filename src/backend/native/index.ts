// Registers the `native` backend (see ./backend.ts) when the addon is built: every cpu kernel is re-registered
// for 'native', then the addon-backed kernels of ./kernels/registry.ts replace the hot ones.
// Environment: VITSCOPE_THREADS (addon thread-pool size, default: all cores; OpenBLAS itself runs single-threaded
// inside the pool's chunks), VITSCOPE_POOL_MB (tensor buffer pool cap, default a quarter of the memory within 2048-8192, 0 disables reuse),
// VITSCOPE_CONV_CHUNK (floats per im2col chunk, default 131072), VITSCOPE_CPU (avx512 | avx2 | generic: lowers the
// SIMD kernels chosen at run time by CPUID, never above what the CPU has), VITSCOPE_GEMM (auto | own | blas: the
// project's sgemm or the system BLAS; auto = own on AVX-512).
import { tf } from '../tf.ts';
import { loadAddon } from './addon.ts';
import { NativeBackend } from './backend.ts';
import { registerFusedKernels } from './fused-kernels.ts';
import { NATIVE_KERNELS } from './kernels/registry.ts';

export const NATIVE_BACKEND = 'native';

/** Result of trying to make the `native` backend available (select.ts reports it). */
export interface NativeRegistration {
  registered: boolean;
  threads: number;
  reason?: string;
}

let result: NativeRegistration | null = null;

export function tryRegisterNativeBackend(): NativeRegistration {
  if (result) return result;
  const { addon, reason } = loadAddon();
  if (!addon) return (result = { registered: false, threads: 1, reason });
  try {
    registerFusedKernels();
    if (!tf.findBackendFactory(NATIVE_BACKEND)) tf.registerBackend(NATIVE_BACKEND, () => new NativeBackend(), 1);
    const overridden = new Set(NATIVE_KERNELS.map((k) => k.kernelName));
    for (const k of tf.getKernelsForBackend('cpu')) {
      if (overridden.has(k.kernelName) || tf.getKernel(k.kernelName, NATIVE_BACKEND)) continue;
      tf.registerKernel({ ...k, backendName: NATIVE_BACKEND });
    }
    for (const k of NATIVE_KERNELS) if (!tf.getKernel(k.kernelName, NATIVE_BACKEND)) tf.registerKernel(k);
    result = { registered: true, threads: addon.threads() };
  } catch (err) {
    result = { registered: false, threads: 1, reason: `native backend registration failed: ${(err as Error).message}` };
  }
  return result;
}

/** Kernel names the addon implements (the rest run the cpu code on the same storage). */
export function nativeKernelNames(): string[] {
  return NATIVE_KERNELS.map((k) => k.kernelName);
}
