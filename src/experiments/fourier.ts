// The Fourier experiment (Park & Kim 2022, Fig. 2a/b, 8): relative log amplitude of the Fourier-transformed
// feature map of every block; Δ log amplitude at the highest frequency against normalised depth, and the full
// curves by depth. Writes <run>/fourier.json, fourier-depth.csv, fourier-relative.csv and the figures.
// Settings: src/analysis/fourier-protocol.ts; fourier.json records them all.
import * as path from 'node:path';
import { fourierByDepth, type FourierBlock } from '../analysis/depth.ts';
import { FOURIER_PROTOCOLS, type FourierProtocol, type FourierSettings } from '../analysis/fourier-protocol.ts';
import { protocolOptions, type ResolvedSettings } from '../util/protocol.ts';
import type { Figure } from '../plots/figure.ts';
import { fourierDepthFigure, relativeLogAmplitudeFigure, slug } from '../plots/index.ts';
import type { OptionSpec } from '../util/settings.ts';
import {
  ANALYSIS_SETTING_KEYS, MODEL_OPTIONS, analysisRunDir, checkAnalysisSettings, checkProtocolBounds, checkSettingKeys, exportAnalysisFigures,
  protocolKeys, resolveAnalysisProtocol, runBlockAnalysis, secondsSince, writeCsv, writeJsonAtomic,
  type AnalysisSettings, type BlockAnalysisData, type BlockAnalysisResult, type ProtocolChoice,
} from './analysis-support.ts';
import { logOf, type RunOptions } from './run-options.ts';

/** The options of `fourier` (flags, --help, --config): the models, then the protocol's settings. */
export const FOURIER_SETTINGS: readonly OptionSpec[] = [...MODEL_OPTIONS, ...protocolOptions(FOURIER_PROTOCOLS)];

export type FourierExperimentSettings = AnalysisSettings & ProtocolChoice<FourierSettings, FourierProtocol>;

/** What fourier.json holds. */
export interface FourierReport {
  analysis: 'fourier';
  description: string;
  protocol: FourierProtocol;
  protocolDescription: string;
  settings: ResolvedSettings<FourierSettings, FourierProtocol>;
  data: BlockAnalysisData;
  seconds: number;
  models: BlockAnalysisResult<FourierBlock>[];
}

export interface FourierExperimentResult extends FourierReport {
  runDir: string;
  /** Figure files written (empty when the export failed; the log says why). */
  figures: string[];
}

/** The resolved protocol settings; an OptionError names the option, the value and what is expected. */
export function resolveFourierSettings(settings: FourierExperimentSettings): ResolvedSettings<FourierSettings, FourierProtocol> {
  checkSettingKeys('fourier', settings, [...ANALYSIS_SETTING_KEYS, ...protocolKeys(FOURIER_PROTOCOLS)]);
  checkAnalysisSettings('fourier', settings);
  const resolved = resolveAnalysisProtocol(FOURIER_PROTOCOLS, settings);
  checkProtocolBounds(FOURIER_PROTOCOLS, resolved, { images: { integer: true, min: 1 }, batchSize: { integer: true, min: 1 } });
  return resolved;
}

export async function runFourierExperiment(settings: FourierExperimentSettings, opts: RunOptions = {}): Promise<FourierExperimentResult> {
  const start = Date.now();
  const log = logOf(opts);
  const resolved = resolveFourierSettings(settings);
  const { models, data } = await runBlockAnalysis<FourierBlock>(
    'fourier',
    settings,
    opts,
    resolved,
    (model, batches, signal) => fourierByDepth(model, batches, { signal, diagonal: resolved.diagonal }),
    (blocks) => 'Δ log amplitude at the highest frequency by depth: ' + blocks.map((b) => `${b.kind} ${b.deltaAtHighest.toFixed(2)}`).join(', '),
  );
  const runDir = await analysisRunDir(settings, 'fourier');
  const report: FourierReport = {
    analysis: 'fourier',
    description: 'relative log amplitude (log(|F|+1e-6), centred, half-diagonal from frequency 0 minus its value at 0) of every block output',
    protocol: resolved.protocol,
    protocolDescription: FOURIER_PROTOCOLS.protocols[resolved.protocol].description,
    settings: resolved,
    data,
    seconds: secondsSince(start),
    models,
  };
  await writeJsonAtomic(path.join(runDir, 'fourier.json'), report);
  await writeCsv(
    path.join(runDir, 'fourier-depth.csv'),
    ['label', 'block', 'name', 'kind', 'depth', 'height', 'delta_log_amplitude_at_highest', 'highest_frequency_pi'],
    models.flatMap((r) => r.blocks.map((b, i) => [r.label, i, b.name, b.kind, b.depth, b.height, b.deltaAtHighest, b.highestFrequency])),
  );
  await writeCsv(
    path.join(runDir, 'fourier-relative.csv'),
    ['label', 'block', 'name', 'kind', 'depth', 'frequency_pi', 'plotted_at', 'relative_log_amplitude'],
    models.flatMap((r) => r.blocks.flatMap((b, i) => b.frequency.map((f, k) => [r.label, i, b.name, b.kind, b.depth, f, b.plotFrequency[k], b.relative[k]]))),
  );
  const figures = await exportAnalysisFigures(() => fourierFigures(models), runDir, settings.formats, opts);
  log(`[fourier] done in ${secondsSince(start)} s; results in ${runDir}`);
  return { ...report, runDir, figures };
}

/** Δ at the highest frequency by depth (all models), and each model's curves by depth. */
export function fourierFigures(models: readonly BlockAnalysisResult<FourierBlock>[]): Figure[] {
  return [
    fourierDepthFigure(
      models.map((r) => {
        const blocks = r.blocks.filter((b) => Number.isFinite(b.deltaAtHighest));
        return { label: r.label, depth: blocks.map((b) => b.depth), value: blocks.map((b) => b.deltaAtHighest), kinds: blocks.map((b) => b.kind) };
      }),
    ),
    ...models.map((r) =>
      relativeLogAmplitudeFigure(
        { label: r.label, curves: r.blocks.filter((b) => b.frequency.length > 0).map((b) => ({ depth: b.depth, frequency: b.plotFrequency, value: b.relative })) },
        { name: `relative-log-amplitude-${slug(r.label)}`, title: `Relative log amplitude of feature maps: ${r.label}` },
      ),
    ),
  ];
}
