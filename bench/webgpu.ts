// `npm run bench -- --backends webgpu`: training-step throughput and the cost of an exact Hessian-vector product
// (in training steps) on the WebGPU backend, with the adapter's name. On a hardware adapter: the CPU presets and the
// paper presets at the paper's batch 96. On a fallback adapter (SwiftShader, a CPU emulation) only two tiny test
// presets at batch 8 unless --models/--batches say otherwise: one vit-cpu training step at batch 2 already took
// about two minutes there (2-core machine), and the figures say nothing about a GPU.
import { tf } from '../src/backend/tf.ts';
import { initBackend } from '../src/backend/select.ts';
import { webgpuAdapter } from '../src/backend/webgpu/index.ts';
import type { BenchArgs } from './args.ts';
import { timeTrainStep } from './train-step.ts';
import { timeHvp } from './hvp.ts';
import { emit, note, round } from './timing.ts';
import '../test/support/presets.ts'; // FALLBACK_PRESETS are the tests' tiny presets

export const WEBGPU_PRESETS = ['vit-cpu', 'swin-cpu', 'resnet-20', 'alternet-20', 'vit-ti', 'resnet-50', 'swin-ti'];
const FALLBACK_PRESETS = ['vit-tiny-test', 'resnet-a-tiny-test'];
const PAPER_BATCH = 96;
const FALLBACK_BATCH = 8;

/** Runs the webgpu measurements; returns 1 when the backend is unavailable or a measurement failed. */
export async function runWebGPUBench(args: BenchArgs, modelsNamed: boolean): Promise<number> {
  const info = await initBackend({ backend: 'webgpu', quiet: true });
  const adapter = webgpuAdapter();
  if (info.name !== 'webgpu' || adapter === null) {
    const reason = info.skipped.find((s) => s.name === 'webgpu')?.reason ?? 'not selected';
    note(`backend webgpu unavailable: ${reason}`);
    emit({ bench: 'webgpu_adapter', available: false, reason });
    return 1;
  }
  note(`backend webgpu on ${adapter.description}${adapter.fallback ? ' (fallback adapter: a CPU emulation, not GPU speed)' : ''}`);
  emit({ bench: 'webgpu_adapter', available: true, ...adapter });
  const models = modelsNamed ? args.models : adapter.fallback ? FALLBACK_PRESETS : WEBGPU_PRESETS;
  if (adapter.fallback && !modelsNamed) note(`fallback adapter: ${FALLBACK_PRESETS.join(', ')} at batch ${FALLBACK_BATCH} only (pass --models/--batches for more)`);
  const batches = args.batches ?? [adapter.fallback ? FALLBACK_BATCH : PAPER_BATCH];
  const steps = args.steps ?? (adapter.fallback ? 1 : 5);
  const warmup = args.warmup ?? (adapter.fallback ? 1 : 2);
  let status = 0;
  for (const model of models) {
    for (const batch of batches) {
      const common = { backend: 'webgpu', adapter: adapter.description, fallback: adapter.fallback, model, batch };
      try {
        note(`webgpu ${model} batch ${batch}: ${warmup} warm-up + ${steps} timed training step${steps === 1 ? '' : 's'} (AdamW)`);
        const r = await timeTrainStep(model, batch, warmup, steps);
        emit({ bench: 'train_step', ...common, params: r.params, steps, warmup, step_ms: round(r.stepSeconds * 1e3, 2), img_per_s: round(batch / r.stepSeconds, 3) });
        if (!args.hvp) continue;
        // as bench/run.ts: one product against one value-and-gradient pass on the same batch (ratio)
        const t = await timeHvp(model, batch, steps);
        emit({ bench: 'hvp', ...common, step_ms: round(t.trainStepMs, 2), hvp_ms: round(t.hvpMs, 2), ratio: round(t.ratio, 3) });
      } catch (err) {
        const message = (err as Error).message.split('\n')[0];
        note(`webgpu ${model} batch ${batch} failed: ${message}`);
        emit({ bench: 'train_step', ...common, error: message });
        status = 1;
      }
    }
  }
  note(`webgpu: ${tf.memory().numTensors} tensors alive after the runs`);
  return status;
}
