// Whether a hardware GPU is plausible here, from device files alone: Dawn's probe loads Vulkan drivers that may
// print to stderr (Mesa's software and WSI code do, on every machine that has them installed), so the automatic
// backend choice probes only where a GPU could answer. macOS (Metal) and Windows (D3D12) always have a graphics
// device; Linux exposes one as /dev/nvidia<N> (NVIDIA), /dev/dri/renderD<N> (Mesa: AMD, Intel, ...), /dev/kfd
// (AMD compute) or /dev/dxg (WSL).
import * as fs from 'node:fs';

/** Reads a folder's entries, [] when it does not exist (injected in tests). */
export type ListDir = (dir: string) => string[];

const listDir: ListDir = (dir) => {
  try {
    return fs.readdirSync(dir);
  } catch {
    return [];
  }
};

/** The GPU device files (or, off Linux, the platform's graphics API) that make a WebGPU probe worth its cost. */
export function gpuDevices(platform: NodeJS.Platform = process.platform, list: ListDir = listDir): string[] {
  if (platform === 'darwin') return ['Metal'];
  if (platform === 'win32') return ['Direct3D 12'];
  if (platform !== 'linux') return [];
  const dev = list('/dev')
    .filter((e) => /^nvidia\d+$/.test(e) || e === 'kfd' || e === 'dxg')
    .map((e) => `/dev/${e}`);
  const dri = list('/dev/dri')
    .filter((e) => /^renderD\d+$/.test(e))
    .map((e) => `/dev/dri/${e}`);
  return [...dev, ...dri].sort();
}
