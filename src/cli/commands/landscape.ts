// npm run experiment landscape -- --checkpoint <dir>[,<dir2>] | --preset vit-cpu,resnet-20 [--protocol paper|quick]
// 2D loss landscape on random directions scaled to the weights (Li et al. 2018; Park & Kim 2022, Fig. 1):
// ViT's is flatter than ResNet's. The paper: 21 x 21 over [-1, 1]^2, NLL + 0.05 sum ||p|| on augmented data.
// Settings come from src/analysis/landscape-protocol.ts; landscape.json records them all.
import * as path from 'node:path';
import type { Command } from '../command.ts';
import { clipLandscape, lossLandscape, type LandscapeBatch, type LossLandscape } from '../../analysis/landscape.ts';
import { LANDSCAPE_PROTOCOLS } from '../../analysis/landscape-protocol.ts';
import { protocolOptions, resolveProtocol } from '../../analysis/protocol.ts';
import { trainingTargetBatches } from '../../analysis/training-targets.ts';
import {
  MODEL_OPTIONS, commonImageSize, disposeModels, exportAnalysisFigures, loadAnalysisImages, loadAnalysisModels,
  numberOpt, secondsSince, verifyModelsUnchanged, writeCsv, writeJsonAtomic,
} from '../../experiments/analysis-support.ts';
import { runDirFromOptions } from '../run-dir.ts';
import { tf } from '../../backend/tf.ts';
import { lossLandscapeFigure, slug } from '../../plots/index.ts';

export const command: Command = {
  name: 'landscape',
  summary: '2D loss landscape on random directions scaled to the weights (ViT flatter than ResNet)',
  options: [
    ...MODEL_OPTIONS,
    ...protocolOptions(LANDSCAPE_PROTOCOLS),
    { name: 'log-z', type: 'boolean', default: false, help: 'figure only: logarithmic loss axis (plots min(loss, min + clip) when clipping)' },
  ],
  async run(opts, ctx) {
    const start = Date.now();
    const resolved = resolveProtocol(LANDSCAPE_PROTOCOLS, opts);
    const [lo, hi] = resolved.range;
    if (resolved.range.length !== 2 || !(hi! > lo!)) throw new Error(`option '--range' is ${JSON.stringify(opts.range)}, expected min,max with max > min`);
    const settings = { ...resolved, range: [lo!, hi!] as [number, number], seed: numberOpt(opts, 'seed', 0) };
    const models = await loadAnalysisModels(opts, ctx, 100);
    try {
      const imageSize = commonImageSize(models);
      const data = await loadAnalysisImages(opts, ctx, 'train', settings.images, imageSize, settings.augment);
      const runDir = await runDirFromOptions(opts, 'landscape');
      let batches: LandscapeBatch[];
      try {
        // One fixed, seeded sample of augmented images and targets for every grid point (the authors draw
        // fresh augmentations at each point; a fixed sample keeps that noise out of the surface).
        batches = trainingTargetBatches(data.x, data.y, {
          batchSize: settings.batchSize, numClasses: data.numClasses, mix: settings.mix, labelSmoothing: settings.labelSmoothing, seed: settings.seed,
        });
      } finally {
        data.x.dispose();
      }
      const surfaces: (LossLandscape & {
        label: string; source: string; preset: string; seconds: number;
        /** loss − min with points more than `clip` above the minimum dropped (null), as the authors plot it. */
        clipped: number[][];
        summary: { centreLoss: number; centreAccuracy: number; min: number; max: number; meanRise: number };
      })[] = [];
      try {
        for (const m of models) {
          const t0 = Date.now();
          const total = settings.resolution ** 2;
          const progress = ctx.progress?.({ label: `landscape ${m.label}`, total, unit: 'pt/s' });
          const surface = await lossLandscape(m.model, batches, {
            resolution: settings.resolution, range: settings.range, seed: settings.seed, normalization: settings.normalization,
            l2: settings.l2, labelSmoothing: settings.labelSmoothing,
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
          surfaces.push({ label: m.label, source: m.source, preset: m.model.config.preset, seconds: secondsSince(t0), summary, clipped: clipLandscape(surface.loss, settings.clip), ...surface });
        }
      } finally {
        for (const b of batches) tf.dispose([b.x, b.targets]);
      }
      verifyModelsUnchanged('landscape', models);
      await writeJsonAtomic(path.join(runDir, 'landscape.json'), {
        analysis: 'landscape',
        description: 'loss(w + x d1 + y d2) in evaluation mode; loss[j][i] at (x[i], y[j]); d1, d2 Gaussian, normalised to the weights, zero on 1-D and position parameters',
        protocol: settings.protocol,
        protocolDescription: LANDSCAPE_PROTOCOLS.protocols[settings.protocol].description,
        data: { source: data.source, dir: data.dir, split: 'train', images: data.count },
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
            const clip = settings.clip;
            const logZ = opts['log-z'] === true;
            // The authors' surface: loss − min, points above `clip` dropped. A log axis cannot show 0, so there the
            // loss itself is drawn with the same points dropped.
            const z = clip > 0 ? (logZ ? s.clipped.map((row) => row.map((v) => v + s.summary.min)) : s.clipped) : s.loss;
            const title = `Loss landscape: ${s.label}${clip > 0 ? ` (loss − min, points > ${clip} dropped)` : ''}`;
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
