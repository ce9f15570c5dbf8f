import { test } from 'node:test';
import assert from 'node:assert/strict';
import { AUTO_ORDER, backendMessage, initBackend, parseBackendName } from '../../src/backend/select.ts';
import { chooseAdapter } from '../../src/backend/webgpu/adapter.ts';
import type { DawnGpu } from '../../src/backend/webgpu/dawn.ts';
import { tf } from '../../src/backend/tf.ts';

test('explicit cpu backend is selected and computes', async () => {
  const info = await initBackend({ backend: 'cpu', quiet: true });
  assert.equal(info.name, 'cpu');
  assert.equal(tf.getBackend(), 'cpu');
  const y = tf.matMul(tf.tensor2d([[1, 2]]), tf.tensor2d([[3], [4]]));
  assert.deepEqual(Array.from(y.dataSync()), [11]);
});

test('gradients are registered (second order too)', async () => {
  await initBackend({ backend: 'cpu', quiet: true });
  const g = tf.grad((a: tf.Tensor) => tf.sum(tf.grad((b: tf.Tensor) => tf.sum(tf.pow(b, 3)))(a)));
  // d/da sum(3a^2) = 6a
  assert.deepEqual(Array.from(g(tf.tensor1d([1, 2])).dataSync()), [6, 12]);
});

test('unknown backend names are rejected with the valid list', () => {
  assert.throws(() => parseBackendName('gpu', '--backend'), /--backend: unknown backend 'gpu', expected one of auto, tensorflow, native, wasm, cpu/);
});

test('auto selection never lands on a backend that cannot train convolutions', async () => {
  const { spawnSync } = await import('node:child_process');
  // A fresh process with the native backend disabled: auto must skip wasm (no Conv2DBackpropFilter) and say why.
  const script = `
    import { initBackend } from './src/backend/select.ts';
    const info = await initBackend({ backend: 'auto', quiet: true, exclude: ['native', 'tensorflow'] });
    console.log(JSON.stringify(info));`;
  const r = spawnSync(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', script], { encoding: 'utf8' });
  assert.equal(r.status, 0, r.stderr);
  const info = JSON.parse(r.stdout.trim().split('\n').pop()!);
  assert.equal(info.name, 'cpu');
  assert.match(info.skipped.find((s: { name: string }) => s.name === 'wasm').reason, /Conv2DBackpropFilter/);
});

// ------------------------------------------------------------------ webgpu selection, adapters injected (no GPU needed)

function fakeGpu(adapter: { description: string; architecture?: string; isFallbackAdapter?: boolean } | null): DawnGpu {
  const limits = { maxStorageBufferBindingSize: 2 ** 31, maxBufferSize: 2 ** 32 };
  const a = adapter && { info: { vendor: 'v', architecture: adapter.architecture ?? '', device: '', description: adapter.description, isFallbackAdapter: adapter.isFallbackAdapter }, limits };
  return { requestAdapter: async () => a } as unknown as DawnGpu;
}

test('auto tries webgpu after tensorflow and before native', () => {
  assert.deepEqual(AUTO_ORDER.slice(0, 3), ['tensorflow', 'webgpu', 'native']);
});

test('adapter policy: auto takes a hardware adapter; a fallback adapter only when asked for by name; none says so', async () => {
  const gpu = await chooseAdapter(fakeGpu({ description: 'NVIDIA H100 80GB HBM3' }), false);
  assert.ok('summary' in gpu, JSON.stringify(gpu));
  assert.equal(gpu.summary.fallback, false);
  assert.equal(gpu.summary.maxBufferSize, 2 ** 32);
  for (const software of [{ description: 'SwiftShader driver 5.0.0' }, { description: 'Vulkan device', isFallbackAdapter: true }, { description: 'llvmpipe (LLVM 15.0.6, 256 bits)' }]) {
    const auto = await chooseAdapter(fakeGpu(software), false);
    assert.ok('reason' in auto, `${software.description}: chosen for auto`);
    assert.match(auto.reason, /only a fallback adapter .*CPU emulation.*pass --backend webgpu/);
    assert.equal(auto.fallbackOnly?.description, software.description);
    const asked = await chooseAdapter(fakeGpu(software), true);
    assert.ok('summary' in asked && asked.summary.fallback, `${software.description}: refused when asked for`);
  }
  const none = await chooseAdapter(fakeGpu(null), true);
  assert.ok('reason' in none && /no WebGPU adapter/.test(none.reason));
});

test('the backend line: webgpu names its adapter and warns of an emulation; otherwise the backend used and why not webgpu', () => {
  assert.equal(backendMessage({ name: 'webgpu', threads: 1, skipped: [{ name: 'tensorflow', reason: 'x' }], adapter: { description: 'NVIDIA H100', fallback: false } }, 'auto'), '[vitscope] backend: webgpu on NVIDIA H100');
  assert.match(backendMessage({ name: 'webgpu', threads: 1, skipped: [], adapter: { description: 'SwiftShader driver 5.0.0', fallback: true } }, 'webgpu'), /webgpu on SwiftShader driver 5\.0\.0 — WARNING: a CPU emulation/);
  const missing = 'no usable GPU adapter: the Vulkan loader libvulkan.so.1 is not installed (Debian/Ubuntu: apt install libvulkan1)';
  const skipped = [{ name: 'tensorflow' as const, reason: 'not installed' }, { name: 'webgpu' as const, reason: missing }];
  assert.equal(backendMessage({ name: 'native', threads: 2, skipped }, 'auto'), `[vitscope] backend: native (2 threads); webgpu: ${missing}`);
  assert.equal(backendMessage({ name: 'native', threads: 2, skipped }, 'webgpu'), `[vitscope] backend: native (2 threads) instead of webgpu; webgpu: ${missing}`);
});

test('auto chooses webgpu when the probe finds a hardware adapter (injected), and falls back with its reason when not', async () => {
  const { spawnSync } = await import('node:child_process');
  // A fresh process: the probe registers the cpu backend's instance under the name 'webgpu', standing in for a GPU.
  const script = `
    import { initBackend } from './src/backend/select.ts';
    import { tf } from './src/backend/tf.ts';
    await tf.setBackend('cpu');
    const found = process.argv[1] === 'found';
    const info = await initBackend({ backend: 'auto', exclude: ['tensorflow'], probeWebGPU: async (explicit) => {
      if (!found) return { reason: 'no usable GPU adapter: injected', adapter: undefined };
      tf.registerBackend('webgpu', () => tf.findBackend('cpu'));
      return { reason: null, adapter: { description: 'Injected GPU ' + explicit, fallback: false } };
    } });
    console.log(JSON.stringify(info));`;
  for (const found of [true, false]) {
    const r = spawnSync(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', script, found ? 'found' : 'none'], { encoding: 'utf8' });
    assert.equal(r.status, 0, r.stderr);
    const info = JSON.parse(r.stdout.trim().split('\n').pop()!);
    if (found) {
      assert.equal(info.name, 'webgpu');
      assert.deepEqual(info.adapter, { description: 'Injected GPU false', fallback: false }, 'auto probes without accepting a fallback adapter');
      assert.match(r.stderr, /\[vitscope\] backend: webgpu on Injected GPU false\n/);
    } else {
      assert.notEqual(info.name, 'webgpu');
      assert.equal(info.skipped.find((s: { name: string }) => s.name === 'webgpu').reason, 'no usable GPU adapter: injected');
      assert.match(r.stderr, new RegExp(`\\[vitscope\\] backend: ${info.name} .*; webgpu: no usable GPU adapter: injected`));
    }
  }
});
