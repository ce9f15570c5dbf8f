// SwiftShader, the CPU Vulkan driver that Debian's chromium ships, as a stand-in GPU for correctness tests and
// dry runs on machines without one. Dawn reports it as a fallback adapter. The environment must be set before the
// process starts (the dynamic linker reads LD_LIBRARY_PATH once), so callers spawn a child process with it.
import * as fs from 'node:fs';
import * as os from 'node:os';
import { diagnoseVulkan } from './vulkan-diagnosis.ts';

export const SWIFTSHADER_DIR = '/usr/lib/chromium';
export const SWIFTSHADER_ICD = `${SWIFTSHADER_DIR}/vk_swiftshader_icd.json`;

/**
 * Environment variables that point the Vulkan loader at SwiftShader only, or null when chromium's SwiftShader is
 * not installed. Chromium's own copy of the Vulkan loader is put on LD_LIBRARY_PATH when the system has none.
 */
export function swiftShaderEnv(base: NodeJS.ProcessEnv = process.env): NodeJS.ProcessEnv | null {
  if (!fs.existsSync(SWIFTSHADER_ICD)) return null;
  const env: NodeJS.ProcessEnv = { ...base, VK_ICD_FILENAMES: SWIFTSHADER_ICD, XDG_RUNTIME_DIR: base.XDG_RUNTIME_DIR ?? os.tmpdir() };
  delete env.VK_DRIVER_FILES;
  if (diagnoseVulkan(env).loader === null && fs.existsSync(`${SWIFTSHADER_DIR}/libvulkan.so.1`)) {
    env.LD_LIBRARY_PATH = [SWIFTSHADER_DIR, ...(base.LD_LIBRARY_PATH ? [base.LD_LIBRARY_PATH] : [])].join(':');
  }
  return env;
}
