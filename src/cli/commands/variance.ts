// npm run experiment variance -- --checkpoint <dir>[,<dir2>] | --preset vit-cpu,resnet-20 [--images 256]
// Settings come from src/analysis/variance-protocol.ts; variance.json records them all.
// Feature-map variance of every block against normalised depth (Park & Kim 2022, Fig. 9):
// MSAs reduce the variance, Convs and MLPs increase it.
import * as path from 'node:path';
import type { Command } from '../command.ts';
import { varianceByDepth, type VarianceBlock } from '../../analysis/depth.ts';
import { protocolOptions, resolveProtocol } from '../../analysis/protocol.ts';
import { VARIANCE_PROTOCOLS } from '../../analysis/variance-protocol.ts';
import {
  MODEL_OPTIONS, exportAnalysisFigures, runBlockAnalysis, secondsSince, writeCsv, writeJsonAtomic,
} from '../../experiments/analysis-support.ts';
import { runDirFromOptions } from '../run-dir.ts';
import { varianceDepthFigure } from '../../plots/index.ts';

export const command: Command = {
  name: 'variance',
  summary: 'feature-map variance by block and depth (MSAs reduce it, Convs and MLPs increase it)',
  options: [
    ...MODEL_OPTIONS,
    ...protocolOptions(VARIANCE_PROTOCOLS),
    { name: 'log-y', type: 'boolean', default: false, help: 'logarithmic variance axis in the figure' },
  ],
  async run(opts, ctx) {
    const settings = resolveProtocol(VARIANCE_PROTOCOLS, opts);
    await runBlockAnalysis<VarianceBlock>(
      'variance',
      opts,
      ctx,
      settings,
      (model, batches, signal) => varianceByDepth(model, batches, { signal }),
      (blocks) => blocks.map((b) => `${b.kind} ${b.variance.toPrecision(3)}`).join(', '),
      async (results, data, start) => {
        const runDir = await runDirFromOptions(opts, 'variance');
        await writeJsonAtomic(path.join(runDir, 'variance.json'), {
          analysis: 'variance',
          description: 'unbiased variance over H x W of each channel, mean over images and channels, of every block output',
          protocol: settings.protocol,
          protocolDescription: VARIANCE_PROTOCOLS.protocols[settings.protocol].description,
          settings,
          data,
          seconds: secondsSince(start),
          models: results,
        });
        await writeCsv(
          path.join(runDir, 'variance-depth.csv'),
          ['label', 'block', 'name', 'kind', 'depth', 'height', 'channels', 'variance'],
          results.flatMap((r) => r.blocks.map((b, i) => [r.label, i, b.name, b.kind, b.depth, b.height, b.channels, b.variance])),
        );
        await exportAnalysisFigures(
          () => [
            varianceDepthFigure(
              results.map((r) => ({ label: r.label, depth: r.blocks.map((b) => b.depth), value: r.blocks.map((b) => b.variance), kinds: r.blocks.map((b) => b.kind) })),
              { logY: opts['log-y'] === true },
            ),
          ],
          runDir,
          opts,
          ctx,
        );
        ctx.log(`[variance] done in ${secondsSince(start)} s; results in ${runDir}`);
      },
    );
  },
};
