// npm run experiment merge -- --run <dir>: reduce a run's units (all shards) into its summary JSON and figures.
// Parsing and printing only; the merge is src/experiments/merge.ts.
import type { Command } from '../command.ts';
import { mergeRun } from '../../experiments/merge.ts';
import { FIGURE_FORMAT_OPTION } from '../../experiments/run-options.ts';
import { OptionError } from '../options.ts';
import { runOptionsOf } from '../train-run.ts';

export const command: Command = {
  name: 'merge',
  summary: 'reduce the units of a (sharded) analysis run into its summary JSON and figures; refuses units of other weights or settings',
  options: [
    { name: 'run', type: 'string', help: 'the run folder (or a run name under --results)' },
    FIGURE_FORMAT_OPTION,
  ],
  async run(opts, ctx) {
    const run = opts.run;
    if (typeof run !== 'string' || run === '') throw new OptionError(`merge: option '--run' is missing, expected the run folder to merge`);
    const results = typeof opts.results === 'string' ? opts.results : undefined;
    const formats = Array.isArray(opts.formats) ? (opts.formats as ('html' | 'svg' | 'png')[]) : undefined;
    const out = await mergeRun(run, { ...runOptionsOf(ctx), results, formats });
    ctx.log(`[merge] ${out.analysis}: merged into ${out.runDir}${out.figures.length ? ` (${out.figures.length} figures)` : ''}`);
  },
};
