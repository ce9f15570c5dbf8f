// npm run experiment noise -- --checkpoint <dir>[,<dir2>] | --preset vit-cpu,resnet-20 [--protocol paper|vitscope]
// Parsing and printing only; the experiment is src/experiments/noise.ts.
import type { Command } from '../command.ts';
import { NOISE_PROTOCOLS } from '../../analysis/noise-protocol.ts';
import { NOISE_SETTINGS, runNoiseExperiment } from '../../experiments/noise.ts';
import { analysisSettingsOf, protocolSettingsOf } from '../analysis-options.ts';
import { runOptionsOf } from '../train-run.ts';

export const command: Command = {
  name: 'noise',
  summary: 'accuracy under frequency-band noise, 0.1π…0.9π (ViTs hurt by low, ResNets by high frequencies)',
  options: NOISE_SETTINGS,
  async run(opts, ctx) {
    const result = await runNoiseExperiment({ ...analysisSettingsOf(opts), ...protocolSettingsOf(NOISE_PROTOCOLS, opts) }, runOptionsOf(ctx));
    for (const m of result.models) {
      const worst = m.accuracyChange.reduce((w, c, i) => (c < m.accuracyChange[w]! ? i : w), 0);
      if (m.frequency.length > 0)
        ctx.log(`[noise] ${m.label}: clean ${m.cleanAccuracy.toFixed(1)}%, largest drop ${m.accuracyChange[worst]!.toFixed(1)} pp at ${m.frequency[worst]}π`);
    }
  },
};
