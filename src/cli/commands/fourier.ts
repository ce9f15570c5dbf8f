// npm run experiment fourier -- --checkpoint <dir>[,<dir2>] | --preset vit-cpu,resnet-20 [--images 256]
// Relative log amplitude of Fourier-transformed feature maps of every block (Park & Kim 2022, Fig. 2a/b, 8):
// Δ log amplitude at the highest frequency against normalised depth, and full curves by depth.
import * as path from 'node:path';
import type { Command } from '../command.ts';
import { fourierByDepth, type FourierBlock } from '../../analysis/depth.ts';
import {
  MODEL_OPTIONS, exportAnalysisFigures, runBlockAnalysis, secondsSince, writeCsv, writeJsonAtomic,
} from '../../analysis/run-support.ts';
import { runDirFromOptions } from '../run-dir.ts';
import { fourierDepthFigure, relativeLogAmplitudeFigure, slug } from '../../plots/index.ts';

export const command: Command = {
  name: 'fourier',
  summary: 'Fourier analysis of feature maps: relative log amplitude by block and depth (MSAs low-pass, Convs high-pass)',
  options: [
    ...MODEL_OPTIONS,
    { name: 'images', type: 'integer', default: 256, help: 'test images analysed (class-balanced seeded subset)' },
    { name: 'batch-size', type: 'integer', default: 64, help: 'images per forward pass' },
    { name: 'split', type: 'string', default: 'test', choices: ['test', 'train'], help: 'data split' },
  ],
  async run(opts, ctx) {
    await runBlockAnalysis<FourierBlock>(
      'fourier',
      opts,
      ctx,
      (model, batches, signal) => fourierByDepth(model, batches, { signal }),
      (blocks) => 'Δ log amplitude at the highest frequency by depth: ' + blocks.map((b) => `${b.kind} ${b.deltaAtHighest.toFixed(2)}`).join(', '),
      async (results, data, start) => {
        const runDir = await runDirFromOptions(opts, 'fourier');
        await writeJsonAtomic(path.join(runDir, 'fourier.json'), {
          analysis: 'fourier',
          description: 'relative log amplitude (log(|F|+1e-6), centred, diagonal from 0 to pi minus its value at 0) of every block output',
          data,
          seconds: secondsSince(start),
          models: results,
        });
        await writeCsv(
          path.join(runDir, 'fourier-depth.csv'),
          ['label', 'block', 'name', 'kind', 'depth', 'height', 'delta_log_amplitude_at_highest'],
          results.flatMap((r) => r.blocks.map((b, i) => [r.label, i, b.name, b.kind, b.depth, b.height, b.deltaAtHighest])),
        );
        await writeCsv(
          path.join(runDir, 'fourier-relative.csv'),
          ['label', 'block', 'name', 'kind', 'depth', 'frequency_pi', 'relative_log_amplitude'],
          results.flatMap((r) => r.blocks.flatMap((b, i) => b.frequency.map((f, k) => [r.label, i, b.name, b.kind, b.depth, f, b.relative[k]]))),
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
                { label: r.label, curves: r.blocks.filter((b) => b.frequency.length > 0).map((b) => ({ depth: b.depth, frequency: b.frequency, value: b.relative })) },
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
