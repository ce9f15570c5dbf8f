// Registers tfjs-backend-webgpu as the tfjs backend 'webgpu' on Dawn's adapter. tfjs's own registration only runs in
// browsers and asks for the default adapter; this one chooses the adapter (./adapter.ts), requests the adapter's
// largest storage-buffer binding and buffer sizes (Dawn's defaults, 128 and 256 MiB, are too small for paper-size
// activations), makes synchronous reads fail with a message saying what to use instead (./read-sync.ts), and adds
// the kernels in ./kernels (fixes to two tfjs-webgpu kernels that double backprop reaches; WGSL AdamW and GELU).
import { tf } from '../tf.ts';
import { loadDawn } from './dawn.ts';
import { chooseAdapter, type AdapterSummary, type DawnAdapter } from './adapter.ts';
import { diagnoseVulkan } from './vulkan-diagnosis.ts';
import { guardSyncReads } from './read-sync.ts';
import { registerChunkedAddN } from './kernels/add-n.ts';
import { registerAnyRankPad } from './kernels/pad.ts';
import { registerFusedWebGPUKernels } from './kernels/fused.ts';

export const WEBGPU = 'webgpu';

export interface WebGPURegistration {
  registered: boolean;
  /** Why not, when not registered: what is missing. */
  reason?: string;
  /** The adapter in use (registered), or the fallback adapter that was declined. */
  adapter?: AdapterSummary;
}

export interface WebGPUOptions {
  /** Accept a fallback (software) adapter such as SwiftShader: only when the user asked for webgpu by name. */
  allowFallback: boolean;
}

let registered: AdapterSummary | null = null;

async function createDevice(adapter: DawnAdapter): Promise<Awaited<ReturnType<DawnAdapter['requestDevice']>>> {
  const l = adapter.limits;
  const device = await adapter.requestDevice({
    requiredLimits: {
      maxStorageBufferBindingSize: l.maxStorageBufferBindingSize,
      maxBufferSize: l.maxBufferSize,
      // the limits tfjs-backend-webgpu's own registration raises to the adapter's
      maxComputeWorkgroupStorageSize: l.maxComputeWorkgroupStorageSize,
      maxComputeWorkgroupsPerDimension: l.maxComputeWorkgroupsPerDimension,
      maxComputeWorkgroupSizeX: l.maxComputeWorkgroupSizeX,
      maxComputeInvocationsPerWorkgroup: l.maxComputeInvocationsPerWorkgroup,
      // AddN and Concat bind one storage buffer per input (see ./kernels/add-n.ts)
      maxStorageBuffersPerShaderStage: l.maxStorageBuffersPerShaderStage,
    },
  });
  let reported = false;
  device.onuncapturederror = (event) => {
    // One report: a broken shader or an exhausted buffer otherwise repeats for every dispatch.
    if (reported) return;
    reported = true;
    console.error(`[vitscope] webgpu error: ${(event as unknown as { error: { message: string } }).error.message}`);
  };
  void device.lost.then((info) => {
    if (info.reason !== 'destroyed') console.error(`[vitscope] webgpu device lost: ${info.message}`);
  });
  return device;
}

/** Makes the 'webgpu' tfjs backend available (not selected: the caller calls tf.setBackend). */
export async function tryRegisterWebGPUBackend(opts: WebGPUOptions): Promise<WebGPURegistration> {
  if (registered !== null) {
    if (registered.fallback && !opts.allowFallback) return { registered: false, reason: `only a fallback adapter (${registered.description})`, adapter: registered };
    return { registered: true, adapter: registered };
  }
  const vulkan = diagnoseVulkan();
  if (vulkan.problem !== null) return { registered: false, reason: vulkan.problem };
  // Imported before Dawn installs navigator.gpu, so that tfjs's browser-only registration stays off.
  const webgpu = await import('@tensorflow/tfjs-backend-webgpu');
  const gpu = await loadDawn();
  if ('reason' in gpu) return { registered: false, reason: gpu.reason };
  const choice = await chooseAdapter(gpu, opts.allowFallback);
  if ('reason' in choice) {
    const drivers = vulkan.icds.length > 0 ? ` (Vulkan drivers: ${vulkan.icds.join(', ')})` : '';
    return { registered: false, reason: choice.fallbackOnly ? choice.reason : `${choice.reason}${drivers}`, adapter: choice.fallbackOnly };
  }
  const { adapter, summary } = choice;
  const device = await createDevice(adapter);
  registerChunkedAddN();
  registerAnyRankPad();
  registerFusedWebGPUKernels(webgpu.webgpu_util);
  if (tf.engine().registryFactory[WEBGPU] !== undefined) tf.removeBackend(WEBGPU);
  tf.registerBackend(WEBGPU, () => {
    const backend = new webgpu.WebGPUBackend(device, adapter.info);
    guardSyncReads(backend);
    return backend;
  }, 0);
  registered = summary;
  return { registered: true, adapter: summary };
}

/** The adapter of the registered webgpu backend, or null. */
export function webgpuAdapter(): AdapterSummary | null {
  return registered;
}
