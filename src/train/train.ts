// train(config, hooks): the training loop that the CLI, notebooks and the benchmark call.
// Every random choice derives from (seed, epoch, batch) or (seed, step) — data order and augmentation in
// src/data, mixup/CutMix and drop-path here — so a run stopped at any step and resumed from its checkpoint
// (parameters, BatchNorm buffers, optimizer slots, step, partial epoch statistics) continues bit for bit.
import { promises as fs } from 'node:fs';
import * as path from 'node:path';
import { tf } from '../backend/tf.ts';
import { currentBackend } from '../backend/select.ts';
import { batchCount, iterateBatches } from '../data/batches.ts';
import { loadCifar } from '../data/load.ts';
import { labelClassCount } from '../data/labels.ts';
import { mixSeeds } from '../data/seed-mix.ts';
import { subset } from '../data/subset.ts';
import type { AugmentOptions, CifarData, ImageSet } from '../data/types.ts';
import { getPreset } from '../models/index.ts';
import { createModel } from '../models/create.ts';
import type { Model, ModelConfig } from '../models/model.ts';
import { Rng } from '../util/random.ts';
import { writeJsonAtomic } from '../io/atomic.ts';
import type { Progress, ProgressOptions } from '../util/progress.ts';
import { AdamW } from './adamw.ts';
import { defaultCheckpointIO, pruneEpochCheckpoints, resumeCheckpoint, writeLatest, type CheckpointIO } from './checkpoint.ts';
import { fitWarmupToRun, optionName, resolveTrainConfig, type TrainConfig } from './config.ts';
import { faultPoint } from '../io/fault-points.ts';
import { openRunDir } from '../io/run-dir.ts';
import { CheckpointError, ConfigError, ExpectedError } from '../util/errors.ts';
import { evaluate } from './evaluate.ts';
import { MetricAccumulator, type AccumulatorState } from './metrics.ts';
import { writeMetrics, type EpochMetrics } from './metrics-log.ts';
import { applyMix, drawMix, type MixConfig } from './mixup.ts';
import type { Optimizer } from './optimizer.ts';
import { checkSchedule, learningRateAt, type ScheduleConfig } from './schedule.ts';
import { Sgd } from './sgd.ts';
import { makeTrainStep, type StepResult } from './step.ts';
import { decayedParams } from './weight-decay.ts';

/** Seed streams of the training loop (distinct from src/data's 1..3). */
const STREAM = { init: 11, mix: 12, dropPath: 13, subsetTrain: 14, subsetTest: 15 } as const;

export interface StepInfo {
  step: number;
  epoch: number;
  /** Batch index within the epoch (0-based) of the step just taken. */
  batch: number;
  stepsPerEpoch: number;
  totalSteps: number;
  loss: number;
  lr: number;
  gradNorm: number;
  /** Running training accuracy of the epoch so far. */
  acc: number;
  imagesPerSec: number;
}

export interface TrainHooks {
  log?(message: string): void;
  /** Aborting stops training after the current step and saves the `interrupted` checkpoint. */
  signal?: AbortSignal;
  progress?(opts: ProgressOptions): Progress;
  onStep?(info: StepInfo): void;
  onEpoch?(row: EpochMetrics): void;
  /** Data to use instead of loadCifar (tests, notebooks). */
  data?: Pick<CifarData, 'train' | 'test'> & Partial<CifarData>;
  /** Checkpoint writer/reader (default: the models package's saveCheckpoint/loadCheckpoint). */
  checkpointIO?: CheckpointIO;
}

export type TrainStatus = 'completed' | 'interrupted';

export interface TrainResult {
  status: TrainStatus;
  runDir: string;
  config: TrainConfig;
  /** Per-epoch metrics of the whole run (resumed runs include the earlier epochs). */
  metrics: EpochMetrics[];
  step: number;
  /** The newest checkpoint written. */
  checkpoint: string | null;
  /** The trained model; the caller disposes it. */
  model: Model;
}

/** Raised when the loss or the gradient norm is NaN or infinite; nothing is saved from that step on. */
export class TrainingDivergedError extends ExpectedError {
  override name = 'TrainingDivergedError';
  constructor(
    message: string,
    readonly step: number,
    readonly lastCheckpoint: string | null,
  ) {
    super(message);
  }
}

/** What a checkpoint's `state` holds. */
export interface TrainState {
  version: 1;
  /** Epoch in progress (0-based) and the next batch of it; batch === stepsPerEpoch means "evaluate next". */
  epoch: number;
  batch: number;
  /** Optimisation steps completed. */
  step: number;
  /**
   * Randomness is counter-based: order and augmentation from (seed, epoch, batch), mixup/CutMix and
   * drop-path from (seed, step); nothing else needs saving. Recorded for the reader.
   */
  rng: { scheme: 'counter'; seed: number; streams: Record<string, number> };
  trainAccumulator: AccumulatorState;
  epochTrainSeconds: number;
  epochImages: number;
  epochGradNormSum: number;
  lastLr: number;
  metrics: EpochMetrics[];
  config: TrainConfig;
}

interface Plan {
  trainSet: ImageSet;
  testSet: ImageSet;
  numClasses: number;
  stepsPerEpoch: number;
  totalSteps: number;
  warmupSteps: number;
  schedule: ScheduleConfig;
  augment: AugmentOptions | false;
  mix: MixConfig;
  modelConfig: ModelConfig;
  checkpointSteps: Map<number, string>;
  checkpointEpochs: Set<number>;
}

function makePlan(config: TrainConfig, data: Pick<CifarData, 'train' | 'test'> & Partial<CifarData>): Plan {
  let trainSet: ImageSet = data.train;
  if (config.trainSize !== undefined && config.trainSize > data.train.count)
    throw new ConfigError('train config', '--train-size', String(config.trainSize), `at most the ${data.train.count} images of the training set`);
  if (config.trainFraction !== undefined && Math.round(config.trainFraction * data.train.count) < 1)
    throw new ConfigError('train config', '--train-fraction', String(config.trainFraction), `at least ${(0.5 / data.train.count).toPrecision(2)} (one of the ${data.train.count} training images)`);
  if (config.trainSize !== undefined || config.trainFraction !== undefined)
    trainSet = subset(data.train, { size: config.trainSize, fraction: config.trainFraction, seed: mixSeeds(config.seed, STREAM.subsetTrain), balanceBy: config.labels });
  let testSet: ImageSet = data.test;
  if (config.testSize !== undefined && config.testSize < data.test.count)
    testSet = subset(data.test, { size: config.testSize, seed: mixSeeds(config.seed, STREAM.subsetTest), balanceBy: config.labels });
  const numClasses =
    config.labels === 'coarse'
      ? (data.coarseLabelNames?.length ?? labelClassCount(data.train.coarseLabels))
      : (data.fineLabelNames?.length ?? labelClassCount(data.train.fineLabels));
  const full = batchCount(trainSet, config.batchSize, config.dropLast);
  if (full < 1)
    throw new ConfigError('train config', '--batch-size', String(config.batchSize), `at most the ${trainSet.count} training images (lower --batch-size or pass --no-drop-last)`);
  const stepsPerEpoch = config.stepsPerEpoch > 0 ? Math.min(full, config.stepsPerEpoch) : full;
  const totalSteps = stepsPerEpoch * config.epochs;
  const warmupSteps = Math.round(config.warmupEpochs * stepsPerEpoch);
  const schedule: ScheduleConfig = {
    name: config.schedule,
    baseLr: config.lr,
    totalSteps,
    stepsPerEpoch,
    warmupSteps,
    warmupStartLr: config.warmupStartLr,
    minLr: config.minLr,
    milestones: config.milestones,
    gamma: config.gamma,
  };
  checkSchedule(schedule);
  const augment: AugmentOptions | false = config.augment
    ? {
        crop: config.crop,
        flip: config.flip,
        ...(config.randAugmentOps > 0 ? { randAugment: { ops: config.randAugmentOps, magnitude: config.randAugmentMagnitude, magnitudeStd: config.randAugmentStd } } : {}),
      }
    : false;
  const preset = getPreset(config.model, numClasses) as ModelConfig & { description?: string; dropPathRate?: number };
  delete preset.description;
  if (config.dropPath !== undefined) preset.dropPathRate = config.dropPath;
  const checkpointSteps = new Map<number, string>();
  const checkpointEpochs = new Set<number>();
  for (const t of config.checkpointAt) {
    if (t === 'warmup') {
      if (warmupSteps > 0) checkpointSteps.set(warmupSteps, 'warmup');
    } else if (t.startsWith('epoch:')) checkpointEpochs.add(Number(t.slice(6)));
    else if (Number(t) > totalSteps)
      throw new ConfigError('train config', '--checkpoint-at', t, `a step in 1..${totalSteps} (this run's ${stepsPerEpoch} steps per epoch × ${config.epochs} epochs)`);
    else checkpointSteps.set(Number(t), `step-${Number(t)}`);
  }
  return {
    trainSet,
    testSet,
    numClasses,
    stepsPerEpoch,
    totalSteps,
    warmupSteps,
    schedule,
    augment,
    mix: { mixupAlpha: config.mixup, cutmixAlpha: config.cutmix, prob: config.mixProb, switchProb: config.mixSwitchProb },
    modelConfig: preset,
    checkpointSteps,
    checkpointEpochs,
  };
}

function makeOptimizer(config: TrainConfig, model: Model): Optimizer {
  const decay = decayedParams(model.paramInfo, config.noDecayRoles);
  return config.optimizer === 'sgd'
    ? new Sgd({ momentum: config.momentum, nesterov: config.nesterov, weightDecay: config.weightDecay, decay })
    : new AdamW({ beta1: config.beta1, beta2: config.beta2, eps: config.eps, weightDecay: config.weightDecay, decay });
}

/** Fields that must agree between a run's config and the checkpoint it resumes from. */
const RESUME_FIELDS: (keyof TrainConfig)[] = ['model', 'batchSize', 'epochs', 'stepsPerEpoch', 'trainSize', 'trainFraction', 'seed', 'optimizer', 'labels', 'dropLast'];

/** Trains a model as `config` says; writes results/<run>/{config.json,metrics.csv,metrics.jsonl,checkpoints/}. */
// The run folder: a new time-stamped one unless --run names it (refused if it holds a run, unless --resume or
// --overwrite); one writer at a time (a lock file with the pid, src/io/run-dir.ts).
export async function train(partial: Partial<TrainConfig>, hooks: TrainHooks = {}): Promise<TrainResult> {
  const fitted = fitWarmupToRun(resolveTrainConfig(partial));
  const log = hooks.log ?? ((m: string) => console.error(m));
  if (fitted.note) log(fitted.note);
  const config = fitted.config;
  const run = await openRunDir(
    { results: config.results, run: config.run, prefix: `train-${config.model}`, reuse: config.resume, overwrite: config.overwrite },
    `train ${config.model}`,
  );
  try {
    if (run.mode === 'overwrite') log(`[train] --overwrite: replacing the run in ${run.dir} (its checkpoints and metrics are deleted)`);
    return await trainInRunDir(config, run.dir, hooks, log);
  } finally {
    run.release();
  }
}

async function trainInRunDir(config: TrainConfig, runDir: string, hooks: TrainHooks, log: (m: string) => void): Promise<TrainResult> {
  const io = hooks.checkpointIO ?? (await defaultCheckpointIO());
  const ckptRoot = path.join(runDir, 'checkpoints');

  let data = hooks.data;
  if (!data) {
    data = await loadCifar({ dir: config.data, download: config.download, log });
  }
  const plan = makePlan(config, data);

  // Model and optimiser: fresh, or from the newest checkpoint.
  let model: Model;
  let optimizer: Optimizer;
  let state: TrainState | null = null;
  let lastCheckpoint: string | null = null;
  const latest = config.resume ? await resumeCheckpoint(runDir, log) : null;
  if (config.resume && !latest) log(`[train] --resume: no checkpoint in ${ckptRoot}; starting afresh`);
  if (latest) {
    const dir = path.join(ckptRoot, latest.tag);
    const loaded = await io.load(dir);
    state = loaded.state as TrainState;
    if (!state || state.version !== 1) throw new CheckpointError(dir, `${dir}: found a checkpoint without training state (version 1); expected one written by train to resume from`);
    for (const f of RESUME_FIELDS)
      if (JSON.stringify(state.config[f]) !== JSON.stringify(config[f]))
        throw new ConfigError('--resume', optionName(f), JSON.stringify(config[f]) ?? 'unset', `${JSON.stringify(state.config[f]) ?? 'unset'}, as the checkpoint ${dir} was trained with (or start a new run)`);
    model = loaded.model;
    optimizer = makeOptimizer(config, model);
    if (loaded.optimizer) optimizer.load(loaded.optimizer);
    else if (state.step > 0) throw new CheckpointError(dir, `${dir}: found no optimizer state; expected optimizer.safetensors to resume bit for bit`);
    lastCheckpoint = dir;
    log(`[train] resuming ${runDir} from checkpoint '${latest.tag}' (epoch ${state.epoch + 1}, step ${state.step})`);
  } else {
    await fs.rm(ckptRoot, { recursive: true, force: true });
    await fs.rm(path.join(runDir, 'metrics.csv'), { force: true });
    await fs.rm(path.join(runDir, 'metrics.jsonl'), { force: true });
    model = createModel(plan.modelConfig, { seed: mixSeeds(config.seed, STREAM.init) });
    optimizer = makeOptimizer(config, model);
  }

  const paramCount = model.paramInfo.reduce((s, p) => s + p.shape.reduce((a, b) => a * b, 1), 0);
  await writeJsonAtomic(path.join(runDir, 'config.json'), {
    ...config,
    resolved: {
      numClasses: plan.numClasses,
      trainImages: plan.trainSet.count,
      testImages: plan.testSet.count,
      stepsPerEpoch: plan.stepsPerEpoch,
      totalSteps: plan.totalSteps,
      warmupSteps: plan.warmupSteps,
      augment: plan.augment,
      decayedParams: [...decayedParams(model.paramInfo, config.noDecayRoles)].length,
      params: paramCount,
      model: model.config,
      dataSource: data.source ?? 'injected',
      dataDir: data.dir ?? null,
      backend: currentBackend()?.name ?? tf.getBackend(),
    },
  });
  log(
    `[train] ${config.model} (${(paramCount / 1e6).toFixed(2)} M params) on ${plan.trainSet.count} images, ${plan.stepsPerEpoch} steps/epoch × ${config.epochs} epochs, ` +
      `${config.optimizer} lr ${config.lr} → ${runDir}`,
  );

  const metrics: EpochMetrics[] = state ? [...state.metrics] : [];
  if (state) await writeMetrics(runDir, metrics);
  let step = state?.step ?? 0;
  const startEpoch = state?.epoch ?? 0;
  let startBatch = state?.batch ?? 0;
  const trainStep = makeTrainStep(model, optimizer);
  const K = plan.numClasses;
  const size = plan.trainSet.height;
  const protect = new Set<string>([...plan.checkpointEpochs].map((e) => `epoch-${e}`));

  const makeState = (epoch: number, batch: number, acc: MetricAccumulator, secs: number, images: number, gradSum: number, lr: number): TrainState => ({
    version: 1,
    epoch,
    batch,
    step,
    rng: { scheme: 'counter', seed: config.seed, streams: { ...STREAM, dataOrder: 1, dataAugment: 2 } },
    trainAccumulator: acc.toJSON(),
    epochTrainSeconds: secs,
    epochImages: images,
    epochGradNormSum: gradSum,
    lastLr: lr,
    metrics: [...metrics],
    config,
  });
  const save = async (tag: string, s: TrainState): Promise<string> => {
    const dir = path.join(ckptRoot, tag);
    await io.save(dir, { model, optimizer: optimizer.state(), state: s });
    await writeLatest(runDir, { tag, step: s.step, epoch: s.epoch });
    lastCheckpoint = dir;
    return dir;
  };

  const signal = hooks.signal;
  try {
    for (let epoch = startEpoch; epoch < config.epochs; epoch++) {
      const resumingHere = state !== null && epoch === state.epoch;
      const acc = resumingHere ? MetricAccumulator.fromJSON(state!.trainAccumulator) : new MetricAccumulator();
      let trainSeconds = resumingHere ? state!.epochTrainSeconds : 0;
      let images = resumingHere ? state!.epochImages : 0;
      let gradSum = resumingHere ? state!.epochGradNormSum : 0;
      let lr = resumingHere ? state!.lastLr : learningRateAt(plan.schedule, step);
      const first = epoch === startEpoch ? startBatch : 0;
      const bar = hooks.progress?.({ label: `epoch ${epoch + 1}/${config.epochs}`, total: plan.stepsPerEpoch });
      let tick = performance.now();
      const batches = iterateBatches(plan.trainSet, {
        batchSize: config.batchSize, shuffle: true, seed: config.seed, epoch, augment: plan.augment, labels: config.labels,
        dropLast: config.dropLast, startBatch: first, endBatch: plan.stepsPerEpoch,
      });
      let b = first;
      for (const batch of batches) {
        // Let signal handlers (Ctrl-C, SIGTERM) and timers run between steps.
        await new Promise<void>((resolve) => setImmediate(resolve));
        if (signal?.aborted) {
          tf.dispose([batch.x, batch.y]);
          bar?.finish();
          const dir = await save('interrupted', makeState(epoch, b, acc, trainSeconds, images, gradSum, lr));
          log(`[train] interrupted at step ${step} (epoch ${epoch + 1}, batch ${b}); checkpoint ${dir}; continue with --resume`);
          return { status: 'interrupted', runDir, config, metrics, step, checkpoint: lastCheckpoint, model };
        }
        lr = learningRateAt(plan.schedule, step);
        const draw = drawMix(plan.mix, new Rng(mixSeeds(config.seed, step, STREAM.mix)), size, plan.trainSet.width);
        const mixed = applyMix(batch.x, Int32Array.from(await batch.y.data()), draw, K, config.labelSmoothing);
        tf.dispose([batch.x, batch.y]);
        const n = mixed.primary.length;
        let r: StepResult;
        try {
          r = await trainStep({ x: mixed.x, y: mixed.targets }, { lr, seed: mixSeeds(config.seed, step, STREAM.dropPath), clipNorm: config.clipNorm, logits: true });
        } finally {
          tf.dispose([mixed.x, mixed.targets]);
        }
        const loss = r.loss;
        if (!Number.isFinite(loss)) {
          throw new TrainingDivergedError(
            `[train] loss is ${loss} at step ${step} (epoch ${epoch + 1}, batch ${b}, lr ${lr.toExponential(3)}); stopping. ` +
              `Last good checkpoint: ${lastCheckpoint ?? 'none (no checkpoint was written yet)'}`,
            step,
            lastCheckpoint,
          );
        }
        if (!r.updated) {
          throw new TrainingDivergedError(
            `[train] gradient norm is ${r.gradNorm} at step ${step} (epoch ${epoch + 1}, batch ${b}); stopping. Last good checkpoint: ${lastCheckpoint ?? 'none'}`,
            step,
            lastCheckpoint,
          );
        }
        acc.add(r.logits!, mixed.primary, K, loss * n);
        step++;
        b++;
        images += n;
        gradSum += r.gradNorm;
        const now = performance.now();
        trainSeconds += (now - tick) / 1000;
        tick = now;
        const ips = images / Math.max(trainSeconds, 1e-9);
        bar?.update(b, { loss, acc: acc.correct1 / acc.n, rate: ips, lr });
        hooks.onStep?.({ step, epoch, batch: b - 1, stepsPerEpoch: plan.stepsPerEpoch, totalSteps: plan.totalSteps, loss, lr, gradNorm: r.gradNorm, acc: acc.correct1 / acc.n, imagesPerSec: ips });
        await faultPoint('train-step');
        const tag = plan.checkpointSteps.get(step);
        if (tag) {
          const dir = await save(tag, makeState(epoch, b, acc, trainSeconds, images, gradSum, lr));
          log(`[train] checkpoint '${tag}' at step ${step}: ${dir}`);
          tick = performance.now();
        }
      }
      bar?.finish();
      if (signal?.aborted) {
        const dir = await save('interrupted', makeState(epoch, b, acc, trainSeconds, images, gradSum, lr));
        log(`[train] interrupted at step ${step} (end of epoch ${epoch + 1} training); checkpoint ${dir}; continue with --resume`);
        return { status: 'interrupted', runDir, config, metrics, step, checkpoint: lastCheckpoint, model };
      }
      const evalBar = hooks.progress?.({ label: `eval ${epoch + 1}/${config.epochs}`, total: plan.testSet.count, unit: 'img/s' });
      const test = await evaluate(model, plan.testSet, {
        batchSize: config.evalBatchSize, labels: config.labels, signal,
        onBatch: (done) => evalBar?.update(done),
      });
      evalBar?.finish();
      if (test.aborted) {
        const dir = await save('interrupted', makeState(epoch, b, acc, trainSeconds, images, gradSum, lr));
        log(`[train] interrupted during evaluation of epoch ${epoch + 1}; checkpoint ${dir}; continue with --resume`);
        return { status: 'interrupted', runDir, config, metrics, step, checkpoint: lastCheckpoint, model };
      }
      const tr = acc.result();
      const row: EpochMetrics = {
        epoch: epoch + 1, step, lr,
        train_nll: tr.nll, train_acc: tr.acc, train_top5: tr.top5, train_ece: tr.ece,
        test_nll: test.nll, test_acc: test.acc, test_top5: test.top5, test_ece: test.ece,
        images_per_sec: images / Math.max(trainSeconds, 1e-9), epoch_seconds: trainSeconds, eval_seconds: test.seconds,
        grad_norm: acc.n > 0 ? gradSum / Math.max(1, plan.stepsPerEpoch) : NaN,
      };
      metrics.push(row);
      await writeMetrics(runDir, metrics);
      hooks.onEpoch?.(row);
      log(
        `[train] epoch ${epoch + 1}/${config.epochs}: train nll ${tr.nll.toFixed(4)} acc ${(tr.acc * 100).toFixed(2)}% | ` +
          `test nll ${test.nll.toFixed(4)} acc ${(test.acc * 100).toFixed(2)}% top5 ${(test.top5 * 100).toFixed(2)}% ece ${test.ece.toFixed(4)} | ` +
          `${row.images_per_sec.toFixed(1)} img/s, ${trainSeconds.toFixed(1)} s train + ${test.seconds.toFixed(1)} s eval`,
      );
      const endState = makeState(epoch + 1, 0, new MetricAccumulator(), 0, 0, 0, lr);
      await save(`epoch-${epoch + 1}`, endState);
      if (plan.checkpointEpochs.has(epoch + 1)) protect.add(`epoch-${epoch + 1}`);
      await pruneEpochCheckpoints(runDir, config.keepLast, protect);
      startBatch = 0;
    }
    await save('final', makeState(config.epochs, 0, new MetricAccumulator(), 0, 0, 0, metrics.at(-1)?.lr ?? 0));
    await fs.rm(path.join(ckptRoot, 'interrupted'), { recursive: true, force: true });
    return { status: 'completed', runDir, config, metrics, step, checkpoint: lastCheckpoint, model };
  } catch (err) {
    model.dispose();
    throw err;
  } finally {
    optimizer.dispose();
  }
}
