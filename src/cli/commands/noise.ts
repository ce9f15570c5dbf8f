// npm run experiment noise -- --checkpoint <dir>[,<dir2>] | --preset vit-cpu,resnet-20 [--protocol paper|vitscope]
// Parsing and printing only; the experiment is src/experiments/noise.ts.
import type { Command } from '../command.ts';
import { NOISE_PROTOCOLS } from '../../analysis/noise-protocol.ts';
import { NOISE_SETTINGS, runNoiseExperiment } from '../../experiments/noise.ts';
import { analysisSettingsOf, protocolSettingsOf, unitRunSettingsOf } from '../analysis-options.ts';
import { OptionError } from '../options.ts';
import { runOptionsOf } from '../train-run.ts';
import { EXECUTOR_OPTIONS } from '../../experiments/executor/options.ts';
import { runOnExecutor } from '../executor.ts';

export const command: Command = {
  name: 'noise',
  summary: 'accuracy under frequency-band noise, 0.1π…0.9π (ViTs hurt by low, ResNets by high frequencies)',
  options: [...NOISE_SETTINGS, ...EXECUTOR_OPTIONS],
  async run(opts, ctx) {
    if (await runOnExecutor(command, opts, ctx)) return; // --executor slurm|print (src/cli/executor.ts)
    const unitBatches = opts['unit-batches'];
    if (unitBatches !== undefined && typeof unitBatches !== 'number') throw new OptionError(`option '--unit-batches' should be an integer, got ${JSON.stringify(unitBatches)}`);
    const result = await runNoiseExperiment(
      { ...analysisSettingsOf(opts), ...protocolSettingsOf(NOISE_PROTOCOLS, opts), ...unitRunSettingsOf(opts), unitBatches },
      runOptionsOf(ctx),
    );
    if (result.status !== 'complete') {
      ctx.log(`[noise] ${result.status}: ${result.units.done} of ${result.units.total} units in ${result.runDir}`);
      return;
    }
    for (const m of result.models) {
      const worst = m.accuracyChange.reduce((w, c, i) => (c < m.accuracyChange[w]! ? i : w), 0);
      if (m.frequency.length > 0)
        ctx.log(`[noise] ${m.label}: clean ${m.cleanAccuracy.toFixed(1)}%, largest drop ${m.accuracyChange[worst]!.toFixed(1)} pp at ${m.frequency[worst]}π`);
    }
  },
};
