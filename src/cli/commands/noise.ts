// npm run experiment noise -- --checkpoint <dir>[,<dir2>] | --preset vit-cpu,resnet-20 [--protocol paper|vitscope]
// Accuracy change under noise restricted to a frequency band, f = 0.1π ... 0.9π (Park & Kim 2022, Fig. 2c):
// ViTs are hurt most by low-frequency noise, ResNets by high-frequency noise. All models get the same noise.
// Settings come from src/analysis/noise-protocol.ts; noise.json records them all.
import * as path from 'node:path';
import type { Command } from '../command.ts';
import { noiseRobustness, type NoiseRobustnessResult } from '../../analysis/noise-robustness.ts';
import { NOISE_PROTOCOLS } from '../../analysis/noise-protocol.ts';
import { protocolOptions, resolveProtocol } from '../../analysis/protocol.ts';
import {
  MODEL_OPTIONS, commonImageSize, disposeModels, exportAnalysisFigures, loadAnalysisImages, loadAnalysisModels,
  numberOpt, secondsSince, verifyModelsUnchanged, writeCsv, writeJsonAtomic,
} from '../../experiments/analysis-support.ts';
import { runDirFromOptions } from '../run-dir.ts';
import { noiseRobustnessFigure } from '../../plots/index.ts';

export const command: Command = {
  name: 'noise',
  summary: 'accuracy under frequency-band noise, 0.1π…0.9π (ViTs hurt by low, ResNets by high frequencies)',
  options: [
    ...MODEL_OPTIONS,
    ...protocolOptions(NOISE_PROTOCOLS),
  ],
  async run(opts, ctx) {
    const start = Date.now();
    const settings = { ...resolveProtocol(NOISE_PROTOCOLS, opts), seed: numberOpt(opts, 'seed', 0) };
    const models = await loadAnalysisModels(opts, ctx, 100);
    try {
      const imageSize = commonImageSize(models);
      const data = await loadAnalysisImages(opts, ctx, 'test', settings.images, imageSize);
      const runDir = await runDirFromOptions(opts, 'noise');
      let results: NoiseRobustnessResult[];
      try {
        results = await noiseRobustness(models, { x: data.x, y: data.y }, { ...settings, signal: ctx.signal, onStep: (m) => ctx.log(`[noise] ${m}`) });
      } finally {
        data.x.dispose();
      }
      verifyModelsUnchanged('noise', models);
      for (const r of results)
        ctx.log(
          `[noise] ${r.label}: clean ${r.cleanAccuracy.toFixed(1)}%; change (pp) ` +
            r.frequency.map((f, i) => `${f}π ${r.accuracyChange[i]!.toFixed(1)}`).join(', '),
        );
      await writeJsonAtomic(path.join(runDir, 'noise.json'), {
        analysis: 'noise',
        description: 'top-1 accuracy with band-limited noise minus clean accuracy (percentage points; negative = hurt), CI over disjoint image groups',
        protocol: settings.protocol,
        protocolDescription: NOISE_PROTOCOLS.protocols[settings.protocol].description,
        data: { source: data.source, dir: data.dir, split: 'test', images: data.count },
        settings,
        seconds: secondsSince(start),
        models: results.map((r, i) => ({ ...r, source: models[i]!.source, preset: models[i]!.model.config.preset })),
      });
      await writeCsv(
        path.join(runDir, 'noise.csv'),
        ['label', 'frequency_pi', 'clean_accuracy', 'noisy_accuracy', 'accuracy_change_pp', 'ci_lower_pp', 'ci_upper_pp'],
        results.flatMap((r) => r.frequency.map((f, i) => [r.label, f, r.cleanAccuracy, r.noisyAccuracy[i], r.accuracyChange[i], r.changeLower[i], r.changeUpper[i]])),
      );
      // The figure's contract: accuracyDrop = clean - noisy as a fraction (positive = hurt).
      await exportAnalysisFigures(
        () => [
          noiseRobustnessFigure(
            results.map((r) => ({
              label: r.label,
              frequency: r.frequency,
              accuracyDrop: r.accuracyChange.map((v) => -v / 100),
              lower: r.changeUpper.map((v) => -v / 100),
              upper: r.changeLower.map((v) => -v / 100),
            })),
          ),
        ],
        runDir,
        opts,
        ctx,
      );
      ctx.log(`[noise] done in ${secondsSince(start)} s; results in ${runDir}`);
    } finally {
      disposeModels(models);
    }
  },
};
