// Why Dawn would find no Vulkan adapter, worked out from files alone (no Dawn loaded): on Linux Dawn needs the
// Vulkan loader (libvulkan.so.1) and at least one driver manifest (ICD JSON). Checking first keeps CPU-only
// machines from loading Dawn at every start, and lets the message name what to install.
import * as fs from 'node:fs';
import * as path from 'node:path';
import { execFileSync } from 'node:child_process';

export interface VulkanDiagnosis {
  /** Path of the Vulkan loader found, or null. */
  loader: string | null;
  /** Driver manifests (ICD JSON files) the loader would read. */
  icds: string[];
  /** What is missing, or null when the loader and a driver manifest exist (or the platform does not use Vulkan). */
  problem: string | null;
}

const LOADER = 'libvulkan.so.1';
const LIBRARY_DIRS = ['/lib/x86_64-linux-gnu', '/usr/lib/x86_64-linux-gnu', '/lib/aarch64-linux-gnu', '/usr/lib/aarch64-linux-gnu', '/usr/lib64', '/lib64', '/usr/lib', '/lib', '/usr/local/lib'];
const ICD_DIRS = ['/etc/vulkan/icd.d', '/usr/local/share/vulkan/icd.d', '/usr/share/vulkan/icd.d'];

function splitPaths(value: string | undefined): string[] {
  return (value ?? '').split(':').filter((p) => p.length > 0);
}

function findLoader(env: NodeJS.ProcessEnv): string | null {
  for (const dir of [...splitPaths(env.LD_LIBRARY_PATH), ...LIBRARY_DIRS]) {
    const candidate = path.join(dir, LOADER);
    if (fs.existsSync(candidate)) return candidate;
  }
  try {
    // The dynamic linker's cache covers the distribution's own multiarch directories.
    const cache = execFileSync('ldconfig', ['-p'], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] });
    const line = cache.split('\n').find((l) => l.trim().startsWith(LOADER + ' '));
    if (line) return line.split('=>').pop()!.trim();
  } catch {
    // no ldconfig on PATH: the directories above are all we can check
  }
  return null;
}

function jsonFilesIn(dir: string): string[] {
  try {
    return fs.readdirSync(dir).filter((f) => f.endsWith('.json')).map((f) => path.join(dir, f));
  } catch {
    return [];
  }
}

/** Checks the Vulkan loader and driver manifests the way the Vulkan loader looks for them. */
export function diagnoseVulkan(env: NodeJS.ProcessEnv = process.env, platform: NodeJS.Platform = process.platform): VulkanDiagnosis {
  if (platform !== 'linux') return { loader: null, icds: [], problem: null }; // Dawn uses Metal or D3D12 there
  const loader = findLoader(env);
  const explicit = env.VK_DRIVER_FILES ?? env.VK_ICD_FILENAMES;
  const explicitName = env.VK_DRIVER_FILES !== undefined ? 'VK_DRIVER_FILES' : 'VK_ICD_FILENAMES';
  let icds: string[];
  let icdProblem: string | null = null;
  if (explicit !== undefined) {
    const listed = splitPaths(explicit);
    icds = listed.filter((f) => fs.existsSync(f));
    if (icds.length === 0) icdProblem = `no Vulkan driver: ${explicitName}=${explicit} names no existing driver manifest (ICD JSON)`;
  } else {
    const home = env.XDG_DATA_HOME ?? (env.HOME ? path.join(env.HOME, '.local/share') : null);
    const dirs = [...ICD_DIRS, ...splitPaths(env.XDG_DATA_DIRS).map((d) => path.join(d, 'vulkan/icd.d')), ...(home ? [path.join(home, 'vulkan/icd.d')] : [])];
    icds = [...new Set(dirs.flatMap(jsonFilesIn))];
    if (icds.length === 0) icdProblem = `no Vulkan driver: no driver manifest (ICD JSON) in ${ICD_DIRS.join(', ')} (install the GPU's Vulkan driver, e.g. NVIDIA's driver, which adds nvidia_icd.json)`;
  }
  const loaderProblem = loader === null ? `the Vulkan loader ${LOADER} is not installed (Debian/Ubuntu: apt install libvulkan1)` : null;
  const problem = [loaderProblem, icdProblem].filter((p): p is string => p !== null).join('; ') || null;
  return { loader, icds, problem };
}
