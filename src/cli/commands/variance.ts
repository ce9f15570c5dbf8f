// npm run experiment variance -- --checkpoint <dir>[,<dir2>] | --preset vit-cpu,resnet-20 [--images 256]
// Parsing and printing only; the experiment is src/experiments/variance.ts.
import type { Command } from '../command.ts';
import { VARIANCE_PROTOCOLS } from '../../analysis/variance-protocol.ts';
import { runVarianceExperiment, VARIANCE_SETTINGS } from '../../experiments/variance.ts';
import { analysisSettingsOf, flagOf, protocolSettingsOf } from '../analysis-options.ts';
import { runOptionsOf } from '../train-run.ts';

export const command: Command = {
  name: 'variance',
  summary: 'feature-map variance by block and depth (MSAs reduce it, Convs and MLPs increase it)',
  options: VARIANCE_SETTINGS,
  async run(opts, ctx) {
    const result = await runVarianceExperiment(
      { ...analysisSettingsOf(opts), ...protocolSettingsOf(VARIANCE_PROTOCOLS, opts), logY: flagOf(opts, 'log-y') },
      runOptionsOf(ctx),
    );
    for (const m of result.models) {
      const v = m.blocks.map((b) => b.variance);
      if (v.length > 0) ctx.log(`[variance] ${m.label}: ${v.length} blocks, variance ${Math.min(...v).toPrecision(3)} … ${Math.max(...v).toPrecision(3)}`);
    }
  },
};
