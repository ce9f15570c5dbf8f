// npm run experiment landscape -- --checkpoint <dir>[,<dir2>] | --preset vit-cpu,resnet-20 [--protocol paper|quick]
// Parsing and printing only; the experiment is src/experiments/landscape.ts.
import type { Command } from '../command.ts';
import { LANDSCAPE_PROTOCOLS } from '../../analysis/landscape-protocol.ts';
import { LANDSCAPE_SETTINGS, runLandscapeExperiment } from '../../experiments/landscape.ts';
import { analysisSettingsOf, flagOf, protocolSettingsOf, unitRunSettingsOf } from '../analysis-options.ts';
import { runOptionsOf } from '../train-run.ts';
import { EXECUTOR_OPTIONS } from '../../experiments/executor/options.ts';
import { runOnExecutor } from '../executor.ts';

export const command: Command = {
  name: 'landscape',
  summary: '2D loss landscape on random directions scaled to the weights (ViT flatter than ResNet)',
  options: [...LANDSCAPE_SETTINGS, ...EXECUTOR_OPTIONS],
  async run(opts, ctx) {
    if (await runOnExecutor(command, opts, ctx)) return; // --executor slurm|print (src/cli/executor.ts)
    const result = await runLandscapeExperiment(
      { ...analysisSettingsOf(opts), ...protocolSettingsOf(LANDSCAPE_PROTOCOLS, opts), logZ: flagOf(opts, 'log-z'), ...unitRunSettingsOf(opts) },
      runOptionsOf(ctx),
    );
    if (result.status !== 'complete') {
      ctx.log(`[landscape] ${result.status}: ${result.units.done} of ${result.units.total} units in ${result.runDir}`);
      return;
    }
    for (const s of result.models)
      ctx.log(`[landscape] ${s.label}: loss ${s.summary.centreLoss.toFixed(3)} at the centre, ${s.summary.min.toFixed(3)} … ${s.summary.max.toFixed(3)} over the grid`);
  },
};
