// Chooses and initialises the tensor backend once per process.
// Order unless told otherwise: tensorflow (tfjs-node[-gpu], optional) > native (our addon) > wasm > cpu.
import { createRequire } from 'node:module';
import * as path from 'node:path';
import * as os from 'node:os';
import { tf } from './tf.ts';

export const BACKEND_NAMES = ['tensorflow', 'native', 'wasm', 'cpu'] as const;
export type BackendName = (typeof BACKEND_NAMES)[number];

export interface BackendInfo {
  name: BackendName;
  threads: number;
  /** Why preferred backends were skipped, in order tried. */
  skipped: { name: BackendName; reason: string }[];
}

export interface BackendOptions {
  /** A backend name or 'auto'; overrides VITSCOPE_BACKEND. */
  backend?: BackendName | 'auto';
  /** Print nothing (tests). */
  quiet?: boolean;
  /** Backends that 'auto' must not try (e.g. to see the fallback without the native addon). */
  exclude?: readonly BackendName[];
}

export type { NativeRegistration } from './native/index.ts';

let current: BackendInfo | null = null;
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
    const native = await import('./native/index.ts');
    const reg = native.tryRegisterNativeBackend();
    return { reason: reg.registered ? null : reg.reason ?? 'native addon unavailable', threads: reg.threads };
  } catch (err) {
    return { reason: `native backend failed to load: ${(err as Error).message}`, threads: 1 };
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

  const order: BackendName[] = requested === 'auto' ? BACKEND_NAMES.filter((n) => !opts.exclude?.includes(n)) : [requested];
  const skipped: BackendInfo['skipped'] = [];
  for (const name of order) {
    let reason: string | null = null;
    let threads = 1;
    if (name === 'tensorflow') reason = await tryTensorflow();
    else if (name === 'native') ({ reason, threads } = await tryNative());
    else if (name === 'wasm') reason = await tryWasm(requested === 'wasm');
    if (reason === null) {
      const ok = await tf.setBackend(name);
      if (!ok) reason = `tf.setBackend('${name}') failed`;
    }
    if (reason !== null) {
      skipped.push({ name, reason });
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
    current = { name, threads, skipped };
    if (!opts.quiet) console.error(`[vitscope] backend: ${name} (${threads} thread${threads === 1 ? '' : 's'})`);
    return current;
  }
  throw new Error(`no tensor backend could be initialised: ${skipped.map((s) => `${s.name}: ${s.reason}`).join('; ')}`);
}

/** The cpu backend prints an advertisement for tfjs-node on first use; we have chosen already. */
function silenceCpuBackendBanner(): void {
  const backend = tf.backend() as unknown as { firstUse?: boolean };
  if (typeof backend.firstUse === 'boolean') backend.firstUse = false;
}

export function currentBackend(): BackendInfo | null {
  return current;
}
