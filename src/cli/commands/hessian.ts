// npm run experiment hessian -- --checkpoint <dir>[,<dir2>] | --model vit-cpu,resnet-20 [--protocol quick|paper]
// Hessian spectra (Park & Kim 2022, Fig. 1c, 4): the max-eigenvalue spectrum (top-k eigenvalues by magnitude
// of each of many mini-batches, pooled; NEP and APE) and the spectrum of the Hessian averaged over batches
// (top/bottom eigenvalues by Lanczos, spectral density by SLQ, trace by Hutchinson), each with its spread
// over disjoint data subsets. Writes results/<run>/hessian.json and the figures. Settings come from
// src/hessian/protocol.ts; hessian.json records them all.
import * as path from 'node:path';
import { existsSync } from 'node:fs';
import type { Command, CommandContext, OptionValues } from '../command.ts';
import { tf } from '../../backend/tf.ts';
import { PAPER_AUGMENT } from '../../data/augment.ts';
import { iterateBatches } from '../../data/batches.ts';
import { loadCifar } from '../../data/load.ts';
import { subset } from '../../data/subset.ts';
import {
  MODEL_OPTIONS, disposeModels, exportAnalysisFigures, loadAnalysisModels, secondsSince, verifyModelsUnchanged, writeJsonAtomic,
  type AnalysedModel,
} from '../../experiments/analysis-support.ts';
import { protocolOptions, resolveProtocol } from '../../analysis/protocol.ts';
import { mixTrainingBatch, NO_MIX, PAPER_MIX } from '../../analysis/training-targets.ts';
import { HESSIAN_PROTOCOLS, type HessianSettings } from '../../hessian/protocol.ts';
import { listCheckpointTags, checkpointDir, runDirFromOptions } from '../run-dir.ts';
import type { HessianBatch } from '../../hessian/model-operator.ts';
import { countParams, selectParamNames } from '../../hessian/param-groups.ts';
import { hessianSpectrum, maxEigenvalueKde, maxEigenvalueSpectrum, splitGroups, type HessianSpectrum, type MaxEigenSpectrum } from '../../hessian/spectrum.ts';
import { timeHvpVsStep, type StepTiming } from '../../hessian/timing.ts';
import { meanAndVariance, studentTQuantile } from '../../hessian/stats.ts';
import { spectralDensityFigure, maxEigenvalueSpectrumFigure } from '../../plots/index.ts';
import type { Figure } from '../../plots/figure.ts';

function listOf(opts: OptionValues, name: string): string[] {
  const v = opts[name];
  return Array.isArray(v) ? v.filter((s) => s !== '') : [];
}

/** `--all-checkpoints`: a run directory stands for every checkpoint under it (a series, warm-up end included). */
async function expandCheckpoints(opts: OptionValues): Promise<void> {
  if (opts['all-checkpoints'] !== true) return;
  const out: string[] = [];
  for (const c of listOf(opts, 'checkpoint')) {
    const tags = existsSync(path.join(c, 'checkpoints')) ? await listCheckpointTags(c) : [];
    if (tags.length === 0) out.push(c);
    else out.push(...tags.map((t) => checkpointDir(c, t)));
  }
  opts.checkpoint = out;
}

interface DataSample {
  batches: HessianBatch[];
  source: string;
  dir: string;
  poolSize: number;
}

/**
 * Draws `count` disjoint batches of the training set (from a seeded class-balanced pool), augmented, with the
 * training pipeline's soft targets (mixup/CutMix when settings.mix, label smoothing): y is [B, K].
 */
async function drawBatches(opts: OptionValues, ctx: CommandContext, imageSize: number, count: number, settings: HessianSettings, seed: number): Promise<DataSample> {
  const { batchSize, fraction, augment } = settings;
  const cifar = await loadCifar({ dir: typeof opts.data === 'string' ? opts.data : undefined, allowGenerated: true, log: (m: string) => ctx.log(m) });
  const set = cifar.train;
  if (set.height !== imageSize) throw new Error(`${cifar.dir}: images are ${set.height} x ${set.width}, but the model expects ${imageSize} x ${imageSize}`);
  const poolSize = fraction > 0 ? Math.max(batchSize, Math.round(fraction * set.count)) : Math.min(set.count, count * batchSize);
  const pool = subset(set, { size: poolSize, seed });
  const total = fraction > 0 && count === 0 ? Math.floor(poolSize / batchSize) : count;
  const aug = augment === 'none' ? false : augment === 'paper' ? PAPER_AUGMENT : true;
  const batches: HessianBatch[] = [];
  const numClasses = cifar.fineLabelNames.length;
  for (const b of iterateBatches(pool, { batchSize, shuffle: true, seed, epoch: 0, augment: aug, dropLast: true, endBatch: total })) {
    const mixed = mixTrainingBatch(b.x, b.y, { numClasses, mix: settings.mix ? PAPER_MIX : NO_MIX, labelSmoothing: settings.labelSmoothing, seed, index: batches.length });
    tf.dispose([b.x, b.y]);
    batches.push({ x: mixed.x, y: mixed.targets, indices: Array.from(b.indices, (i) => pool.indices[i]!) });
  }
  if (batches.length < total) throw new Error(`option '--batches': asked for ${total} batches of ${batchSize}, the pool of ${poolSize} images gives ${batches.length}`);
  return { batches, source: cifar.source, dir: cifar.dir, poolSize };
}

export const command: Command = {
  name: 'hessian',
  summary: 'Hessian spectra: max-eigenvalue spectrum (NEP, APE), top/bottom eigenvalues, SLQ density, trace — with CIs over data subsets',
  options: [
    ...MODEL_OPTIONS,
    { name: 'model', type: 'list', help: 'freshly initialised model presets (same as --preset)' },
    { name: 'all-checkpoints', type: 'boolean', default: false, help: 'a run directory given to --checkpoint stands for all its checkpoints (a series)' },
    ...protocolOptions(HESSIAN_PROTOCOLS),
    { name: 'analyses', type: 'list', default: ['maxeig', 'spectrum', 'timing'], choices: ['maxeig', 'spectrum', 'timing'], help: 'what to compute' },
    { name: 'params', type: 'string', default: 'all', help: "parameter subset: group (all, msa, mlp, conv, norm, head, embedding), block:<i>, or a regex; ',' joins" },
  ],
  async run(opts, ctx) {
    const start = Date.now();
    opts.preset = [...listOf(opts, 'preset'), ...listOf(opts, 'model')];
    await expandCheckpoints(opts);
    const seed = typeof opts.seed === 'number' ? opts.seed : 0;
    const analyses = new Set(listOf(opts, 'analyses').length ? listOf(opts, 'analyses') : ['maxeig', 'spectrum', 'timing']);
    const resolved = resolveProtocol(HESSIAN_PROTOCOLS, opts);
    const protocol = resolved.protocol;
    const settings = {
      ...resolved,
      protocolDescription: HESSIAN_PROTOCOLS.protocols[protocol].description,
      params: String(opts.params ?? 'all'),
      seed,
      mixConfig: resolved.mix ? PAPER_MIX : NO_MIX,
      bnMode: 'eval',
      loss: 'mean cross-entropy against the soft targets (label smoothing, mixup/CutMix when mix) + (l2/2)·||θ||², twice-differentiable log-softmax',
      ci: '95% Student-t interval of the mean over disjoint data subsets (or groups of batches)',
      kde: 'per sign: each side with its own Silverman bandwidth, scaled by its share (the figure’s curves)',
    };
    const models: AnalysedModel[] = await loadAnalysisModels(opts, ctx, 100);
    const runDir = await runDirFromOptions(opts, 'hessian');
    const results: Record<string, unknown>[] = [];
    const jsonPath = path.join(runDir, 'hessian.json');
    const save = async (): Promise<void> =>
      writeJsonAtomic(jsonPath, { analysis: 'hessian', settings, seconds: secondsSince(start), models: results });
    try {
      for (const m of models) {
        const t0 = Date.now();
        const names = selectParamNames(m.model.paramInfo, settings.params, "option '--params'");
        const dim = countParams(m.model.paramInfo, names);
        ctx.log(`[hessian] ${m.label}: ${dim} parameters selected ('${settings.params}', ${names.length} tensors), protocol ${protocol}`);
        const entry: Record<string, unknown> = { label: m.label, source: m.source, preset: m.model.config.preset, dim, paramNames: names };
        results.push(entry);
        const onProduct = (info: { stage: string; count: number; ms: number }): void =>
          ctx.log(`[hessian] ${m.label} ${info.stage}: Hessian-vector product ${info.count} (${(info.ms / 1000).toFixed(2)} s)`);

        const maxeigBatches = settings.batches;
        const spectrumBatches = settings.subsets * settings.subsetBatches;
        const need = (analyses.has('maxeig') ? maxeigBatches : 0) + (analyses.has('spectrum') ? spectrumBatches : 0);
        const sample = await drawBatches(opts, ctx, m.model.config.imageSize,
          settings.fraction > 0 && maxeigBatches === 0 && analyses.has('maxeig') ? 0 : Math.max(need, 1), settings, seed);
        entry.data = { source: sample.source, dir: sample.dir, poolSize: sample.poolSize, batches: sample.batches.length };
        try {
          // Disjoint batches: the max-eigenvalue batches first, the spectrum subsets after them.
          const nMax = analyses.has('maxeig') ? (maxeigBatches > 0 ? maxeigBatches : Math.max(1, sample.batches.length - (analyses.has('spectrum') ? spectrumBatches : 0))) : 0;
          if (analyses.has('timing')) {
            const timing: StepTiming = await timeHvpVsStep(m.model, sample.batches[0]!, { names, seed });
            entry.timing = timing;
            ctx.log(`[hessian] ${m.label}: training step ${timing.trainStepMs.toFixed(0)} ms, Hessian-vector product ${timing.hvpMs.toFixed(0)} ms (${timing.ratio.toFixed(2)}x), batch ${settings.batchSize}`);
          }
          if (analyses.has('maxeig')) {
            const res: MaxEigenSpectrum = await maxEigenvalueSpectrum(m.model, sample.batches.slice(0, nMax), {
              names, l2: settings.l2, labelSmoothing: 0, seed, k: settings.k, tol: settings.tol,
              maxIter: settings.maxIter, groups: settings.groups, variant: settings.power, onProduct,
              onBatch: (b, n, v) => ctx.log(`[hessian] ${m.label} max-eig batch ${b}/${n}: ${v.map((x) => x.toPrecision(4)).join(', ')}`),
            });
            const perBatchMax = res.perBatch.map((p) => Math.max(...p.values));
            entry.maxEigenvalueSpectrum = { ...res, kde: maxEigenvalueKde(res.eigenvalues), sampleSize: sampleSizeAdvice(perBatchMax) };
            ctx.log(`[hessian] ${m.label}: NEP ${(100 * res.nep).toFixed(1)}% [${ci(res.nepCI, 100)}], APE ${res.ape.toPrecision(4)} [${ci(res.apeCI)}], ${res.products} products in ${(res.ms / 1000).toFixed(1)} s`);
            await save();
          }
          if (analyses.has('spectrum')) {
            const rest = sample.batches.slice(nMax);
            const subsets = splitGroups(rest.length, settings.subsets).map((g) => g.map((i) => rest[i]!));
            const spec: HessianSpectrum = await hessianSpectrum(m.model, subsets, {
              names, l2: settings.l2, labelSmoothing: 0, seed, k: settings.k,
              lanczosSteps: settings.lanczosSteps, slqSteps: settings.slqSteps, slqRuns: settings.slqRuns,
              traceSamples: settings.traceSamples, onProduct,
            });
            entry.spectrum = spec;
            ctx.log(`[hessian] ${m.label}: λmax ${spec.top[0]!.mean.toPrecision(4)} [${ci(spec.top[0]!)}], λmin ${spec.bottom[0]!.mean.toPrecision(4)} [${ci(spec.bottom[0]!)}], trace ${spec.trace.mean.toPrecision(4)} [${ci(spec.trace)}] in ${(spec.ms / 1000).toFixed(1)} s`);
          }
        } finally {
          for (const b of sample.batches) tf.dispose([b.x, b.y]);
        }
        // the timing's training-mode passes included: parameters and BatchNorm buffers are as loaded
        verifyModelsUnchanged('hessian', [m]);
        entry.seconds = secondsSince(t0);
        await save();
      }
      await save();
      await exportAnalysisFigures(() => buildFigures(results), runDir, opts, ctx);
      ctx.log(`[hessian] done in ${secondsSince(start)} s; results in ${jsonPath}`);
    } finally {
      disposeModels(models);
    }
  },
};

function ci(c: { lower: number; upper: number }, scale = 1): string {
  if (!Number.isFinite(c.lower)) return 'n/a';
  return `${(c.lower * scale).toPrecision(3)}, ${(c.upper * scale).toPrecision(3)}`;
}

/**
 * How many mini-batches make the mean per-batch max eigenvalue stable: the 95% half-width is
 * t·sd/√n, so n = (t·sd / (r·mean))² batches give a relative half-width r (10% and 5%).
 */
export function sampleSizeAdvice(perBatchMax: readonly number[]): { n: number; mean: number; sd: number; relHalfWidth: number; batchesFor10pct: number; batchesFor5pct: number } {
  const n = perBatchMax.length;
  const { mean, variance } = meanAndVariance(perBatchMax);
  const sd = Math.sqrt(variance);
  const t = n > 1 ? studentTQuantile(0.975, n - 1) : NaN;
  const z = 1.96;
  return {
    n, mean, sd,
    relHalfWidth: (t * sd) / Math.sqrt(n) / Math.abs(mean),
    batchesFor10pct: Math.ceil(((z * sd) / (0.1 * Math.abs(mean))) ** 2),
    batchesFor5pct: Math.ceil(((z * sd) / (0.05 * Math.abs(mean))) ** 2),
  };
}

function buildFigures(results: Record<string, unknown>[]): Figure[] {
  return figuresFrom(results);
}

function figuresFrom(results: Record<string, unknown>[]): Figure[] {
  const figs: Figure[] = [];
  const dens = results.filter((r) => r.spectrum).map((r) => {
    const s = (r.spectrum as HessianSpectrum).density;
    return { label: String(r.label), grid: s.grid, density: s.mean, lower: s.lower.map((v) => Math.max(0, v)), upper: s.upper };
  });
  if (dens.length) figs.push(spectralDensityFigure(dens));
  const maxe = results.filter((r) => r.maxEigenvalueSpectrum).map((r) => {
    const s = r.maxEigenvalueSpectrum as MaxEigenSpectrum;
    return { label: String(r.label), eigenvalues: s.eigenvalues, nep: s.nep, ape: Number.isFinite(s.ape) ? s.ape : 0 };
  });
  if (maxe.length) figs.push(maxEigenvalueSpectrumFigure(maxe));
  return figs;
}
