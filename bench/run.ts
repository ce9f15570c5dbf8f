// `npm run bench`: micro-benchmarks (sgemm, conv2d) and training-step throughput per backend, side by
// side with PyTorch on the same machine. stdout: one JSON line per measurement, nothing else; notes on stderr.
import * as os from 'node:os';
import { tf } from '../src/backend/tf.ts';
import { initBackend, type BackendName } from '../src/backend/select.ts';
import { parseArgs } from './args.ts';
import { runMicro } from './micro.ts';
import { parameterCount, timeTrainStep } from './train-step.ts';
import { timeHvp } from './hvp.ts';
import { bestByThreads, bestHvpByThreads, findTorchPython, runTorch, runTorchHvp, torchThreadCounts, type TorchHvpResult, type TorchResult } from './torch.ts';
import { emit, note, round } from './timing.ts';
import { runWebGPUBench } from './webgpu.ts';

// Keep stdout for JSON only, whatever a library logs.
console.log = console.error;
console.info = console.error;

const SLOW = new Set(['cpu', 'wasm']);
const CONV_MODELS = /^(resnet|alternet)/;
const modelsNamed = process.argv.some((a) => a === '--models' || a.startsWith('--models='));
/** The presets bench/torch_step.py builds in PyTorch. */
const TORCH_MODELS = new Set(['vit-cpu', 'swin-cpu', 'resnet-20', 'alternet-20']);
/** The presets whose Hessian-vector product cost is measured (the main job's models). */
const HVP_MODELS = new Set(['vit-cpu', 'resnet-20']);

async function main(): Promise<number> {
  const args = parseArgs(process.argv.slice(2));
  const wanted = args.backends ?? ['native', 'wasm', 'cpu'];
  const quick = args.quick;
  const fastBatches = args.batches ?? (quick ? [2] : [32, 128]);
  const fastSteps = args.steps ?? (quick ? 1 : 5);
  const fastWarmup = args.warmup ?? (quick ? 1 : 2);
  let status = 0;
  let torchHvp: Map<string, TorchHvpResult> | null = null;
  const measureTorchHvp = (models: string[], batch: number, quick: boolean): Map<string, TorchHvpResult> => {
    const python = models.length > 0 ? findTorchPython() : null;
    if (python === null) return new Map();
    note(`PyTorch Hessian-vector product with ${python}: ${models.join(', ')} at batch ${batch}, ${torchThreadCounts().join(' and ')} thread(s)`);
    try {
      const results = runTorchHvp(python, models, batch, 1, quick ? 1 : 3);
      for (const r of results)
        emit({ bench: 'hvp', model: r.model, backend: 'torch', batch: r.batch, params: r.params, threads: r.threads, step_ms: round(r.step_s * 1e3, 2), hvp_ms: round(r.hvp_s * 1e3, 2), ratio: round(r.ratio, 3) });
      return bestHvpByThreads(results);
    } catch (err) {
      note(`PyTorch Hessian-vector product failed: ${(err as Error).message}`);
      status = 1;
      return new Map();
    }
  };

  // PyTorch first (the same step, measured in this run), for every batch any backend will use.
  const torch = new Map<string, TorchResult>();
  if (args.train && args.torch) {
    const python = args.models.some((m) => TORCH_MODELS.has(m)) ? findTorchPython() : null;
    const torchModels = args.models.filter((m) => TORCH_MODELS.has(m));
    if (torchModels.length === 0) note(`no PyTorch reference for ${args.models.join(', ')} (only ${[...TORCH_MODELS].join(', ')})`);
    else if (python === null) note('PyTorch not found (python3 -c "import torch" fails; set VITSCOPE_PYTHON): no torch reference');
    else {
      const batches = [...new Set([...fastBatches, ...(args.batches ?? (quick ? [2] : [32]))])].sort((a, b) => a - b);
      note(`PyTorch reference with ${python}: ${torchModels.join(', ')} at batch ${batches.join(', ')}, ${torchThreadCounts().join(' and ')} thread(s); ratios use the faster`);
      try {
        const results = runTorch(python, torchModels, batches, fastWarmup, fastSteps);
        for (const r of results)
          emit({ bench: 'train_step', model: r.model, backend: 'torch', batch: r.batch, params: r.params, threads: r.threads, step_ms: round(r.step_s * 1e3, 2), img_per_s: round(r.img_per_s, 3) });
        for (const [key, r] of bestByThreads(results)) torch.set(key, r);
      } catch (err) {
        note(`PyTorch reference failed: ${(err as Error).message}`);
        status = 1;
      }
    }
  }

  for (const name of wanted) {
    // webgpu has its own presets, batch and measurements (bench/webgpu.ts)
    if (name === 'webgpu') {
      if (args.train) status = Math.max(status, await runWebGPUBench(args, modelsNamed));
      continue;
    }
    try {
      const info = await initBackend({ backend: name as BackendName, quiet: true });
      note(`backend ${info.name} (${info.threads} thread${info.threads === 1 ? '' : 's'})`);
    } catch (err) {
      note(`backend ${name} unavailable: ${(err as Error).message.split('\n')[0]}`);
      continue;
    }
    const slow = SLOW.has(name);
    if (args.micro) await runMicro({ backend: name, quick, slow });
    if (!args.train) continue;
    const batches = args.batches ?? (slow ? [quick ? 2 : 32] : fastBatches);
    const steps = args.steps ?? (slow ? 1 : fastSteps);
    const warmup = args.warmup ?? (slow ? 1 : fastWarmup);
    for (const model of args.models) {
      // tfjs-cpu's Conv2DBackpropFilter takes minutes per ResNet step: measured only when asked for by name.
      if (slow && !modelsNamed && CONV_MODELS.test(model)) {
        note(`${name} ${model}: skipped (minutes per step on this backend; pass --backends ${name} --models ${model} to measure it)`);
        emit({ bench: 'train_step', model, backend: name, batch: batches[0]!, skipped: 'convolution gradients take minutes per step; pass --models to measure' });
        continue;
      }
      // one transformer shows the slow backends' gap; a second (swin-cpu) would add minutes to every default run
      if (slow && !modelsNamed && model !== args.models.find((m) => !CONV_MODELS.test(m))) {
        note(`${name} ${model}: skipped (one transformer per slow backend by default; pass --backends ${name} --models ${model} to measure it)`);
        emit({ bench: 'train_step', model, backend: name, batch: batches[0]!, skipped: 'one transformer per slow backend by default; pass --models to measure' });
        continue;
      }
      for (const batch of batches) {
        try {
          const params = parameterCount(model);
          const ref = torch.get(`${model}@${batch}`);
          if (ref && ref.params !== params) {
            note(`parameter counts differ for ${model}: vitscope ${params}, PyTorch ${ref.params}; the comparison would not be fair`);
            status = 1;
          }
          note(`${name} ${model} batch ${batch}: ${warmup} warm-up + ${steps} timed step${steps === 1 ? '' : 's'}`);
          const r = await timeTrainStep(model, batch, warmup, steps);
          const imgPerS = batch / r.stepSeconds;
          const same = ref !== undefined && ref.params === r.params;
          emit({
            bench: 'train_step', model, backend: name, batch, params: r.params, steps, warmup,
            step_ms: round(r.stepSeconds * 1e3, 2), img_per_s: round(imgPerS, 3),
            torch_params: ref?.params ?? null, torch_img_per_s: ref ? round(ref.img_per_s, 3) : null, torch_threads: ref?.threads ?? null,
            ratio: same ? round(imgPerS / ref.img_per_s, 4) : null,
          });
        } catch (err) {
          note(`${name} ${model} batch ${batch} failed: ${(err as Error).message.split('\n')[0]}`);
          emit({ bench: 'train_step', model, backend: name, batch, error: (err as Error).message.split('\n')[0] });
        }
      }
    }
    // Hessian-vector product / training step (value and gradient) on the same batch, the hessian command's ratio,
    // next to PyTorch's (bench/torch_hvp.py, measured once, at the thread count with the faster product)
    if (!slow && args.hvp) {
      const hvpModels = args.models.filter((m) => HVP_MODELS.has(m));
      const batch = quick ? 2 : 32;
      if (torchHvp === null) torchHvp = measureTorchHvp(args.torch ? hvpModels : [], batch, quick);
      for (const model of hvpModels) {
        try {
          const t = await timeHvp(model, batch, quick ? 1 : 3);
          const ref = torchHvp.get(model);
          emit({
            bench: 'hvp', model, backend: name, batch, step_ms: round(t.trainStepMs, 2), hvp_ms: round(t.hvpMs, 2), ratio: round(t.ratio, 3),
            torch_step_ms: ref ? round(ref.step_s * 1e3, 2) : null, torch_hvp_ms: ref ? round(ref.hvp_s * 1e3, 2) : null,
            torch_ratio: ref ? round(ref.ratio, 3) : null, torch_threads: ref?.threads ?? null,
          });
        } catch (err) {
          note(`${name} ${model} hvp failed: ${(err as Error).message.split('\n')[0]}`);
          emit({ bench: 'hvp', model, backend: name, batch, error: (err as Error).message.split('\n')[0] });
        }
      }
    }
    note(`${name}: ${tf.memory().numTensors} tensors alive after the runs`);
  }
  note(`done on ${os.availableParallelism()} cores`);
  return status;
}

main().then(
  (code) => process.exit(code),
  (err) => {
    process.stderr.write(`bench: ${(err as Error).message}\n`);
    process.exit(2);
  },
);
