// npm run experiment fourier -- --checkpoint <dir>[,<dir2>] | --preset vit-cpu,resnet-20 [--images 256]
// Relative log amplitude of Fourier-transformed feature maps of every block (Park & Kim 2022, Fig. 2a/b, 8):
// Δ log amplitude at the highest frequency against normalised depth, and full curves by depth.
import * as path from 'node:path';
import type { Command } from '../command.ts';
import { fourierByDepth, sliceBatches, type FourierBlock } from '../../analysis/depth.ts';
import {
  MODEL_OPTIONS, commonImageSize, disposeModels, exportAnalysisFigures, loadAnalysisImages, loadAnalysisModels,
  numberOpt, secondsSince, writeCsv, writeJsonAtomic,
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
    const start = Date.now();
    const models = await loadAnalysisModels(opts, ctx, 100);
    try {
      const imageSize = commonImageSize(models);
      const data = await loadAnalysisImages(opts, ctx, opts.split === 'train' ? 'train' : 'test', numberOpt(opts, 'images', 256), imageSize);
      const runDir = await runDirFromOptions(opts, 'fourier');
      const batchSize = numberOpt(opts, 'batch-size', 64);
      const results: { label: string; source: string; preset: string; seconds: number; blocks: FourierBlock[] }[] = [];
      try {
        for (const m of models) {
          const t0 = Date.now();
          ctx.log(`[fourier] ${m.label}: ${data.count} images`);
          const blocks = await fourierByDepth(m.model, sliceBatches(data.x, batchSize), { signal: ctx.signal });
          results.push({ label: m.label, source: m.source, preset: m.model.config.preset, seconds: secondsSince(t0), blocks });
          ctx.log(
            `[fourier] ${m.label} (${secondsSince(t0)} s): Δ log amplitude at the highest frequency by depth: ` +
              blocks.map((b) => `${b.kind} ${b.deltaAtHighest.toFixed(2)}`).join(', '),
          );
        }
      } finally {
        data.x.dispose();
      }
      await writeJsonAtomic(path.join(runDir, 'fourier.json'), {
        analysis: 'fourier',
        description: 'relative log amplitude (log(|F|+1e-6), centred, diagonal from 0 to pi minus its value at 0) of every block output',
        data: { source: data.source, dir: data.dir, split: opts.split, images: data.count, seed: opts.seed },
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
    } finally {
      disposeModels(models);
    }
  },
};
