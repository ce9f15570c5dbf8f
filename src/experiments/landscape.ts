// The loss-landscape experiment (Li et al. 2018; Park & Kim 2022, Fig. 1): the loss on a 2-D grid along two
// random directions scaled to the weights (ViT's is flatter than ResNet's). The paper: 21 x 21 over [-1, 1]²,
// NLL + 0.05 Σ‖p‖ on augmented data. Writes <run>/landscape.json, landscape.csv and one figure per model.
// Settings: src/analysis/landscape-protocol.ts; landscape.json records them all.
import * as path from 'node:path';
import { tf } from '../backend/tf.ts';
import { clipLandscape, lossLandscape, type LandscapeBatch, type LossLandscape } from '../analysis/landscape.ts';
import { LANDSCAPE_PROTOCOLS, type LandscapeProtocol, type LandscapeSettings } from '../analysis/landscape-protocol.ts';
import { protocolOptions, type ResolvedSettings } from '../util/protocol.ts';
import { trainingTargetBatches } from '../train/training-targets.ts';
import type { Figure } from '../plots/figure.ts';
import { lossLandscapeFigure, slug } from '../plots/index.ts';
import { OptionError, type OptionSpec } from '../util/settings.ts';
import {
  ANALYSIS_DEFAULTS, ANALYSIS_SETTING_KEYS, MODEL_OPTIONS, analysisRunDir, checkAnalysisSettings, checkProtocolBounds, checkSettingKeys,
  commonImageSize, disposeModels, exportAnalysisFigures, loadAnalysisImages, loadAnalysisModels, protocolKeys, resolveAnalysisProtocol,
  secondsSince, verifyModelsUnchanged, writeCsv, writeJsonAtomic,
  type AnalysisDataInfo, type AnalysisSettings, type ProtocolChoice,
} from './analysis-support.ts';
import { logOf, type RunOptions } from './run-options.ts';

const LOG_Z_OPTION: OptionSpec = { name: 'log-z', type: 'boolean', default: false, help: 'figure only: logarithmic loss axis (plots min(loss, min + clip) when clipping)' };

/** The options of `landscape` (flags, --help, --config): the models, the protocol's settings, the figure's axis. */
export const LANDSCAPE_SETTINGS: readonly OptionSpec[] = [...MODEL_OPTIONS, ...protocolOptions(LANDSCAPE_PROTOCOLS), LOG_Z_OPTION];

export type LandscapeExperimentSettings = AnalysisSettings &
  ProtocolChoice<LandscapeSettings, LandscapeProtocol> & {
    /** Figure only: logarithmic loss axis (default false). */
    logZ?: boolean;
  };

/** The settings landscape.json records: the protocol's, resolved (range as [min, max]), and the seed. */
export type LandscapeRunSettings = Omit<ResolvedSettings<LandscapeSettings, LandscapeProtocol>, 'range'> & { range: [number, number]; seed: number };

export interface LandscapeSurface extends LossLandscape {
  label: string;
  source: string;
  preset: string;
  seconds: number;
  /** loss − min with points more than `clip` above the minimum dropped (NaN here, null in landscape.json), as the authors plot it. */
  clipped: number[][];
  summary: { centreLoss: number; centreAccuracy: number; min: number; max: number; meanRise: number };
}

/** What landscape.json holds. */
export interface LandscapeReport {
  analysis: 'landscape';
  description: string;
  protocol: LandscapeProtocol;
  protocolDescription: string;
  data: AnalysisDataInfo;
  settings: LandscapeRunSettings;
  seconds: number;
  models: LandscapeSurface[];
}

export interface LandscapeExperimentResult extends LandscapeReport {
  runDir: string;
  figures: string[];
}

export function resolveLandscapeSettings(settings: LandscapeExperimentSettings): LandscapeRunSettings {
  checkSettingKeys('landscape', settings, [...ANALYSIS_SETTING_KEYS, ...protocolKeys(LANDSCAPE_PROTOCOLS), 'logZ']);
  checkAnalysisSettings('landscape', settings);
  const resolved = resolveAnalysisProtocol(LANDSCAPE_PROTOCOLS, settings);
  const [lo, hi] = resolved.range;
  if (resolved.range.length !== 2 || !(hi! > lo!))
    throw new OptionError(`landscape: option '--range' is ${JSON.stringify(resolved.range)}, expected min,max with max > min`);
  checkProtocolBounds(LANDSCAPE_PROTOCOLS, resolved, {
    resolution: { integer: true, min: 1 },
    images: { integer: true, min: 1 },
    batchSize: { integer: true, min: 1 },
    l2: { min: 0 },
    labelSmoothing: { min: 0, max: 1 },
    clip: { min: 0 },
  });
  return { ...resolved, range: [lo!, hi!], seed: settings.seed ?? ANALYSIS_DEFAULTS.seed };
}

export async function runLandscapeExperiment(settings: LandscapeExperimentSettings, opts: RunOptions = {}): Promise<LandscapeExperimentResult> {
  const start = Date.now();
  const log = logOf(opts);
  const resolved = resolveLandscapeSettings(settings);
  const models = await loadAnalysisModels(settings, opts, 100);
  try {
    const imageSize = commonImageSize(models);
    const images = await loadAnalysisImages(settings, opts, 'train', resolved.images, imageSize, resolved.augment);
    const runDir = await analysisRunDir(settings, 'landscape');
    let batches: LandscapeBatch[];
    try {
      // One fixed, seeded sample of augmented images and targets for every grid point (the authors draw
      // fresh augmentations at each point; a fixed sample keeps that noise out of the surface).
      batches = await trainingTargetBatches(images.x, images.y, {
        batchSize: resolved.batchSize, numClasses: images.numClasses, mix: resolved.mix, labelSmoothing: resolved.labelSmoothing, seed: resolved.seed,
      });
    } finally {
      images.x.dispose();
    }
    const surfaces: LandscapeSurface[] = [];
    try {
      for (const m of models) {
        const t0 = Date.now();
        const total = resolved.resolution ** 2;
        const progress = opts.progress?.({ label: `landscape ${m.label}`, total, unit: 'pt/s' });
        const surface = await lossLandscape(m.model, batches, {
          resolution: resolved.resolution, range: resolved.range, seed: resolved.seed, normalization: resolved.normalization,
          l2: resolved.l2, labelSmoothing: resolved.labelSmoothing,
          signal: opts.signal,
          onPoint: (done) => (progress ? progress.update(done) : done % resolved.resolution === 0 && log(`[landscape] ${m.label}: ${done}/${total} points`)),
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
        log(
          `[landscape] ${m.label} (${secondsSince(t0)} s): centre loss ${summary.centreLoss.toFixed(3)}, accuracy ${summary.centreAccuracy.toFixed(1)}%, ` +
            `max ${summary.max.toFixed(3)}, mean rise over the grid ${summary.meanRise.toFixed(3)}`,
        );
        surfaces.push({ label: m.label, source: m.source, preset: m.model.config.preset, seconds: secondsSince(t0), summary, clipped: clipLandscape(surface.loss, resolved.clip), ...surface });
      }
    } finally {
      for (const b of batches) tf.dispose([b.x, ...(b.targets ? [b.targets] : [])]);
    }
    await verifyModelsUnchanged('landscape', models);
    const report: LandscapeReport = {
      analysis: 'landscape',
      description: 'loss(w + x d1 + y d2) in evaluation mode; loss[j][i] at (x[i], y[j]); d1, d2 Gaussian, normalised to the weights, zero on 1-D and position parameters',
      protocol: resolved.protocol,
      protocolDescription: LANDSCAPE_PROTOCOLS.protocols[resolved.protocol].description,
      data: { source: images.source, dir: images.dir, split: 'train', images: images.count },
      settings: resolved,
      seconds: secondsSince(start),
      models: surfaces,
    };
    await writeJsonAtomic(path.join(runDir, 'landscape.json'), report);
    await writeCsv(
      path.join(runDir, 'landscape.csv'),
      ['label', 'x', 'y', 'loss', 'nll', 'accuracy'],
      surfaces.flatMap((s) => s.y.flatMap((yv, j) => s.x.map((xv, i) => [s.label, xv, yv, s.loss[j]![i], s.nll[j]![i], s.accuracy[j]![i]]))),
    );
    const logZ = settings.logZ ?? (LOG_Z_OPTION.default as boolean);
    const figures = await exportAnalysisFigures(() => landscapeFigures(surfaces, { clip: resolved.clip, logZ }), runDir, settings.formats, opts);
    log(`[landscape] done in ${secondsSince(start)} s; results in ${runDir}`);
    return { ...report, runDir, figures };
  } finally {
    disposeModels(models);
  }
}

/** One surface per model: the authors' loss − min with points above `clip` dropped (clip 0: the loss itself). */
export function landscapeFigures(surfaces: readonly LandscapeSurface[], opts: { clip: number; logZ?: boolean }): Figure[] {
  const { clip } = opts;
  const logZ = opts.logZ === true;
  return surfaces.map((s) => {
    // A log axis cannot show 0, so there the loss itself is drawn with the same points dropped.
    const z = clip > 0 ? (logZ ? s.clipped.map((row) => row.map((v) => v + s.summary.min)) : s.clipped) : s.loss;
    const title = `Loss landscape: ${s.label}${clip > 0 ? ` (loss − min, points > ${clip} dropped)` : ''}`;
    return lossLandscapeFigure({ label: s.label, x: s.x, y: s.y, z }, { name: `loss-landscape-${slug(s.label)}`, title, logZ });
  });
}
