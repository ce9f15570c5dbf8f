// npm run experiment fourier -- --checkpoint <dir>[,<dir2>] | --preset vit-cpu,resnet-20 [--protocol paper|vitscope]
// Parsing and printing only; the experiment is src/experiments/fourier.ts.
import type { Command } from '../command.ts';
import { FOURIER_PROTOCOLS } from '../../analysis/fourier-protocol.ts';
import { FOURIER_SETTINGS, runFourierExperiment } from '../../experiments/fourier.ts';
import { analysisSettingsOf, protocolSettingsOf } from '../analysis-options.ts';
import { runOptionsOf } from '../train-run.ts';

export const command: Command = {
  name: 'fourier',
  summary: 'Fourier analysis of feature maps: relative log amplitude by block and depth (MSAs low-pass, Convs high-pass)',
  options: FOURIER_SETTINGS,
  async run(opts, ctx) {
    const result = await runFourierExperiment({ ...analysisSettingsOf(opts), ...protocolSettingsOf(FOURIER_PROTOCOLS, opts) }, runOptionsOf(ctx));
    for (const m of result.models) {
      const finite = m.blocks.filter((b) => Number.isFinite(b.deltaAtHighest));
      if (finite.length > 0)
        ctx.log(`[fourier] ${m.label}: Δ log amplitude at the highest frequency ${finite[0]!.deltaAtHighest.toFixed(2)} (first block) … ${finite.at(-1)!.deltaAtHighest.toFixed(2)} (last)`);
    }
  },
};
