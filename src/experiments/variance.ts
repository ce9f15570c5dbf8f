// The feature-map variance experiment (Park & Kim 2022, Fig. 9): the variance of every block's output against
// normalised depth (MSAs reduce it, Convs and MLPs increase it). Writes <run>/variance.json, variance-depth.csv
// and the figure. Settings: src/analysis/variance-protocol.ts; variance.json records them all.
import * as path from 'node:path';
import { varianceByDepth, type VarianceBlock } from '../analysis/depth.ts';
import { protocolOptions, type ResolvedSettings } from '../util/protocol.ts';
import { VARIANCE_PROTOCOLS, type VarianceProtocol, type VarianceSettings } from '../analysis/variance-protocol.ts';
import type { Figure } from '../plots/figure.ts';
import { varianceDepthFigure } from '../plots/index.ts';
import type { OptionSpec } from '../util/settings.ts';
import {
  ANALYSIS_SETTING_KEYS, MODEL_OPTIONS, analysisRunDir, checkAnalysisSettings, checkProtocolBounds, checkSettingKeys, exportAnalysisFigures,
  protocolKeys, resolveAnalysisProtocol, runBlockAnalysis, secondsSince, writeCsv, writeJsonAtomic,
  type AnalysisSettings, type BlockAnalysisData, type BlockAnalysisResult, type ProtocolChoice,
} from './analysis-support.ts';
import { logOf, type RunOptions } from './run-options.ts';

const LOG_Y_OPTION: OptionSpec = { name: 'log-y', type: 'boolean', default: false, help: 'logarithmic variance axis in the figure' };

/** The options of `variance` (flags, --help, --config): the models, the protocol's settings, the figure's axis. */
export const VARIANCE_SETTINGS: readonly OptionSpec[] = [...MODEL_OPTIONS, ...protocolOptions(VARIANCE_PROTOCOLS), LOG_Y_OPTION];

export type VarianceExperimentSettings = AnalysisSettings &
  ProtocolChoice<VarianceSettings, VarianceProtocol> & {
    /** Figure only: logarithmic variance axis (default false). */
    logY?: boolean;
  };

/** What variance.json holds. */
export interface VarianceReport {
  analysis: 'variance';
  description: string;
  protocol: VarianceProtocol;
  protocolDescription: string;
  settings: ResolvedSettings<VarianceSettings, VarianceProtocol>;
  data: BlockAnalysisData;
  seconds: number;
  models: BlockAnalysisResult<VarianceBlock>[];
}

export interface VarianceExperimentResult extends VarianceReport {
  runDir: string;
  figures: string[];
}

export function resolveVarianceSettings(settings: VarianceExperimentSettings): ResolvedSettings<VarianceSettings, VarianceProtocol> {
  checkSettingKeys('variance', settings, [...ANALYSIS_SETTING_KEYS, ...protocolKeys(VARIANCE_PROTOCOLS), 'logY']);
  checkAnalysisSettings('variance', settings);
  const resolved = resolveAnalysisProtocol(VARIANCE_PROTOCOLS, settings);
  checkProtocolBounds(VARIANCE_PROTOCOLS, resolved, { images: { integer: true, min: 1 }, batchSize: { integer: true, min: 1 } });
  return resolved;
}

export async function runVarianceExperiment(settings: VarianceExperimentSettings, opts: RunOptions = {}): Promise<VarianceExperimentResult> {
  const start = Date.now();
  const log = logOf(opts);
  const resolved = resolveVarianceSettings(settings);
  const logY = settings.logY ?? (LOG_Y_OPTION.default as boolean);
  const { models, data } = await runBlockAnalysis<VarianceBlock>(
    'variance',
    settings,
    opts,
    resolved,
    (model, batches, signal) => varianceByDepth(model, batches, { signal }),
    (blocks) => blocks.map((b) => `${b.kind} ${b.variance.toPrecision(3)}`).join(', '),
  );
  const runDir = await analysisRunDir(settings, 'variance');
  const report: VarianceReport = {
    analysis: 'variance',
    description: 'unbiased variance over H x W of each channel, mean over images and channels, of every block output',
    protocol: resolved.protocol,
    protocolDescription: VARIANCE_PROTOCOLS.protocols[resolved.protocol].description,
    settings: resolved,
    data,
    seconds: secondsSince(start),
    models,
  };
  await writeJsonAtomic(path.join(runDir, 'variance.json'), report);
  await writeCsv(
    path.join(runDir, 'variance-depth.csv'),
    ['label', 'block', 'name', 'kind', 'depth', 'height', 'channels', 'variance'],
    models.flatMap((r) => r.blocks.map((b, i) => [r.label, i, b.name, b.kind, b.depth, b.height, b.channels, b.variance])),
  );
  const figures = await exportAnalysisFigures(() => varianceFigures(models, { logY }), runDir, settings.formats, opts);
  log(`[variance] done in ${secondsSince(start)} s; results in ${runDir}`);
  return { ...report, runDir, figures };
}

/** Variance by depth, one line per model. */
export function varianceFigures(models: readonly BlockAnalysisResult<VarianceBlock>[], opts: { logY?: boolean } = {}): Figure[] {
  return [
    varianceDepthFigure(
      models.map((r) => ({ label: r.label, depth: r.blocks.map((b) => b.depth), value: r.blocks.map((b) => b.variance), kinds: r.blocks.map((b) => b.kind) })),
      { logY: opts.logY === true },
    ),
  ];
}
