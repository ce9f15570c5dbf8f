// `merge`: reduces the units of a run folder into its summary JSON and figures (what the last shard to finish does
// by itself). Refuses units computed with other settings or on other weights, naming them (src/io/unit-store.ts).
import { existsSync, statSync } from 'node:fs';
import * as path from 'node:path';
import { readUnitPlan, PLAN_FILE } from '../io/unit-store.ts';
import { OptionError } from '../util/settings.ts';
import type { ExportFormat } from '../plots/export.ts';
import { ANALYSIS_DEFAULTS } from './analysis-support.ts';
import { mergeDataSizeRun } from './datasize.ts';
import { mergeHessianRun } from './hessian.ts';
import { mergeLandscapeRun } from './landscape.ts';
import { mergeNoiseRun } from './noise.ts';
import { mergeLocked } from './unit-runner.ts';
import type { RunOptions } from './run-options.ts';

/** The analyses whose run folders merge knows, and how each reduces its units. */
const MERGERS: Record<string, (runDir: string, plan: NonNullable<ReturnType<typeof readUnitPlan>>, opts: RunOptions & { formats?: readonly ExportFormat[] }) => Promise<{ runDir: string; figures: string[] }>> = {
  hessian: mergeHessianRun,
  noise: mergeNoiseRun,
  landscape: mergeLandscapeRun,
  datasize: mergeDataSizeRun,
};

export function registerMerger(analysis: string, merge: (typeof MERGERS)[string]): void {
  MERGERS[analysis] = merge;
}

/** A run given as a folder path, or as a run name under `results`. */
export function runFolderOf(run: string, results = ANALYSIS_DEFAULTS.results): string {
  if (existsSync(run) && statSync(run).isDirectory()) return path.resolve(run);
  const named = path.join(results, run);
  if (existsSync(named) && statSync(named).isDirectory()) return path.resolve(named);
  throw new OptionError(`option '--run' is '${run}': neither a folder nor a run under ${results}; expected a run folder holding ${PLAN_FILE}`);
}

export async function mergeRun(run: string, opts: RunOptions & { results?: string; formats?: readonly ExportFormat[] } = {}): Promise<{ runDir: string; figures: string[]; analysis: string }> {
  const runDir = runFolderOf(run, opts.results);
  const plan = readUnitPlan(runDir);
  if (!plan) throw new OptionError(`${runDir}: no ${PLAN_FILE}; expected the folder of an analysis run made of units (hessian, noise, landscape, datasize)`);
  const merge = MERGERS[plan.analysis];
  if (!merge) throw new OptionError(`${path.join(runDir, PLAN_FILE)}: field 'analysis' is '${plan.analysis}', expected one of ${Object.keys(MERGERS).join(', ')}`);
  const out = await mergeLocked(runDir, plan.analysis, () => merge(runDir, plan, opts));
  if (!out) throw new OptionError(`${runDir}: another process holds the run's lock (.lock); expected no writer while merging: wait for it to finish`);
  return { ...out, analysis: plan.analysis };
}
