// Loads Dawn's prebuilt dawn.node (npm package `webgpu`) once and installs what tfjs-backend-webgpu expects of a
// browser: `navigator.gpu` and the WebGPU constant objects (GPUBufferUsage, GPUMapMode, ...) and classes as globals.
import type { create as createGpu } from 'webgpu';

export type DawnGpu = ReturnType<typeof createGpu>;

let loaded: Promise<DawnGpu | { reason: string }> | null = null;

function installNavigatorGpu(gpu: DawnGpu): void {
  const g = globalThis as { navigator?: object };
  if (g.navigator === undefined) {
    Object.defineProperty(globalThis, 'navigator', { value: { gpu }, configurable: true, writable: true });
  } else {
    // Node >= 21 has a navigator object of its own; add gpu to it.
    Object.defineProperty(g.navigator, 'gpu', { value: gpu, configurable: true });
  }
}

async function load(): Promise<DawnGpu | { reason: string }> {
  let mod: typeof import('webgpu');
  try {
    mod = await import('webgpu');
  } catch (err) {
    return { reason: `Dawn (npm package webgpu, dist/<platform>/dawn.node) failed to load: ${(err as Error).message}` };
  }
  for (const [name, value] of Object.entries(mod.globals)) {
    if (!(name in globalThis)) Object.defineProperty(globalThis, name, { value, configurable: true, writable: true });
  }
  const gpu = mod.create([]);
  installNavigatorGpu(gpu);
  return gpu;
}

/** Dawn's GPU object (the same one on every call), or why it could not be loaded. */
export function loadDawn(): Promise<DawnGpu | { reason: string }> {
  loaded ??= load();
  return loaded;
}
