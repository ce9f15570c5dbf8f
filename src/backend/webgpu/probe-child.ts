// Asks Dawn for its adapter in a child process whose stderr we keep: Vulkan drivers and Dawn write warnings
// straight to file descriptor 2 (Mesa: "XDG_RUNTIME_DIR is invalid", Dawn: "While initializing adapter ..."),
// which a Node process cannot silence for itself. Only the adapter's description comes back; the parent
// registers the backend in-process when, and only when, a hardware adapter is there to be used.
import { spawn } from 'node:child_process';
import { createRequire } from 'node:module';
import { classifyAdapter, type AdapterInfoLike } from './adapter.ts';

export interface ChildProbe {
  /** The adapter Dawn offers, or null with the reason. */
  adapter: { description: string; fallback: boolean } | null;
  reason: string | null;
  /** What the drivers printed (shown with VITSCOPE_DEBUG=1 only). */
  stderr: string;
}

// Plain CommonJS (no tsx): the child loads Dawn, prints the default high-performance adapter's info as one JSON
// line and exits at once (Dawn's instance would otherwise keep the event loop alive).
const SCRIPT = `
const { create, globals } = require(process.argv[1]);
Object.assign(globalThis, globals);
create([]).requestAdapter({ powerPreference: 'high-performance' }).then(
  (a) => { process.stdout.write(JSON.stringify(a ? { info: { vendor: a.info.vendor, architecture: a.info.architecture, device: a.info.device, description: a.info.description, isFallbackAdapter: a.info.isFallbackAdapter } } : { info: null }) + '\\n'); process.exit(0); },
  (e) => { process.stdout.write(JSON.stringify({ error: String(e && e.message || e) }) + '\\n'); process.exit(0); });
`;

const PROBE_TIMEOUT_MS = 30_000;

/** Runs Dawn's adapter request in a child process; never throws. */
export function probeAdapterInChild(): Promise<ChildProbe> {
  let dawnEntry: string;
  try {
    dawnEntry = createRequire(import.meta.url).resolve('webgpu');
  } catch (err) {
    return Promise.resolve({ adapter: null, reason: `Dawn (npm package webgpu) is not installed: ${(err as Error).message}`, stderr: '' });
  }
  return new Promise((resolve) => {
    const child = spawn(process.execPath, ['-e', SCRIPT, dawnEntry], { stdio: ['ignore', 'pipe', 'pipe'], env: process.env });
    let stdout = '';
    let stderr = '';
    child.stdout.setEncoding('utf8').on('data', (d: string) => (stdout += d));
    child.stderr.setEncoding('utf8').on('data', (d: string) => (stderr += d));
    const timer = setTimeout(() => child.kill('SIGKILL'), PROBE_TIMEOUT_MS);
    child.on('error', (err) => {
      clearTimeout(timer);
      resolve({ adapter: null, reason: `the WebGPU probe could not start: ${err.message}`, stderr });
    });
    child.on('close', (code, signal) => {
      clearTimeout(timer);
      const line = stdout.trim().split('\n').pop() ?? '';
      let parsed: { info?: AdapterInfoLike | null; error?: string } | null = null;
      try {
        parsed = JSON.parse(line) as { info?: AdapterInfoLike | null; error?: string };
      } catch {
        parsed = null;
      }
      if (parsed === null) {
        const how = signal ? `was killed by ${signal}` : `exited with status ${code}`;
        resolve({ adapter: null, reason: `the WebGPU probe ${how} without an answer`, stderr });
      } else if (parsed.error !== undefined) resolve({ adapter: null, reason: `Dawn failed: ${parsed.error}`, stderr });
      else if (!parsed.info) resolve({ adapter: null, reason: 'Dawn found no WebGPU adapter', stderr });
      else resolve({ adapter: classifyAdapter(parsed.info), reason: null, stderr });
    });
  });
}
