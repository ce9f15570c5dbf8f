// npm run experiment hessian -- --checkpoint <dir>[,<dir2>] | --model vit-cpu,resnet-20 [--protocol quick|paper]
// Parsing and printing only; the experiment is src/experiments/hessian.ts.
import type { Command } from '../command.ts';
import { HESSIAN_PROTOCOLS } from '../../hessian/protocol.ts';
import { HESSIAN_SETTINGS, planHessianExperiment, runHessianExperiment, type HessianAnalysis, type HessianExperimentSettings } from '../../experiments/hessian.ts';
import { analysisSettingsOf, flagOf, protocolSettingsOf, unitRunSettingsOf } from '../analysis-options.ts';
import { OptionError } from '../options.ts';
import { runOptionsOf } from '../train-run.ts';
import { EXECUTOR_OPTIONS } from '../../experiments/executor/options.ts';
import { runOnExecutor } from '../executor.ts';

export { sampleSizeAdvice } from '../../experiments/hessian.ts';

export const command: Command = {
  name: 'hessian',
  summary: 'Hessian spectra: max-eigenvalue spectrum (NEP, APE), top/bottom eigenvalues, SLQ density, trace — with CIs over data subsets',
  options: [...HESSIAN_SETTINGS, ...EXECUTOR_OPTIONS],
  async run(opts, ctx) {
    if (await runOnExecutor(command, opts, ctx)) return; // --executor slurm|print (src/cli/executor.ts)
    const common = analysisSettingsOf(opts);
    const models = opts.model;
    if (models !== undefined && !Array.isArray(models)) throw new OptionError(`option '--model' should be a list, got ${JSON.stringify(models)}`);
    const params = opts.params;
    if (params !== undefined && typeof params !== 'string') throw new OptionError(`option '--params' should be a string, got ${JSON.stringify(params)}`);
    const analyses = opts.analyses;
    if (analyses !== undefined && !Array.isArray(analyses)) throw new OptionError(`option '--analyses' should be a list, got ${JSON.stringify(analyses)}`);
    const settings: HessianExperimentSettings = {
      ...common,
      presets: [...(common.presets ?? []), ...(models ?? []).filter((m) => m !== '')],
      ...protocolSettingsOf(HESSIAN_PROTOCOLS, opts),
      analyses: analyses?.filter((a) => a !== '') as HessianAnalysis[] | undefined,
      params,
      allCheckpoints: flagOf(opts, 'all-checkpoints'),
      ...unitRunSettingsOf(opts),
    };
    if (settings.planOnly) {
      await planHessianExperiment(settings, runOptionsOf(ctx)); // it prints the plan
      return;
    }
    const result = await runHessianExperiment(settings, runOptionsOf(ctx));
    if (result.status !== 'complete') {
      ctx.log(`[hessian] ${result.status}: ${result.units.done} of ${result.units.total} units in ${result.runDir}`);
      return;
    }
    for (const m of result.models) {
      const me = m.maxEigenvalueSpectrum;
      const top = m.spectrum?.top[0]?.mean;
      ctx.log(
        `[hessian] ${m.label}: ${m.dim} parameters` +
          (me ? `, NEP ${(100 * me.nep).toFixed(1)}%, APE ${me.ape.toPrecision(4)}` : '') +
          (top !== undefined ? `, λmax ${top.toPrecision(4)}` : '') +
          (m.timing ? `, HVP ${m.timing.ratio.toFixed(2)}x a training step` : ''),
      );
    }
  },
};
