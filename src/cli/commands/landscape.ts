// npm run experiment landscape -- --checkpoint <dir>[,<dir2>] | --preset vit-cpu,resnet-20 [--resolution 21]
// 2D loss landscape on filter-normalised random directions (Li et al. 2018; Park & Kim 2022, Fig. 1):
// ViT's is flatter than ResNet's. The paper: 21 x 21 over [-1, 1]^2, NLL + 0.05 sum ||p|| on augmented data.
import * as path from 'node:path';
import type { Command } from '../command.ts';
import { lossLandscape, type LandscapeBatch, type LossLandscape } from '../../analysis/landscape.ts';
import {
  MODEL_OPTIONS, commonImageSize, disposeModels, exportAnalysisFigures, loadAnalysisImages, loadAnalysisModels,
  numberListOpt, numberOpt, secondsSince, writeCsv, writeJsonAtomic,
} from '../../analysis/run-support.ts';
import { runDirFromOptions } from '../run-dir.ts';
import { tf } from '../../backend/tf.ts';
import { lossLandscapeFigure, slug } from '../../plots/index.ts';

export const command: Command = {
  name: 'landscape',
  summary: '2D loss landscape on filter-normalised random directions (ViT flatter than ResNet)',
  options: [
    ...MODEL_OPTIONS,
    { name: 'resolution', type: 'integer', default: 7, help: 'grid points per axis (paper: 21)' },
    { name: 'range', type: 'list', default: ['-1', '1'], help: 'min,max of both grid axes (paper: -1,1)' },
    { name: 'images', type: 'integer', default: 64, help: 'training images evaluated at every grid point' },
    { name: 'batch-size', type: 'integer', default: 64, help: 'images per forward pass' },
    { name: 'normalization', type: 'string', default: 'filter', choices: ['filter', 'tensor'], help: "'filter': Li et al. per filter; 'tensor': the authors' per-tensor scaling" },
    { name: 'l2', type: 'number', default: 0, help: "coefficient of the authors' sum of parameter norms added to the NLL (they used 0.05)" },
    { name: 'label-smoothing', type: 'number', default: 0, help: 'label smoothing of the NLL (the authors: 0.1)' },
    { name: 'augment', type: 'boolean', default: false, help: 'evaluate on one crop+flip augmented copy of the images' },
    { name: 'clip', type: 'number', default: 0, help: 'figure only: plot min(loss - min, clip) as the authors (they used 42; with --log-z: min(loss, min + clip)); 0 plots the raw loss' },
    { name: 'log-z', type: 'boolean', default: false, help: 'figure only: logarithmic loss axis' },
  ],
  async run(opts, ctx) {
    const start = Date.now();
    const models = await loadAnalysisModels(opts, ctx, 100);
    try {
      const imageSize = commonImageSize(models);
      const data = await loadAnalysisImages(opts, ctx, 'train', numberOpt(opts, 'images', 64), imageSize, opts.augment === true);
      const runDir = await runDirFromOptions(opts, 'landscape');
      const range = numberListOpt(opts, 'range', [-1, 1]);
      if (range.length !== 2 || !(range[1]! > range[0]!)) throw new Error(`option '--range' is ${JSON.stringify(opts.range)}, expected min,max with max > min`);
      const settings = {
        resolution: numberOpt(opts, 'resolution', 7),
        range: [range[0]!, range[1]!] as [number, number],
        normalization: opts.normalization === 'tensor' ? ('tensor' as const) : ('filter' as const),
        l2: numberOpt(opts, 'l2', 0),
        labelSmoothing: numberOpt(opts, 'label-smoothing', 0),
        seed: numberOpt(opts, 'seed', 0),
        augment: opts.augment === true,
        images: data.count,
      };
      const batchSize = numberOpt(opts, 'batch-size', 64);
      const batches: LandscapeBatch[] = [];
      for (let s = 0; s < data.count; s += batchSize) {
        const n = Math.min(batchSize, data.count - s);
        batches.push({ x: tf.slice(data.x, [s, 0, 0, 0], [n, -1, -1, -1]) as tf.Tensor4D, y: data.y.slice(s, s + n) });
      }
      data.x.dispose();
      const surfaces: (LossLandscape & {
        label: string; source: string; preset: string; seconds: number;
        summary: { centreLoss: number; centreAccuracy: number; min: number; max: number; meanRise: number };
      })[] = [];
      try {
        for (const m of models) {
          const t0 = Date.now();
          const total = settings.resolution ** 2;
          const progress = ctx.progress?.({ label: `landscape ${m.label}`, total, unit: 'pt/s' });
          const surface = await lossLandscape(m.model, batches, {
            ...settings,
            signal: ctx.signal,
            onPoint: (done) => (progress ? progress.update(done) : done % settings.resolution === 0 && ctx.log(`[landscape] ${m.label}: ${done}/${total} points`)),
          });
          progress?.finish();
          const flat = surface.loss.flat();
          const summary = {
            centreLoss: surface.centre.loss,
            centreAccuracy: surface.centre.accuracy,
            min: Math.min(...flat),
            max: Math.max(...flat),
            meanRise: flat.reduce((a, b) => a + b, 0) / flat.length - surface.centre.loss,
          };
          ctx.log(
            `[landscape] ${m.label} (${secondsSince(t0)} s): centre loss ${summary.centreLoss.toFixed(3)}, accuracy ${summary.centreAccuracy.toFixed(1)}%, ` +
              `max ${summary.max.toFixed(3)}, mean rise over the grid ${summary.meanRise.toFixed(3)}`,
          );
          surfaces.push({ label: m.label, source: m.source, preset: m.model.config.preset, seconds: secondsSince(t0), summary, ...surface });
        }
      } finally {
        for (const b of batches) b.x.dispose();
      }
      await writeJsonAtomic(path.join(runDir, 'landscape.json'), {
        analysis: 'landscape',
        description: 'loss(w + x d1 + y d2) in evaluation mode; loss[j][i] at (x[i], y[j]); d1, d2 Gaussian, normalised to the weights, zero on 1-D and position parameters',
        data: { source: data.source, dir: data.dir, split: 'train' },
        settings,
        seconds: secondsSince(start),
        models: surfaces,
      });
      await writeCsv(
        path.join(runDir, 'landscape.csv'),
        ['label', 'x', 'y', 'loss', 'nll', 'accuracy'],
        surfaces.flatMap((s) => s.y.flatMap((yv, j) => s.x.map((xv, i) => [s.label, xv, yv, s.loss[j]![i], s.nll[j]![i], s.accuracy[j]![i]]))),
      );
      await exportAnalysisFigures(
        () =>
          surfaces.map((s) => {
            const clip = numberOpt(opts, 'clip', 0);
            const logZ = opts['log-z'] === true;
            // With a log axis the minimum is kept (a log axis cannot show 0): min(loss, min + clip).
            const z = clip > 0 ? s.loss.map((row) => row.map((v) => Math.min(logZ ? v : v - s.summary.min, logZ ? s.summary.min + clip : clip))) : s.loss;
            const title = `Loss landscape: ${s.label}${clip > 0 ? ` (loss − min, cut at ${clip})` : ''}`;
            return lossLandscapeFigure({ label: s.label, x: s.x, y: s.y, z }, { name: `loss-landscape-${slug(s.label)}`, title, logZ });
          }),
        runDir,
        opts,
        ctx,
      );
      ctx.log(`[landscape] done in ${secondsSince(start)} s; results in ${runDir}`);
    } finally {
      disposeModels(models);
    }
  },
};
