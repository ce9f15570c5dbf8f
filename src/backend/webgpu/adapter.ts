// Picks Dawn's adapter: a hardware GPU when there is one; a fallback (software) adapter such as SwiftShader only
// when the caller allows it, because it runs every shader on the CPU.
import type { DawnGpu } from './dawn.ts';

export type DawnAdapter = NonNullable<Awaited<ReturnType<DawnGpu['requestAdapter']>>>;

export interface AdapterSummary {
  /** Human-readable name, e.g. "NVIDIA H100" or "SwiftShader driver 5.0.0". */
  description: string;
  vendor: string;
  architecture: string;
  /** A software adapter (CPU emulation). */
  fallback: boolean;
  maxStorageBufferBindingSize: number;
  maxBufferSize: number;
}

export type AdapterChoice = { adapter: DawnAdapter; summary: AdapterSummary } | { reason: string; fallbackOnly?: AdapterSummary };

const SOFTWARE_NAMES = /swiftshader|llvmpipe|lavapipe|software/i;

/** The fields of a GPUAdapterInfo that say what an adapter is. */
export interface AdapterInfoLike {
  vendor: string;
  architecture: string;
  device: string;
  description: string;
  isFallbackAdapter?: boolean;
}

/** An adapter's name, and whether it is a software emulation (Dawn's flag, or a known software driver's name). */
export function classifyAdapter(info: AdapterInfoLike): { description: string; fallback: boolean } {
  const description = info.description || [info.vendor, info.architecture, info.device].filter((s) => s).join(' ') || 'unnamed adapter';
  const fallback = info.isFallbackAdapter === true || SOFTWARE_NAMES.test(`${description} ${info.architecture}`);
  return { description, fallback };
}

export function summarize(adapter: DawnAdapter): AdapterSummary {
  const info = adapter.info;
  const { description, fallback } = classifyAdapter(info as AdapterInfoLike);
  return {
    description,
    vendor: info.vendor,
    architecture: info.architecture,
    fallback,
    maxStorageBufferBindingSize: adapter.limits.maxStorageBufferBindingSize,
    maxBufferSize: adapter.limits.maxBufferSize,
  };
}

/** The best adapter Dawn offers under the policy, or why there is none. */
export async function chooseAdapter(gpu: DawnGpu, allowFallback: boolean): Promise<AdapterChoice> {
  const adapter = await gpu.requestAdapter({ powerPreference: 'high-performance' });
  if (adapter === null) return { reason: 'Dawn found no WebGPU adapter' };
  const summary = summarize(adapter);
  if (summary.fallback && !allowFallback) {
    return { reason: `only a fallback adapter (${summary.description}, a CPU emulation of a GPU); pass --backend webgpu to use it anyway`, fallbackOnly: summary };
  }
  return { adapter, summary };
}
