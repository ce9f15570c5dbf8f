// The frequency-band noise experiment (Park & Kim 2022, Fig. 2c): top-1 accuracy change under noise restricted to
// one frequency band, f = 0.1π … 0.9π (ViTs are hurt most by low-frequency noise, ResNets by high-frequency noise).
// Every model gets the same images and the same noise. Writes <run>/noise.json, noise.csv and the figure.
// Settings: src/analysis/noise-protocol.ts; noise.json records them all.
import * as path from 'node:path';
import { noiseRobustness, type NoiseRobustnessResult } from '../analysis/noise-robustness.ts';
import { NOISE_PROTOCOLS, type NoiseProtocol, type NoiseSettings } from '../analysis/noise-protocol.ts';
import { protocolOptions, type ResolvedSettings } from '../util/protocol.ts';
import type { Figure } from '../plots/figure.ts';
import { noiseRobustnessFigure } from '../plots/index.ts';
import type { OptionSpec } from '../util/settings.ts';
import {
  ANALYSIS_DEFAULTS, ANALYSIS_SETTING_KEYS, MODEL_OPTIONS, analysisRunDir, checkAnalysisSettings, checkProtocolBounds, checkSettingKeys,
  commonImageSize, disposeModels, exportAnalysisFigures, loadAnalysisImages, loadAnalysisModels, protocolKeys, resolveAnalysisProtocol,
  secondsSince, verifyModelsUnchanged, writeCsv, writeJsonAtomic,
  type AnalysisDataInfo, type AnalysisSettings, type ProtocolChoice,
} from './analysis-support.ts';
import { logOf, type RunOptions } from './run-options.ts';

/** The options of `noise` (flags, --help, --config): the models, then the protocol's settings. */
export const NOISE_SETTINGS: readonly OptionSpec[] = [...MODEL_OPTIONS, ...protocolOptions(NOISE_PROTOCOLS)];

export type NoiseExperimentSettings = AnalysisSettings & ProtocolChoice<NoiseSettings, NoiseProtocol>;

/** The settings noise.json records: the protocol's, resolved, and the seed of the images and the noise. */
export type NoiseRunSettings = ResolvedSettings<NoiseSettings, NoiseProtocol> & { seed: number };

export interface NoiseModelResult extends NoiseRobustnessResult {
  source: string;
  preset: string;
}

/** What noise.json holds. */
export interface NoiseReport {
  analysis: 'noise';
  description: string;
  protocol: NoiseProtocol;
  protocolDescription: string;
  data: AnalysisDataInfo;
  settings: NoiseRunSettings;
  seconds: number;
  models: NoiseModelResult[];
}

export interface NoiseExperimentResult extends NoiseReport {
  runDir: string;
  figures: string[];
}

export function resolveNoiseSettings(settings: NoiseExperimentSettings): NoiseRunSettings {
  checkSettingKeys('noise', settings, [...ANALYSIS_SETTING_KEYS, ...protocolKeys(NOISE_PROTOCOLS)]);
  checkAnalysisSettings('noise', settings);
  const resolved = resolveAnalysisProtocol(NOISE_PROTOCOLS, settings);
  checkProtocolBounds(NOISE_PROTOCOLS, resolved, {
    frequencies: { min: 0, max: 1 },
    bandwidth: { min: 0, above: true },
    scale: { min: 0 },
    images: { integer: true, min: 1 },
    groups: { integer: true, min: 1 },
    batchSize: { integer: true, min: 1 },
  });
  return { ...resolved, seed: settings.seed ?? ANALYSIS_DEFAULTS.seed };
}

export async function runNoiseExperiment(settings: NoiseExperimentSettings, opts: RunOptions = {}): Promise<NoiseExperimentResult> {
  const start = Date.now();
  const log = logOf(opts);
  const resolved = resolveNoiseSettings(settings);
  const models = await loadAnalysisModels(settings, opts, 100);
  try {
    const imageSize = commonImageSize(models);
    const images = await loadAnalysisImages(settings, opts, 'test', resolved.images, imageSize);
    const runDir = await analysisRunDir(settings, 'noise');
    let results: NoiseRobustnessResult[];
    try {
      results = await noiseRobustness(models, { x: images.x, y: images.y }, { ...resolved, signal: opts.signal, onStep: (m) => log(`[noise] ${m}`) });
    } finally {
      images.x.dispose();
    }
    await verifyModelsUnchanged('noise', models);
    for (const r of results)
      log(`[noise] ${r.label}: clean ${r.cleanAccuracy.toFixed(1)}%; change (pp) ` + r.frequency.map((f, i) => `${f}π ${r.accuracyChange[i]!.toFixed(1)}`).join(', '));
    const report: NoiseReport = {
      analysis: 'noise',
      description: 'top-1 accuracy with band-limited noise minus clean accuracy (percentage points; negative = hurt), CI over disjoint image groups',
      protocol: resolved.protocol,
      protocolDescription: NOISE_PROTOCOLS.protocols[resolved.protocol].description,
      data: { source: images.source, dir: images.dir, split: 'test', images: images.count },
      settings: resolved,
      seconds: secondsSince(start),
      models: results.map((r, i) => ({ ...r, source: models[i]!.source, preset: models[i]!.model.config.preset })),
    };
    await writeJsonAtomic(path.join(runDir, 'noise.json'), report);
    await writeCsv(
      path.join(runDir, 'noise.csv'),
      ['label', 'frequency_pi', 'clean_accuracy', 'noisy_accuracy', 'accuracy_change_pp', 'ci_lower_pp', 'ci_upper_pp'],
      results.flatMap((r) => r.frequency.map((f, i) => [r.label, f, r.cleanAccuracy, r.noisyAccuracy[i], r.accuracyChange[i], r.changeLower[i], r.changeUpper[i]])),
    );
    const figures = await exportAnalysisFigures(() => noiseFigures(results), runDir, settings.formats, opts);
    log(`[noise] done in ${secondsSince(start)} s; results in ${runDir}`);
    return { ...report, runDir, figures };
  } finally {
    disposeModels(models);
  }
}

/** Accuracy drop by band; the figure's contract: accuracyDrop = clean - noisy as a fraction (positive = hurt). */
export function noiseFigures(results: readonly NoiseRobustnessResult[]): Figure[] {
  return [
    noiseRobustnessFigure(
      results.map((r) => ({
        label: r.label,
        frequency: r.frequency,
        accuracyDrop: r.accuracyChange.map((v) => -v / 100),
        lower: r.changeUpper.map((v) => -v / 100),
        upper: r.changeLower.map((v) => -v / 100),
      })),
    ),
  ];
}
