// npm run experiment all: the README's main job. Parsing and printing only; the job is src/experiments/all.ts.
import type { Command } from '../command.ts';
import { OptionError } from '../options.ts';
import { ExpectedError } from '../../util/errors.ts';
import { ALL_SETTINGS, runAllExperiment, type AllSettings } from '../../experiments/all.ts';
import { analysisSettingsOf, flagOf } from '../analysis-options.ts';
import { runOptionsOf } from '../train-run.ts';

function integerOf(opts: Record<string, unknown>, name: string): number | undefined {
  const v = opts[name];
  if (v === undefined) return undefined;
  if (typeof v !== 'number') throw new OptionError(`all: option '--${name}' should be an integer, got ${JSON.stringify(v)}`);
  return v;
}

export const command: Command = {
  name: 'all',
  summary: 'the main job: train vit-cpu and resnet-20 briefly, run every analysis on them, write figures and report.html',
  options: ALL_SETTINGS,
  async run(opts, ctx) {
    const { data, seed, results, run, formats } = analysisSettingsOf(opts);
    const list = (name: string): string[] | undefined => {
      const v = opts[name];
      if (v !== undefined && !Array.isArray(v)) throw new OptionError(`all: option '--${name}' should be a list, got ${JSON.stringify(v)}`);
      return v;
    };
    const settings: AllSettings = {
      models: list('models'),
      configDir: typeof opts['config-dir'] === 'string' ? opts['config-dir'] : undefined,
      analyses: list('analyses'),
      epochs: integerOf(opts, 'epochs'),
      trainSize: integerOf(opts, 'train-size'),
      stepsPerEpoch: integerOf(opts, 'steps-per-epoch'),
      skipTrain: flagOf(opts, 'skip-train'),
      resume: flagOf(opts, 'resume'),
      formats,
      data,
      seed,
      backend: typeof opts.backend === 'string' ? opts.backend : undefined,
      results,
      run,
    };
    const result = await runAllExperiment(settings, runOptionsOf(ctx));
    if (result.failures.length)
      // each failure was logged with its message (and its stack when it is a bug): this is the summary
      throw new ExpectedError(`all: ${result.failures.join(', ')} failed (see above); the other results and the report are in ${result.runDir}`);
    if (!result.interrupted) ctx.log(`[all] results: ${result.runDir}${result.report ? `; open ${result.report}` : ''}`);
  },
};
