// Chooses and initialises the tensor backend once per process.
// Order unless told otherwise: tensorflow (tfjs-node[-gpu], optional) > webgpu (a hardware GPU adapter; a software
// one such as SwiftShader only when asked for by name) > native (our addon) > wasm > cpu.
import { createRequire } from 'node:module';
import * as path from 'node:path';
import * as os from 'node:os';
import { tf } from './tf.ts';

export const BACKEND_NAMES = ['tensorflow', 'native', 'wasm', 'cpu', 'webgpu'] as const;
export type BackendName = (typeof BACKEND_NAMES)[number];
/** The order 'auto' tries them in. */
export const AUTO_ORDER: readonly BackendName[] = ['tensorflow', 'webgpu', 'native', 'wasm', 'cpu'];

export interface BackendInfo {
  name: BackendName;
  threads: number;
  /**
   * Why preferred backends were skipped, in order tried. `quiet`: not worth a word unless the user asked for that
   * backend (webgpu on a machine without any GPU device).
   */
  skipped: { name: BackendName; reason: string; quiet?: boolean }[];
  /** webgpu: the adapter's name and whether it is a software (CPU) emulation. */
  adapter?: { description: string; fallback: boolean };
}

export interface BackendOptions {
  /** A backend name or 'auto'; overrides VITSCOPE_BACKEND. */
  backend?: BackendName | 'auto';
  /** Print nothing (tests). */
  quiet?: boolean;
  /** Backends that 'auto' must not try (e.g. to see the fallback without the native addon). */
  exclude?: readonly BackendName[];
  /** Replaces the WebGPU probe (tests: an adapter injected on a machine without a GPU). */
  probeWebGPU?: (explicit: boolean) => Promise<WebGPUProbe>;
}

/** What the WebGPU probe found: null reason when the 'webgpu' tfjs backend is registered and may be set. */
export interface WebGPUProbe {
  reason: string | null;
  adapter?: { description: string; fallback: boolean };
  /** No GPU could be there, so nothing was probed and the backend line need not mention webgpu. */
  quiet?: boolean;
}

/** VITSCOPE_WEBGPU_PROBE=always probes (in a child process) even without a GPU device file, and says what it found; for diagnosis and tests. */
export const WEBGPU_PROBE_ENV = 'VITSCOPE_WEBGPU_PROBE';

// Static: both backends are ours, and one module graph keeps one tfjs engine when the library is loaded through a
// CommonJS require hook (notebooks/node_modules/vitscope), where a dynamic import() of a .ts file fails. The WebGPU
// packages themselves (webgpu, tfjs-backend-webgpu) are still loaded only when a WebGPU backend is asked for.
import { tryRegisterNativeBackend } from './native/index.ts';
import { tryRegisterWebGPUBackend } from './webgpu/register.ts';
import { gpuDevices } from './webgpu/gpu-devices.ts';
import { probeAdapterInChild } from './webgpu/probe-child.ts';
import { diagnoseVulkan } from './webgpu/vulkan-diagnosis.ts';

export type { NativeRegistration } from './native/index.ts';

let current: BackendInfo | null = null;

function debugOutput(): boolean {
  const v = process.env.VITSCOPE_DEBUG;
  return v !== undefined && v !== '' && v !== '0' && v !== 'false';
}
let warnedNoAddon = false;

export function parseBackendName(value: string, source: string): BackendName | 'auto' {
  if (value === 'auto' || (BACKEND_NAMES as readonly string[]).includes(value)) return value as BackendName | 'auto';
  throw new Error(`${source}: unknown backend '${value}', expected one of auto, ${BACKEND_NAMES.join(', ')}`);
}

async function tryTensorflow(): Promise<string | null> {
  for (const pkg of ['@tensorflow/tfjs-node-gpu', '@tensorflow/tfjs-node']) {
    try {
      await import(pkg);
      if (tf.findBackend('tensorflow') || tf.engine().registryFactory['tensorflow']) return null;
    } catch {
      // not installed or libtensorflow missing: try the next one
    }
  }
  return 'neither @tensorflow/tfjs-node-gpu nor @tensorflow/tfjs-node can be imported (optional; libtensorflow is downloaded at their install)';
}

async function tryNative(): Promise<{ reason: string | null; threads: number }> {
  try {
    const reg = tryRegisterNativeBackend();
    return { reason: reg.registered ? null : reg.reason ?? 'native addon unavailable', threads: reg.threads };
  } catch (err) {
    return { reason: `native backend failed to load: ${(err as Error).message}`, threads: 1 };
  }
}

/**
 * The automatic choice asks Dawn only where a GPU device exists, and first in a child process whose stderr it
 * keeps, so that Mesa's and Dawn's driver warnings never reach a user who has no GPU to use; the backend is
 * registered in-process only for a hardware adapter. An explicit `--backend webgpu` probes in-process at once.
 */
async function tryWebGPU(explicit: boolean): Promise<WebGPUProbe> {
  if (!explicit) {
    const devices = gpuDevices();
    const forced = process.env[WEBGPU_PROBE_ENV] === 'always';
    if (devices.length === 0 && !forced) return { reason: 'no GPU device (no /dev/nvidia*, /dev/dri/renderD*, /dev/kfd or /dev/dxg)', quiet: true };
    const vulkan = diagnoseVulkan();
    if (vulkan.problem !== null) return { reason: `no usable GPU adapter: ${vulkan.problem}`, quiet: devices.length === 0 && !forced };
    const probe = await probeAdapterInChild();
    if (debugOutput() && probe.stderr) process.stderr.write(probe.stderr);
    if (probe.adapter === null || probe.adapter.fallback) {
      const why = probe.adapter ? `only a fallback adapter (${probe.adapter.description}, a CPU emulation of a GPU); pass --backend webgpu to use it anyway` : probe.reason;
      return { reason: `no usable GPU adapter: ${why}`, adapter: probe.adapter ?? undefined, quiet: devices.length === 0 && !forced };
    }
  }
  try {
    const reg = await tryRegisterWebGPUBackend({ allowFallback: explicit });
    const adapter = reg.adapter ? { description: reg.adapter.description, fallback: reg.adapter.fallback } : undefined;
    return { reason: reg.registered ? null : `no usable GPU adapter: ${reg.reason ?? 'unknown'}`, adapter };
  } catch (err) {
    return { reason: `webgpu backend failed to load: ${(err as Error).message}` };
  }
}

const WASM_REQUIRED_KERNELS = ['Conv2DBackpropFilter'];

async function tryWasm(explicit: boolean): Promise<string | null> {
  try {
    const wasm = await import('@tensorflow/tfjs-backend-wasm');
    const require = createRequire(import.meta.url);
    const dir = path.dirname(require.resolve('@tensorflow/tfjs-backend-wasm/package.json'));
    wasm.setWasmPaths(path.join(dir, 'dist') + path.sep);
    // tfjs's wasm backend cannot train convolutions; it must not be picked for a ResNet by default.
    const missing = WASM_REQUIRED_KERNELS.filter((k) => !tf.getKernel(k, 'wasm'));
    if (missing.length > 0 && !explicit) return `wasm lacks ${missing.join(', ')} (needed to train convolutional models); pass --backend wasm to use it anyway`;
    return null;
  } catch (err) {
    return `wasm backend failed to load: ${(err as Error).message}`;
  }
}

/** Selects, initialises and returns the backend; later calls return the same one. */
export async function initBackend(opts: BackendOptions = {}): Promise<BackendInfo> {
  const requested =
    opts.backend ?? (process.env.VITSCOPE_BACKEND ? parseBackendName(process.env.VITSCOPE_BACKEND, 'VITSCOPE_BACKEND') : 'auto');
  if (current && (requested === 'auto' || requested === current.name)) return current;

  // An explicit webgpu without any adapter falls back to the automatic order, saying so (below).
  const autoOrder = AUTO_ORDER.filter((n) => !opts.exclude?.includes(n));
  const order: BackendName[] = requested === 'auto' ? autoOrder : requested === 'webgpu' ? ['webgpu', ...autoOrder.filter((n) => n !== 'webgpu')] : [requested];
  let adapter: BackendInfo['adapter'];
  const skipped: BackendInfo['skipped'] = [];
  for (const name of order) {
    let reason: string | null = null;
    let threads = 1;
    let quiet: boolean | undefined;
    if (name === 'tensorflow') reason = await tryTensorflow();
    else if (name === 'native') ({ reason, threads } = await tryNative());
    else if (name === 'wasm') reason = await tryWasm(requested === 'wasm');
    // 'auto' takes a hardware adapter only; a fallback (software) adapter needs --backend webgpu (webgpu/adapter.ts)
    else if (name === 'webgpu') ({ reason, adapter, quiet } = await (opts.probeWebGPU ?? tryWebGPU)(requested === 'webgpu'));
    if (reason === null) {
      const ok = await tf.setBackend(name);
      if (!ok) reason = `tf.setBackend('${name}') failed`;
    }
    if (reason !== null) {
      skipped.push({ name, reason, ...(quiet ? { quiet } : {}) });
      if (name === 'native' && !warnedNoAddon && !opts.quiet) {
        warnedNoAddon = true;
        console.error(
          `[vitscope] native CPU backend unavailable: ${reason}\n` +
            `[vitscope] falling back to a JavaScript/WebAssembly backend, 50-200x slower for training. Build it with: npm run build:native (needs libopenblas-dev)`,
        );
      }
      continue;
    }
    silenceCpuBackendBanner();
    if (name === 'tensorflow') threads = os.availableParallelism();
    current = { name, threads, skipped, ...(name === 'webgpu' ? { adapter } : {}) };
    if (!opts.quiet) console.error(backendMessage(current, requested));
    return current;
  }
  throw new Error(`no tensor backend could be initialised: ${skipped.map((s) => `${s.name}: ${s.reason}`).join('; ')}`);
}

/** The one line that says which backend runs, and why webgpu does not when it was asked for or found wanting. */
export function backendMessage(info: BackendInfo, requested: BackendName | 'auto'): string {
  if (info.name === 'webgpu') {
    const a = info.adapter!;
    const emulation = a.fallback ? ' — WARNING: a CPU emulation of a GPU (software adapter), far slower than native; for correctness checks only' : '';
    return `[vitscope] backend: webgpu on ${a.description}${emulation}`;
  }
  const base = `[vitscope] backend: ${info.name} (${info.threads} thread${info.threads === 1 ? '' : 's'})`;
  const gpu = info.skipped.find((s) => s.name === 'webgpu' && (requested === 'webgpu' || !s.quiet));
  return gpu ? `${base}${requested === 'webgpu' ? ' instead of webgpu' : ''}; webgpu: ${gpu.reason}` : base;
}

/** The cpu backend prints an advertisement for tfjs-node on first use; we have chosen already. */
function silenceCpuBackendBanner(): void {
  const backend = tf.backend() as unknown as { firstUse?: boolean };
  if (typeof backend.firstUse === 'boolean') backend.firstUse = false;
}

export function currentBackend(): BackendInfo | null {
  return current;
}
