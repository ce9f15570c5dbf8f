// npm run experiment datasize -- --config configs/vit-cpu.json [--fractions 0.02,0.1,0.5,1] [--models vit-cpu,resnet-20]
// The data-size study (Park & Kim 2022, Fig. 3): one model per training-set fraction (class-balanced, seeded
// subsets), trained with the same recipe; records the final training NLL (on augmented data, as the paper)
// and the test error to <run>/datasize.{json,csv} and figures/data-size.*. Sub-runs live in <run>/runs/.
import { existsSync } from 'node:fs';
import * as path from 'node:path';
import type { Command } from '../command.ts';
import { numberList, OptionError } from '../options.ts';
import { runDirFromOptions, writeRunConfig } from '../run-dir.ts';
import { writeFileAtomic, writeJsonAtomic } from '../../io/atomic.ts';
import { TRAIN_OPTIONS } from '../../train/config.ts';
import { readMetrics, type EpochMetrics } from '../../train/metrics-log.ts';
import { FIGURE_FORMAT_OPTION, runTraining, trainConfigOrExplain } from '../train-run.ts';

export interface DataSizePoint {
  model: string;
  fraction: number;
  trainImages: number;
  epochs: number;
  trainNll: number;
  testNll: number;
  testError: number;
  testAcc: number;
  run: string;
}

export const command: Command = {
  name: 'datasize',
  summary: 'data-size study: train one model per training-set fraction, record final train NLL and test error',
  options: [
    // train-size/train-fraction are accepted (config files carry them) but replaced by each fraction.
    ...TRAIN_OPTIONS,
    { name: 'fractions', type: 'list', default: ['0.02', '0.1', '0.5', '1.0'], help: 'training-set fractions (of the whole training set)' },
    { name: 'models', type: 'list', help: 'several presets, one series each (default: --model)' },
    FIGURE_FORMAT_OPTION,
  ],
  async run(opts, ctx) {
    const fractions = numberList(opts, 'fractions') ?? [];
    if (fractions.length === 0) throw new OptionError("datasize: option '--fractions' is empty, expected fractions in (0, 1]");
    for (const f of fractions) if (!(f > 0 && f <= 1)) throw new OptionError(`datasize: option '--fractions' has ${f}, expected fractions in (0, 1]`);
    const models = (opts.models as string[] | undefined) ?? (typeof opts.model === 'string' ? [opts.model] : []);
    if (models.length === 0) throw new OptionError('datasize: no model given; pass --model <preset>, --models a,b or --config configs/<preset>.json');
    if (opts['train-size'] !== undefined || opts['train-fraction'] !== undefined)
      ctx.log('[datasize] note: --train-size/--train-fraction are replaced by each of --fractions (fractions of the whole training set)');
    const runDir = await runDirFromOptions(opts, 'datasize');
    const subRoot = path.join(runDir, 'runs');
    await writeRunConfig(runDir, { command: 'datasize', options: opts });
    const points: DataSizePoint[] = [];
    for (const model of models) {
      for (const fraction of fractions) {
        if (ctx.signal.aborted) break;
        const run = `${model}-f${fraction}`;
        const config = trainConfigOrExplain({ ...opts, 'train-size': undefined, model, run, results: subRoot, 'train-fraction': fraction });
        const sub = path.join(subRoot, run);
        let metrics: EpochMetrics[];
        if (config.resume && existsSync(path.join(sub, 'checkpoints', 'final', 'model.json'))) {
          ctx.log(`[datasize] ${run}: finished earlier, reading its metrics`);
          metrics = await readMetrics(sub);
        } else {
          ctx.log(`[datasize] ${model} on ${(fraction * 100).toFixed(3).replace(/\.?0+$/, '')}% of the training set`);
          const result = await runTraining(config, ctx);
          result.model.dispose();
          if (result.status !== 'completed') {
            ctx.log(`[datasize] interrupted in ${run}; rerun with --resume to continue`);
            break;
          }
          metrics = result.metrics;
        }
        const last = metrics.at(-1);
        if (!last) continue;
        const cfg = JSON.parse(await (await import('node:fs/promises')).readFile(path.join(sub, 'config.json'), 'utf8')) as { resolved?: { trainImages?: number } };
        points.push({
          model, fraction, trainImages: cfg.resolved?.trainImages ?? NaN, epochs: last.epoch,
          trainNll: last.train_nll, testNll: last.test_nll, testError: 1 - last.test_acc, testAcc: last.test_acc, run: path.relative(runDir, sub),
        });
        await writeResults(runDir, points);
      }
    }
    if (points.length === 0) return;
    await writeResults(runDir, points);
    ctx.log(
      '[datasize] ' + points.map((p) => `${p.model} ${p.fraction}: train NLL ${p.trainNll.toFixed(3)}, test error ${(p.testError * 100).toFixed(1)}%`).join('; '),
    );
    try {
      const { dataSizeFigure } = await import('../../plots/datasize.ts');
      const { exportFigures } = await import('../../plots/export.ts');
      const series = models
        .map((m) => points.filter((p) => p.model === m))
        .filter((ps) => ps.length > 0)
        .map((ps) => ({ label: ps[0]!.model, fraction: ps.map((p) => p.fraction), trainNll: ps.map((p) => p.trainNll), testError: ps.map((p) => p.testError) }));
      await exportFigures([dataSizeFigure(series)], runDir, { formats: (opts.formats as ('html' | 'svg' | 'png')[]) ?? ['html'], warn: (m) => ctx.log(m) });
    } catch (err) {
      ctx.log(`[datasize] WARNING: figure not written: ${(err as Error).message}`);
    }
    ctx.log(`[datasize] results: ${path.join(runDir, 'datasize.json')}, datasize.csv`);
  },
};

async function writeResults(runDir: string, points: DataSizePoint[]): Promise<void> {
  await writeJsonAtomic(path.join(runDir, 'datasize.json'), { points });
  const cols: (keyof DataSizePoint)[] = ['model', 'fraction', 'trainImages', 'epochs', 'trainNll', 'testNll', 'testError', 'testAcc', 'run'];
  const csv = [cols.join(','), ...points.map((p) => cols.map((c) => String(p[c])).join(','))].join('\n') + '\n';
  await writeFileAtomic(path.join(runDir, 'datasize.csv'), csv);
}
