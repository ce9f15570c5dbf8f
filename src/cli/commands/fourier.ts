// npm run experiment fourier -- --checkpoint <dir>[,<dir2>] | --preset vit-cpu,resnet-20 [--protocol paper|vitscope]
// Relative log amplitude of Fourier-transformed feature maps of every block (Park & Kim 2022, Fig. 2a/b, 8):
// Δ log amplitude at the highest frequency against normalised depth, and full curves by depth.
// Settings come from src/analysis/fourier-protocol.ts; fourier.json records them all.
import * as path from 'node:path';
import type { Command } from '../command.ts';
import { fourierByDepth, type FourierBlock } from '../../analysis/depth.ts';
import { FOURIER_PROTOCOLS } from '../../analysis/fourier-protocol.ts';
import { protocolOptions, resolveProtocol } from '../../analysis/protocol.ts';
import {
  MODEL_OPTIONS, exportAnalysisFigures, runBlockAnalysis, secondsSince, writeCsv, writeJsonAtomic,
} from '../../experiments/analysis-support.ts';
import { runDirFromOptions } from '../run-dir.ts';
import { fourierDepthFigure, relativeLogAmplitudeFigure, slug } from '../../plots/index.ts';

export const command: Command = {
  name: 'fourier',
  summary: 'Fourier analysis of feature maps: relative log amplitude by block and depth (MSAs low-pass, Convs high-pass)',
  options: [
    ...MODEL_OPTIONS,
    ...protocolOptions(FOURIER_PROTOCOLS),
  ],
  async run(opts, ctx) {
    const settings = resolveProtocol(FOURIER_PROTOCOLS, opts);
    await runBlockAnalysis<FourierBlock>(
      'fourier',
      opts,
      ctx,
      settings,
      (model, batches, signal) => fourierByDepth(model, batches, { signal, diagonal: settings.diagonal }),
      (blocks) => 'Δ log amplitude at the highest frequency by depth: ' + blocks.map((b) => `${b.kind} ${b.deltaAtHighest.toFixed(2)}`).join(', '),
      async (results, data, start) => {
        const runDir = await runDirFromOptions(opts, 'fourier');
        await writeJsonAtomic(path.join(runDir, 'fourier.json'), {
          analysis: 'fourier',
          description: 'relative log amplitude (log(|F|+1e-6), centred, half-diagonal from frequency 0 minus its value at 0) of every block output',
          protocol: settings.protocol,
          protocolDescription: FOURIER_PROTOCOLS.protocols[settings.protocol].description,
          settings,
          data,
          seconds: secondsSince(start),
          models: results,
        });
        await writeCsv(
          path.join(runDir, 'fourier-depth.csv'),
          ['label', 'block', 'name', 'kind', 'depth', 'height', 'delta_log_amplitude_at_highest', 'highest_frequency_pi'],
          results.flatMap((r) => r.blocks.map((b, i) => [r.label, i, b.name, b.kind, b.depth, b.height, b.deltaAtHighest, b.highestFrequency])),
        );
        await writeCsv(
          path.join(runDir, 'fourier-relative.csv'),
          ['label', 'block', 'name', 'kind', 'depth', 'frequency_pi', 'plotted_at', 'relative_log_amplitude'],
          results.flatMap((r) => r.blocks.flatMap((b, i) => b.frequency.map((f, k) => [r.label, i, b.name, b.kind, b.depth, f, b.plotFrequency[k], b.relative[k]]))),
        );
        await exportAnalysisFigures(
          () => [
            fourierDepthFigure(
              results.map((r) => {
                const blocks = r.blocks.filter((b) => Number.isFinite(b.deltaAtHighest));
                return { label: r.label, depth: blocks.map((b) => b.depth), value: blocks.map((b) => b.deltaAtHighest), kinds: blocks.map((b) => b.kind) };
              }),
            ),
            ...results.map((r) =>
              relativeLogAmplitudeFigure(
                { label: r.label, curves: r.blocks.filter((b) => b.frequency.length > 0).map((b) => ({ depth: b.depth, frequency: b.plotFrequency, value: b.relative })) },
                { name: `relative-log-amplitude-${slug(r.label)}`, title: `Relative log amplitude of feature maps: ${r.label}` },
              ),
            ),
          ],
          runDir,
          opts,
          ctx,
        );
        ctx.log(`[fourier] done in ${secondsSince(start)} s; results in ${runDir}`);
      },
    );
  },
};
