// npm run experiment all: the README's main job. Trains the CPU-sized presets briefly (configs/<preset>.json,
// on the default data: loadCifar falls back to the generated set, loudly), then runs every registered analysis
// (hessian, fourier, noise, variance, landscape) on their checkpoints with the analyses' defaults, writes the
// figures and <run>/report.html. Layout: <run>/train/<preset>/ (training runs), <run>/<analysis>/, <run>/all.json.
import { existsSync } from 'node:fs';
import * as path from 'node:path';
import type { Command, OptionValues } from '../command.ts';
import { optionsFor, readConfigFile, OptionError } from '../options.ts';
import { getRegistry, runCommand } from '../registry.ts';
import { runDirFromOptions } from '../run-dir.ts';
import { writeJsonAtomic } from '../../io/atomic.ts';
import { TRAIN_OPTIONS } from '../../train/config.ts';
import { FIGURE_FORMAT_OPTION, formatsOf, runOptionsOf, trainConfigOrExplain } from '../train-run.ts';
import { runTrainExperiment, writeTrainingFigure, type TrainExperimentResult } from '../../experiments/train.ts';
import { writeReport } from '../../plots/report.ts';
import { resolveCheckpointDir } from '../../models/checkpoint.ts';
import { isExpectedError } from '../../util/errors.ts';

export const ANALYSES = ['hessian', 'fourier', 'noise', 'variance', 'landscape'] as const;
const CONFIG_DIR = path.resolve(path.dirname(new URL(import.meta.url).pathname), '..', '..', '..', 'configs');

interface StageRecord {
  stage: string;
  status: 'ok' | 'skipped' | 'failed' | 'interrupted';
  seconds: number;
  detail?: string;
}

export const command: Command = {
  name: 'all',
  summary: 'the main job: train vit-cpu and resnet-20 briefly, run every analysis on them, write figures and report.html',
  options: [
    { name: 'models', type: 'list', default: ['vit-cpu', 'resnet-20'], help: 'presets to train (each with configs/<preset>.json when present)' },
    { name: 'config-dir', type: 'string', default: CONFIG_DIR, help: 'where the per-preset training configs are' },
    { name: 'analyses', type: 'list', default: [...ANALYSES], help: 'analysis commands to run (those not registered are skipped)' },
    { name: 'epochs', type: 'integer', help: "override the configs' epochs" },
    { name: 'train-size', type: 'integer', help: "override the configs' training-set size" },
    { name: 'steps-per-epoch', type: 'integer', help: "override the configs' cap on batches per epoch" },
    { name: 'skip-train', type: 'boolean', default: false, help: 'reuse the checkpoints of an earlier all run' },
    { name: 'resume', type: 'boolean', default: false, help: 'resume interrupted training runs' },
    FIGURE_FORMAT_OPTION,
  ],
  async run(opts, ctx) {
    const t0 = Date.now();
    const runDir = await runDirFromOptions(opts, 'all');
    const models = (opts.models as string[]).filter((m) => m !== '');
    if (models.length === 0) throw new OptionError("all: option '--models' is empty, expected presets such as vit-cpu,resnet-20");
    const stages: StageRecord[] = [];
    const summary: Record<string, unknown> = { command: 'all', options: opts, started: new Date(t0).toISOString(), stages };
    const save = () => writeJsonAtomic(path.join(runDir, 'all.json'), { ...summary, seconds: (Date.now() - t0) / 1000 });
    const shared: OptionValues = { backend: opts.backend, data: opts.data, seed: opts.seed };

    // 1. Training.
    const trained: { label: string; result?: TrainExperimentResult; dir: string }[] = [];
    const accuracy: Record<string, unknown> = {};
    summary.training = accuracy;
    for (const model of models) {
      if (ctx.signal.aborted) break;
      const s0 = Date.now();
      const dir = path.join(runDir, 'train', model);
      if (opts['skip-train']) {
        trained.push({ label: model, dir });
        stages.push({ stage: `train ${model}`, status: 'skipped', seconds: 0, detail: 'skip-train' });
        continue;
      }
      const file = path.join(String(opts['config-dir']), `${model}.json`);
      const fromFile = existsSync(file) ? readConfigFile(file, optionsFor({ options: TRAIN_OPTIONS })) : {};
      if (!existsSync(file)) ctx.log(`[all] no ${file}; training ${model} with the train command's defaults`);
      const overrides: OptionValues = {};
      for (const k of ['epochs', 'train-size', 'steps-per-epoch'] as const) if (opts[k] !== undefined) overrides[k] = opts[k];
      const config = trainConfigOrExplain({
        ...defaultsOfTrain(), ...fromFile, ...overrides, ...shared, model, resume: opts.resume === true, results: path.join(runDir, 'train'), run: model,
      });
      ctx.log(`[all] training ${model}${existsSync(file) ? ` (${path.relative(process.cwd(), file)})` : ''}`);
      const result = await runTrainExperiment({ ...config, curves: false }, runOptionsOf(ctx));
      trained.push({ label: model, result, dir });
      const last = result.metrics.at(-1);
      accuracy[model] = last ? { testAcc: last.test_acc, testNll: last.test_nll, trainNll: last.train_nll, imagesPerSec: last.images_per_sec, epochSeconds: last.epoch_seconds } : null;
      stages.push({ stage: `train ${model}`, status: result.status === 'completed' ? 'ok' : 'interrupted', seconds: (Date.now() - s0) / 1000 });
      result.model.dispose();
      await save();
      if (result.status !== 'completed') {
        ctx.log('[all] interrupted during training; rerun with --resume to continue');
        return;
      }
    }
    const withResults = trained.filter((t): t is { label: string; result: TrainExperimentResult; dir: string } => t.result !== undefined);
    if (withResults.length) await writeTrainingFigure(runDir, withResults.map((t) => ({ label: t.label, result: t.result })), formatsOf(opts), (m) => ctx.log(m));

    // 2. Analyses on the final checkpoints (the Hessian also on the end-of-warm-up ones, as the paper).
    const reg = await getRegistry();
    const finals = trained.map((t) => ({ label: t.label, dir: t.dir })).filter((t) => hasCheckpoint(t.dir));
    if (finals.length < trained.length) ctx.log(`[all] WARNING: no checkpoint for ${trained.filter((t) => !hasCheckpoint(t.dir)).map((t) => t.label).join(', ')}`);
    const failures: string[] = [];
    for (const name of opts.analyses as string[]) {
      if (ctx.signal.aborted) break;
      const cmd = reg.commands.get(name);
      if (!cmd) {
        const broken = reg.broken.find((b) => b.name === name);
        const why = broken ? `failed to load: ${broken.error.split('\n')[0]}` : 'not registered';
        ctx.log(`[all] skipping ${name}: ${why}`);
        stages.push({ stage: name, status: broken ? 'failed' : 'skipped', seconds: 0, detail: why });
        if (broken) failures.push(name);
        continue;
      }
      const valid = new Set(optionsFor(cmd).map((o) => o.name));
      const given: OptionValues = { ...shared, results: runDir, run: name, formats: opts.formats };
      let targets = finals;
      if (name === 'hessian') {
        const warm = finals.map((f) => ({ label: `${f.label} (warmup)`, dir: path.join(f.dir, 'checkpoints', 'warmup') })).filter((w) => existsSync(path.join(w.dir, 'model.json')));
        targets = [...warm, ...finals.map((f) => ({ label: `${f.label} (final)`, dir: f.dir }))];
      }
      if (valid.has('checkpoint')) {
        given.checkpoint = targets.map((t) => t.dir);
        if (valid.has('label')) given.label = targets.map((t) => t.label);
      }
      for (const k of Object.keys(given)) if (!valid.has(k) || given[k] === undefined) delete given[k];
      const s0 = Date.now();
      ctx.log(`[all] running ${name}`);
      try {
        await runCommand(name, given, ctx, reg);
        stages.push({ stage: name, status: ctx.signal.aborted ? 'interrupted' : 'ok', seconds: (Date.now() - s0) / 1000 });
      } catch (err) {
        // an expected error (bad data, options, checkpoint) is its message; anything else is a bug and keeps its stack
        ctx.log(`[all] ${name} failed: ${isExpectedError(err) && process.env.VITSCOPE_DEBUG !== '1' ? err.message : ((err as Error).stack ?? String(err))}`);
        stages.push({ stage: name, status: 'failed', seconds: (Date.now() - s0) / 1000, detail: (err as Error).message });
        failures.push(name);
      }
      await save();
    }

    // 3. Report.
    await save();
    try {
      const report = await writeReport(runDir, { title: 'vitscope — all' });
      ctx.log(`[all] report: ${report}`);
    } catch (err) {
      ctx.log(`[all] WARNING: report not written: ${(err as Error).message}`);
    }
    ctx.log(
      `[all] done in ${((Date.now() - t0) / 60000).toFixed(1)} min: ` + stages.map((s) => `${s.stage} ${s.status} (${s.seconds.toFixed(0)} s)`).join(', '),
    );
    if (failures.length) throw new Error(`all: ${failures.join(', ')} failed (see above); the other results and the report are in ${runDir}`);
  },
};

function hasCheckpoint(dir: string): boolean {
  try {
    resolveCheckpointDir(dir);
    return true;
  } catch {
    return false;
  }
}

/** The train command's defaults, so that a config file only needs to state what differs. */
function defaultsOfTrain(): OptionValues {
  const out: OptionValues = {};
  for (const o of TRAIN_OPTIONS) if (o.default !== undefined) out[o.name] = Array.isArray(o.default) ? [...o.default] : o.default;
  return out;
}
