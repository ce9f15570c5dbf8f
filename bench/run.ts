// `npm run bench`: micro-benchmarks (sgemm, conv2d) and training-step throughput per backend, side by
// side with PyTorch on the same machine. stdout: one JSON line per measurement, nothing else; notes on stderr.
import * as os from 'node:os';
import { tf } from '../src/backend/tf.ts';
import { initBackend, type BackendName } from '../src/backend/select.ts';
import { PAPER_PRESETS, parseArgs } from './args.ts';
import { nativePeak, runMicro } from './micro.ts';
import { flopsPerImage, listPresets } from '../src/models/index.ts';
import { parameterCount, timeTrainStep } from './train-step.ts';
import { timeHvp } from './hvp.ts';
import { bestByThreads, bestHvpByThreads, findTorchPython, runTorch, runTorchHvp, torchThreadCounts, type TorchHvpResult, type TorchResult } from './torch.ts';

import { emit, median, note, round } from './timing.ts';
import { runWebGPUBench } from './webgpu.ts';

// Keep stdout for JSON only, whatever a library logs.
console.log = console.error;
console.info = console.error;

const SLOW = new Set(['cpu', 'wasm']);
const CONV_MODELS = /^(resnet|alternet)/;
const modelsNamed = process.argv.some((a) => a === '--models' || a.startsWith('--models='));
/** The presets bench/torch_step.py builds in PyTorch. */
const TORCH_MODELS = new Set<string>(['vit-cpu', 'swin-cpu', 'resnet-20', 'alternet-20', ...PAPER_PRESETS]);
/** The presets whose PyTorch reference is timm's own module (bench/torch_step.py PAPER_MODELS). */
const TIMM_MODELS = new Set(['vit-ti', 'swin-ti', 'pit-ti', 'mixer-ti', 'mobilevit-xxs']);
/** The presets whose Hessian-vector product cost is measured by default (the main job's models; --paper: the paper's). */
const HVP_MODELS = new Set(['vit-cpu', 'resnet-20']);

/**
 * FLOPs counted per image: a training step is a forward pass and a backward pass of twice its cost (the data and
 * the weight gradients): 3 x 2 x MACs. An exact Hessian-vector product replays the recorded double-backward pass,
 * two matrix products for each of the step's three (src/hessian/model-operator.ts): 2 x the step's FLOPs.
 */
const stepFlops = (model: string, batch: number): number => 3 * flopsPerImage(model) * batch;
const hvpFlops = (model: string, batch: number): number => 2 * stepFlops(model, batch);

const timmChecked = new Map<string, boolean>();
function hasTimm(python: string): boolean {
  if (!timmChecked.has(python)) timmChecked.set(python, findTorchPython(true) === python);
  return timmChecked.get(python)!;
}

async function main(): Promise<number> {
  const args = parseArgs(process.argv.slice(2));
  const wanted = args.backends ?? ['native', 'wasm', 'cpu'];
  const quick = args.quick;
  const fastBatches = args.batches ?? (quick ? [2] : [32, 128]);
  const fastSteps = args.steps ?? (quick ? 1 : 5);
  const fastWarmup = args.warmup ?? (quick ? 1 : 2);
  let status = 0;
  let torchHvp: Map<string, TorchHvpResult> | null = null;
  const torchHvpByBatch = new Map<number, Map<string, TorchHvpResult>>();
  const measureTorchHvp = (wantedModels: string[], batch: number, quick: boolean): Map<string, TorchHvpResult> => {
    let models = wantedModels;
    const timm = models.some((m) => TIMM_MODELS.has(m));
    const python = models.length > 0 ? findTorchPython(timm) ?? findTorchPython() : null;
    if (python === null) return new Map();
    if (timm && !hasTimm(python)) models = models.filter((m) => !TIMM_MODELS.has(m));
    if (models.length === 0) return new Map();
    note(`PyTorch Hessian-vector product with ${python}: ${models.join(', ')} at batch ${batch}, ${torchThreadCounts().join(' and ')} thread(s)`);
    try {
      // --paper: the kept-graph product only (PyHessian's one-batch mode, PyTorch's faster one); the recomputed one
      // would double the half hour PyTorch's products of the seven paper presets take
      const results = runTorchHvp(python, models, batch, 1, quick ? 1 : args.paper ? 2 : 3, undefined, !args.paper);
      for (const r of results)
        emit({
          bench: 'hvp', model: r.model, backend: 'torch', batch: r.batch, params: r.params, threads: r.threads, step_ms: round(r.step_s * 1e3, 2),
          hvp_ms: round(r.hvp_s * 1e3, 2), ratio: round(r.ratio, 3), hvp_recompute_ms: r.hvp_recompute_s === undefined ? null : round(r.hvp_recompute_s * 1e3, 2),
        });
      return bestHvpByThreads(results);
    } catch (err) {
      note(`PyTorch Hessian-vector product failed: ${(err as Error).message}`);
      status = 1;
      return new Map();
    }
  };

  // The PyTorch reference of the training step: measured per (model, batch) right next to the native step, in
  // `rounds` pairs whose order alternates, so that the machine's drift (±30% within minutes on shared VMs) falls on
  // both sides of each ratio; the ratio reported is the median of the rounds' ratios.
  const rounds = args.rounds ?? (quick ? 1 : 3);
  let python: string | null = null;
  if (args.train && args.torch) {
    const torchModels = args.models.filter((m) => TORCH_MODELS.has(m));
    if (torchModels.length === 0) note(`no PyTorch reference for ${args.models.join(', ')} (only ${[...TORCH_MODELS].join(', ')})`);
    else {
      const needTimm = torchModels.some((m) => TIMM_MODELS.has(m));
      python = findTorchPython(needTimm);
      if (python === null && needTimm) {
        python = findTorchPython();
        if (python !== null) note(`timm not found (bash scripts/setup-tests/20-timm.sh makes .venv/timm; or set VITSCOPE_PYTHON): no PyTorch reference for ${torchModels.filter((m) => TIMM_MODELS.has(m)).join(', ')}`);
      }
      if (python === null) note('PyTorch not found (python3 -c "import torch" fails; set VITSCOPE_PYTHON): no torch reference');
      else note(`PyTorch reference with ${python}: ${torchModels.join(', ')}, ${torchThreadCounts().join(' and ')} thread(s), ratios use the faster; ${rounds} round${rounds === 1 ? '' : 's'} per measurement, interleaved with native`);
    }
  }
  /** Best-of-threads PyTorch results per model@batch, one per round measured. */
  const torchRuns = new Map<string, TorchResult[]>();
  const measureTorch = (model: string, batch: number, roundNo: number, warmup: number, steps: number): TorchResult | null => {
    if (python === null || !TORCH_MODELS.has(model) || (TIMM_MODELS.has(model) && !hasTimm(python))) return null;
    try {
      const results = runTorch(python, [model], [batch], warmup, steps);
      for (const r of results)
        emit({ bench: 'train_step', model: r.model, backend: 'torch', batch: r.batch, round: roundNo, params: r.params, threads: r.threads, step_ms: round(r.step_s * 1e3, 2), img_per_s: round(r.img_per_s, 3) });
      const best = bestByThreads(results).get(`${model}@${batch}`) ?? null;
      if (best) torchRuns.set(`${model}@${batch}`, [...(torchRuns.get(`${model}@${batch}`) ?? []), best]);
      return best;
    } catch (err) {
      note(`PyTorch reference failed: ${(err as Error).message}`);
      status = 1;
      return null;
    }
  };
  /** The reference for a backend measured without pairing: the median of the rounds so far, else one measurement. */
  const torchReference = (model: string, batch: number, warmup: number, steps: number): TorchResult | null => {
    const runs = torchRuns.get(`${model}@${batch}`);
    if (runs && runs.length > 0) return [...runs].sort((p, q) => p.img_per_s - q.img_per_s)[(runs.length - 1) >> 1]!;
    return measureTorch(model, batch, 1, warmup, steps);
  };

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
    const known = new Set(listPresets());
    for (const model of args.models.filter((m) => !known.has(m))) {
      note(`${model}: not a preset of this checkout (skipped)`);
      emit({ bench: 'train_step', model, backend: name, skipped: 'not a preset of this checkout' });
    }
    const peak = name === 'native' ? nativePeak() : null;
    if (peak && !args.micro) emit(peak.record);
    const ofPeak = (flops: number, seconds: number): Record<string, number> =>
      peak ? { gflop_s: round(flops / seconds / 1e9, 1), pct_peak: round((100 * flops) / seconds / 1e9 / peak.gflops, 1) } : { gflop_s: round(flops / seconds / 1e9, 1) };
    for (const model of args.models.filter((m) => known.has(m))) {
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
          const paired = name === 'native' && python !== null && TORCH_MODELS.has(model);
          const n = paired ? rounds : 1;
          const imgs: number[] = [];
          const torchImgs: number[] = [];
          const ratios: number[] = [];
          let torchParams: number | null = null;
          for (let rnd = 1; rnd <= n; rnd++) {
            const torchFirst = rnd % 2 === 1;
            let ref = paired && torchFirst ? measureTorch(model, batch, rnd, warmup, steps) : null;
            note(`${name} ${model} batch ${batch}${n > 1 ? ` round ${rnd}/${n}` : ''}: ${warmup} warm-up + ${steps} timed step${steps === 1 ? '' : 's'}`);
            const r = await timeTrainStep(model, batch, warmup, steps);
            if (paired && !torchFirst) ref = measureTorch(model, batch, rnd, warmup, steps);
            if (!paired) ref = torchReference(model, batch, warmup, steps);
            if (ref && ref.params !== params) {
              note(`parameter counts differ for ${model}: vitscope ${params}, PyTorch ${ref.params}; the comparison would not be fair`);
              status = 1;
            }
            const imgPerS = batch / r.stepSeconds;
            const same = ref !== null && ref.params === r.params;
            imgs.push(imgPerS);
            if (ref !== null) {
              torchImgs.push(ref.img_per_s);
              torchParams = ref.params;
              if (same) ratios.push(imgPerS / ref.img_per_s);
            }
            emit({
              bench: 'train_step', model, backend: name, batch, round: rnd, params: r.params, steps, warmup,
              step_ms: round(r.stepSeconds * 1e3, 2), img_per_s: round(imgPerS, 3), ...ofPeak(stepFlops(model, batch), r.stepSeconds),
              torch_params: ref?.params ?? null, torch_img_per_s: ref ? round(ref.img_per_s, 3) : null, torch_threads: ref?.threads ?? null,
              ratio: same && ref !== null ? round(imgPerS / ref.img_per_s, 4) : null,
            });
          }
          if (n > 1) {
            emit({
              bench: 'train_step_summary', model, backend: name, batch, rounds: n, params, img_per_s: round(median(imgs), 3),
              ...ofPeak(stepFlops(model, batch), batch / median(imgs)),
              torch_params: torchParams, torch_img_per_s: torchImgs.length > 0 ? round(median(torchImgs), 3) : null,
              ratio: ratios.length > 0 ? round(median(ratios), 4) : null,
              ratio_min: ratios.length > 0 ? round(Math.min(...ratios), 4) : null, ratio_max: ratios.length > 0 ? round(Math.max(...ratios), 4) : null,
            });
          }
        } catch (err) {
          note(`${name} ${model} batch ${batch} failed: ${(err as Error).message.split('\n')[0]}`);
          emit({ bench: 'train_step', model, backend: name, batch, error: (err as Error).message.split('\n')[0] });
        }
      }
    }
    // Hessian-vector product / training step (value and gradient) on the same batch, the hessian command's ratio,
    // next to PyTorch's (bench/torch_hvp.py, measured once, at the thread count with the faster product)
    if (!slow && args.hvp) {
      const hvpModels = args.models.filter((m) => known.has(m) && (args.paper || HVP_MODELS.has(m)));
      const hvpBatches = args.paper ? batches : [quick ? 2 : 32];
      for (const batch of hvpBatches) {
      torchHvp = torchHvpByBatch.get(batch) ?? measureTorchHvp(args.torch ? hvpModels : [], batch, quick);
      torchHvpByBatch.set(batch, torchHvp);
      for (const model of hvpModels) {
        try {
          // rounds as for the training step: each times its own steps and products back to back
          const n = name === 'native' ? rounds : 1;
          const ref = torchHvp.get(model);
          const ts: { stepMs: number; hvpMs: number; ratio: number }[] = [];
          for (let rnd = 1; rnd <= n; rnd++) {
            const t = await timeHvp(model, batch, quick ? 1 : args.paper ? 2 : 5);
            ts.push({ stepMs: t.trainStepMs, hvpMs: t.hvpMs, ratio: t.ratio });
            emit({
              bench: 'hvp', model, backend: name, batch, round: rnd, step_ms: round(t.trainStepMs, 2), hvp_ms: round(t.hvpMs, 2), ratio: round(t.ratio, 3),
              ...ofPeak(hvpFlops(model, batch), t.hvpMs / 1e3),
              torch_step_ms: ref ? round(ref.step_s * 1e3, 2) : null, torch_hvp_ms: ref ? round(ref.hvp_s * 1e3, 2) : null,
              torch_ratio: ref ? round(ref.ratio, 3) : null, torch_threads: ref?.threads ?? null,
            });
          }
          if (n > 1) {
            const ratios = ts.map((t) => t.ratio);
            emit({
              bench: 'hvp_summary', model, backend: name, batch, rounds: n, step_ms: round(median(ts.map((t) => t.stepMs)), 2),
              hvp_ms: round(median(ts.map((t) => t.hvpMs)), 2), ratio: round(median(ratios), 3),
              ...ofPeak(hvpFlops(model, batch), median(ts.map((t) => t.hvpMs)) / 1e3),
              torch_hvp_ms: ref ? round(ref.hvp_s * 1e3, 2) : null, vs_torch_hvp: ref ? round((ref.hvp_s * 1e3) / median(ts.map((t) => t.hvpMs)), 3) : null,
              ratio_min: round(Math.min(...ratios), 3), ratio_max: round(Math.max(...ratios), 3),
              torch_ratio: ref ? round(ref.ratio, 3) : null, torch_threads: ref?.threads ?? null,
            });
          }
        } catch (err) {
          note(`${name} ${model} hvp failed: ${(err as Error).message.split('\n')[0]}`);
          emit({ bench: 'hvp', model, backend: name, batch, error: (err as Error).message.split('\n')[0] });
        }
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
