// npm run experiment datasize -- --config configs/vit-cpu.json [--fractions 0.02,0.1,0.5,1] [--models vit-cpu,resnet-20]
// Parsing and printing only; the study is src/experiments/datasize.ts.
import * as path from 'node:path';
import type { Command } from '../command.ts';
import { numberList, OptionError } from '../options.ts';
import { runDirFromOptions, writeRunConfig } from '../run-dir.ts';
import { checkDataSizeSettings, DATASIZE_SETTINGS, runDataSize } from '../../experiments/datasize.ts';
import { parseShard } from '../../io/unit-store.ts';
import { formatsOf, runOptionsOf, trainConfigOrExplain } from '../train-run.ts';
import { EXECUTOR_OPTIONS } from '../../experiments/executor/options.ts';
import { runOnExecutor } from '../executor.ts';

export type { DataSizePoint } from '../../experiments/datasize.ts';

export const command: Command = {
  name: 'datasize',
  summary: 'data-size study: train one model per training-set fraction, record final train NLL and test error',
  options: [...DATASIZE_SETTINGS, ...EXECUTOR_OPTIONS],
  async run(opts, ctx) {
    if (await runOnExecutor(command, opts, ctx)) return; // --executor slurm|print (src/cli/executor.ts)
    const fractions = numberList(opts, 'fractions') ?? [];
    const models = (opts.models as string[] | undefined) ?? (typeof opts.model === 'string' ? [opts.model] : []);
    if (models.length === 0) throw new OptionError('datasize: no model given; pass --model <preset>, --models a,b or --config configs/<preset>.json');
    try {
      checkDataSizeSettings({ models, fractions });
    } catch (err) {
      throw new OptionError((err as Error).message.replace("setting 'fractions'", "option '--fractions'"));
    }
    if (opts['train-size'] !== undefined || opts['train-fraction'] !== undefined)
      ctx.log('[datasize] note: --train-size/--train-fraction are replaced by each of --fractions (fractions of the whole training set)');
    // the shared recipe, validated once with the first model (each sub-run replaces model and subset)
    const train = trainConfigOrExplain({ ...opts, 'train-size': undefined, 'train-fraction': undefined, model: models[0] });
    const shard = typeof opts.shard === 'string' && opts.shard !== '' ? parseShard(opts.shard) : undefined;
    if (shard && shard.count > 1 && !(typeof opts.run === 'string' && opts.run !== ''))
      throw new OptionError(`datasize: option '--shard' ${opts.shard} needs '--run': every shard writes into the same run folder`);
    // shards continue the shared run folder (each trains its own sub-runs)
    const runDir = await runDirFromOptions(shard && shard.count > 1 ? { ...opts, resume: true } : opts, 'datasize');
    await writeRunConfig(runDir, { command: 'datasize', options: opts });
    const { points, status } = await runDataSize({ train, models, fractions, runDir, formats: formatsOf(opts), shard }, runOptionsOf(ctx));
    if (status !== 'complete') ctx.log(`[datasize] ${status}: ${runDir}`);
    if (points.length === 0) return;
    ctx.log(
      '[datasize] ' + points.map((p) => `${p.model} ${p.fraction}: train NLL ${p.trainNll.toFixed(3)}, test error ${(p.testError * 100).toFixed(1)}%`).join('; '),
    );
    ctx.log(`[datasize] results: ${path.join(runDir, 'datasize.json')}, datasize.csv`);
  },
};
