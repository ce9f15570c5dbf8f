// A command starts with one backend line and nothing from the GPU probe on a machine without a GPU, even where
// Mesa's Vulkan drivers are installed (they and Dawn print warnings to stderr when asked for an adapter).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { gpuDevices } from '../../src/backend/webgpu/gpu-devices.ts';
import { diagnoseVulkan } from '../../src/backend/webgpu/vulkan-diagnosis.ts';
import { backendMessage } from '../../src/backend/select.ts';

test('GPU device files: NVIDIA, DRI render nodes, AMD kfd and WSL dxg count; control nodes and card nodes do not', () => {
  const fake = (tree: Record<string, string[]>) => (dir: string) => tree[dir] ?? [];
  assert.deepEqual(gpuDevices('linux', fake({ '/dev': ['null', 'nvidiactl', 'nvidia-uvm', 'tty0'], '/dev/dri': ['card0'] })), []);
  assert.deepEqual(gpuDevices('linux', fake({ '/dev': ['nvidia0', 'nvidia1', 'nvidiactl'] })), ['/dev/nvidia0', '/dev/nvidia1']);
  assert.deepEqual(gpuDevices('linux', fake({ '/dev': ['kfd'], '/dev/dri': ['card1', 'renderD128'] })), ['/dev/dri/renderD128', '/dev/kfd']);
  assert.deepEqual(gpuDevices('linux', fake({ '/dev': ['dxg'] })), ['/dev/dxg']);
  assert.deepEqual(gpuDevices('darwin', fake({})), ['Metal']);
  assert.deepEqual(gpuDevices('freebsd', fake({})), []);
});

test('the backend line leaves out a webgpu that could not be there, unless webgpu was asked for', () => {
  const skipped = [{ name: 'webgpu' as const, reason: 'no GPU device (none)', quiet: true }];
  assert.equal(backendMessage({ name: 'native', threads: 2, skipped }, 'auto'), '[vitscope] backend: native (2 threads)');
  assert.equal(backendMessage({ name: 'native', threads: 2, skipped }, 'webgpu'), '[vitscope] backend: native (2 threads) instead of webgpu; webgpu: no GPU device (none)');
});

const mesaPresent = (): boolean => {
  const d = diagnoseVulkan();
  return d.loader !== null && d.icds.some((f) => /(lvp|radeon|intel|nouveau|freedreno|broadcom)_icd/.test(f));
};

function run(args: string[], extraEnv: Record<string, string>): { status: number | null; stdout: string; stderr: string } {
  const env: NodeJS.ProcessEnv = { ...process.env, ...extraEnv };
  delete env.XDG_RUNTIME_DIR; // Mesa's WSI complains when it is unset: the loudest case
  delete env.VITSCOPE_BACKEND;
  delete env.VITSCOPE_DEBUG;
  delete env.VK_ICD_FILENAMES;
  delete env.VK_DRIVER_FILES;
  const r = spawnSync(process.execPath, ['--import', 'tsx', ...args], { encoding: 'utf8', env, timeout: 120_000 });
  return { status: r.status, stdout: r.stdout, stderr: r.stderr };
}

const skipReason = (): string | false => {
  if (gpuDevices().length > 0) return 'this machine has a GPU device: the probe may rightly run';
  if (mesaPresent()) return false;
  if (process.env.CI) return false; // CI installs them (scripts/setup-tests/30-vulkan.sh): fail below instead of skipping
  return "Mesa's Vulkan drivers are not installed (bash scripts/setup.sh --tests installs them)";
};

test('a command prints one backend line and no driver or Dawn lines where Mesa is installed', { skip: skipReason() }, () => {
  assert.ok(mesaPresent(), "Mesa's Vulkan drivers and the Vulkan loader must be installed for this test (scripts/setup-tests/30-vulkan.sh)");
  const r = run(['src/cli/main.ts', 'models'], {});
  assert.equal(r.status, 0, r.stderr);
  assert.match(r.stdout, /vit-ti/);
  const lines = r.stderr.split('\n').filter((l) => l.length > 0);
  assert.equal(lines.length, 1, `stderr:\n${r.stderr}`);
  assert.match(lines[0]!, /^\[vitscope\] backend: \w+ \(\d+ threads?\)$/);
});

test('the probe itself (forced) keeps the drivers\' output to itself and reports what it found', { skip: skipReason() }, () => {
  // The forced probe runs Dawn in a child process: Mesa offers only its software rasteriser (or nothing usable),
  // so the automatic choice stays on the CPU, and its stderr carries nothing but the backend line (with the probe's finding).
  const script = `
    import { initBackend } from './src/backend/select.ts';
    const info = await initBackend({ backend: 'auto', exclude: ['tensorflow'] });
    console.log(JSON.stringify(info));`;
  const r = run(['--input-type=module', '-e', script], { VITSCOPE_WEBGPU_PROBE: 'always' });
  assert.equal(r.status, 0, r.stderr);
  const info = JSON.parse(r.stdout.trim().split('\n').pop()!) as { name: string; skipped: { name: string; reason: string }[] };
  assert.notEqual(info.name, 'webgpu');
  const webgpu = info.skipped.find((s) => s.name === 'webgpu');
  assert.ok(webgpu, JSON.stringify(info));
  assert.doesNotMatch(webgpu.reason, /no GPU device/, 'the probe must have run');
  assert.match(webgpu.reason, /no usable GPU adapter/);
  assert.doesNotMatch(r.stderr, /XDG_RUNTIME_DIR|Vulkan|InitializeImpl|While initializing/);
  // a forced probe says what it found, on the one backend line
  const lines = r.stderr.split('\n').filter((l) => l.length > 0);
  assert.equal(lines.length, 1, r.stderr);
  assert.match(lines[0]!, new RegExp(`^\\[vitscope\\] backend: ${info.name} \\(\\d+ threads?\\); webgpu: no usable GPU adapter: `));
});
