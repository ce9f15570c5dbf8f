// The loop every long analysis shares: choose and lock the run folder, write (or check) plan.json, compute the
// units this process owns that are not on disk yet, append each one fsynced as it finishes, stop between units when
// the signal fires, and tell whether every unit of the plan is now present (then the caller merges).
import { existsSync, rmSync } from 'node:fs';
import * as path from 'node:path';
import { runtimeId } from '../backend/runtime-id.ts';
import { acquireLock, type HeldLock } from '../io/lock-file.ts';
import { chooseRunDir } from '../io/run-dir.ts';
import {
  PLAN_FILE, UNITS_DIR, UnitWriter, WHOLE_RUN, parseShard, readUnitProgress, readUnits, shardLockFile, shardName, shardOwns, stableHash, summaryFileOf, writeOrCheckPlan,
  type PlannedModel, type PlannedUnit, type ShardSpec, type UnitPlanFile,
} from '../io/unit-store.ts';
import { RunDirError } from '../util/errors.ts';
import { OptionError, type OptionSpec } from '../util/settings.ts';
import { ANALYSIS_DEFAULTS, type AnalysedModel, type AnalysisSettings } from './analysis-support.ts';

/** The options of every analysis made of units (flags, --help, --config). */
export const UNIT_OPTIONS: readonly OptionSpec[] = [
  { name: 'shard', type: 'string', help: "compute only shard i of n ('i/n', 0 <= i < n): the units at positions p of the plan with p % n == i; needs --run (all shards share it)" },
  { name: 'resume', type: 'boolean', default: false, help: 'continue the run named by --run (or the newest one): finished units are kept, the rest computed' },
  { name: 'plan', type: 'boolean', default: false, help: 'print the plan (units, Hessian-vector products, measured seconds per product, estimated hours) and exit' },
  { name: 'plan-shards', type: 'integer', default: 64, help: 'the shard count the printed time estimate is also given for' },
];

export const UNIT_SETTING_KEYS = ['shard', 'resume', 'planOnly', 'planShards'] as const;

export interface UnitRunSettings {
  /** 'i/n': compute only shard i of n. */
  shard?: string;
  resume?: boolean;
  /** Print the plan and stop (`--plan`). */
  planOnly?: boolean;
  /** The shard count of the printed estimate (default 64). */
  planShards?: number;
}

export function shardOf(s: UnitRunSettings): ShardSpec {
  if (s.shard === undefined || s.shard === '') return WHOLE_RUN;
  if (typeof s.shard !== 'string') throw new OptionError(`option '--shard' is ${JSON.stringify(s.shard)}, expected i/n (e.g. 3/64)`);
  return parseShard(s.shard);
}

export function checkUnitRunSettings(where: string, s: AnalysisSettings & UnitRunSettings): void {
  const shard = shardOf(s);
  if (shard.count > 1 && !s.run) throw new OptionError(`${where}: option '--shard' ${s.shard} needs '--run': every shard writes into the same run folder`);
  if (s.resume !== undefined && typeof s.resume !== 'boolean') throw new OptionError(`${where}: option '--resume' is ${JSON.stringify(s.resume)}, expected true or false`);
  if (s.planShards !== undefined && !(Number.isInteger(s.planShards) && s.planShards >= 1))
    throw new OptionError(`${where}: option '--plan-shards' is ${JSON.stringify(s.planShards)}, expected a positive integer`);
}

export interface OpenUnitRun {
  runDir: string;
  shard: ShardSpec;
  release(): void;
}

/**
 * The run folder, locked: a shard or `--resume` continues the named run (or the newest `<analysis>-…` run); otherwise
 * a new run, or a named one replaced (its plan, units and summary removed once the lock is ours).
 */
export async function openUnitRun(analysis: string, s: AnalysisSettings & UnitRunSettings): Promise<OpenUnitRun> {
  const shard = shardOf(s);
  const continuing = Boolean(s.resume) || shard.count > 1;
  const chosen = await chooseRunDir({ results: s.results ?? ANALYSIS_DEFAULTS.results, run: s.run, prefix: analysis, reuse: continuing, overwrite: !continuing });
  const lock: HeldLock = acquireLock(shardLockFile(chosen.dir, shard), `${analysis} ${shardName(shard)}`);
  if (s.resume && shard.count === 1 && chosen.mode === 'reuse' && !existsSync(path.join(chosen.dir, PLAN_FILE))) {
    lock.release();
    throw new OptionError(`${chosen.dir}: option '--resume': no ${PLAN_FILE} there; expected a run folder of an analysis with units of work`);
  }
  if (!continuing)
    for (const entry of [PLAN_FILE, UNITS_DIR, summaryFileOf(analysis)]) rmSync(path.join(chosen.dir, entry), { recursive: true, force: true });
  return { runDir: chosen.dir, shard, release: () => lock.release() };
}

export interface UnitLoopResult {
  computed: number;
  skipped: number;
  /** Units of this shard still missing (the signal stopped the loop). */
  left: number;
  stopped: boolean;
  plan: UnitPlanFile;
}

/** What `compute` returns for a unit it could not finish (its own work was interrupted): nothing is appended, the loop stops. */
export const UNIT_INTERRUPTED: unique symbol = Symbol('unit interrupted');

/**
 * Computes the shard's units not yet on disk, in plan order; each result is appended (fsynced) before the next
 * unit starts. `compute` gets the planned unit and returns its JSON result.
 */
export async function computeUnits(
  run: OpenUnitRun,
  planned: UnitPlanFile,
  compute: (unit: PlannedUnit) => Promise<unknown>,
  opts: { signal?: AbortSignal; log: (m: string) => void; label: string },
): Promise<UnitLoopResult> {
  const plan = writeOrCheckPlan(run.runDir, { ...planned, shards: run.shard.count });
  const fingerprints = new Map(plan.models.map((m) => [m.label, m.fingerprint]));
  const done = new Set(
    readUnits(run.runDir)
      .filter((u) => u.record.settingsKey === plan.settingsKey && u.record.fingerprint === fingerprints.get(u.record.model))
      .map((u) => u.record.index),
  );
  const mine = plan.units.filter((_, p) => shardOwns(run.shard, p));
  const todo = mine.filter((u) => !done.has(u.index));
  const skipped = mine.length - todo.length;
  if (skipped > 0) opts.log(`[${opts.label}] ${skipped} of ${mine.length} units already in ${run.runDir}; computing the other ${todo.length}`);
  const { backend, cpuKernel } = runtimeId();
  const writer = new UnitWriter(run.runDir, run.shard);
  let computed = 0;
  try {
    for (const unit of todo) {
      if (opts.signal?.aborted) break;
      const t0 = performance.now();
      const result = await compute(unit);
      if (result === UNIT_INTERRUPTED) break;
      const seconds = (performance.now() - t0) / 1000;
      await writer.append({
        index: unit.index, kind: unit.kind, model: unit.model, fingerprint: fingerprints.get(unit.model)!, settingsKey: plan.settingsKey,
        seconds, backend, cpuKernel, finishedAt: new Date().toISOString(), result,
      });
      computed++;
    }
  } finally {
    writer.close();
  }
  const left = todo.length - computed;
  if (left > 0) opts.log(`[${opts.label}] stopped between units: ${left} of this ${run.shard.count > 1 ? 'shard' : 'run'}'s units left; --resume${run.shard.count > 1 ? ` --shard ${run.shard.index}/${run.shard.count}` : ''} --run ${path.basename(run.runDir)} continues`);
  return { computed, skipped, left, stopped: left > 0, plan };
}

/**
 * Runs `merge` holding the run's `.lock`. When another live process holds it (another shard merging right now),
 * logs nothing and returns null: that process writes the summary.
 */
export async function mergeLocked<T>(runDir: string, analysis: string, merge: () => Promise<T>): Promise<T | null> {
  let lock: HeldLock;
  try {
    lock = acquireLock(shardLockFile(runDir, WHOLE_RUN), `${analysis} merge`);
  } catch (err) {
    if (err instanceof RunDirError) return null;
    throw err;
  }
  try {
    return await merge();
  } finally {
    lock.release();
  }
}

/** complete: merged; stopped: the signal stopped it between units; shard-done: this shard finished, others missing; planned: --plan, nothing computed. */
export type UnitRunStatus = 'complete' | 'stopped' | 'shard-done' | 'planned';

export interface PlannedRunResult<M> {
  status: UnitRunStatus;
  units: { done: number; total: number };
  runDir: string;
  /** The merge's result when this process merged (status complete). */
  merged: M | null;
}

/**
 * The shared tail of every analysis made of units: open (and lock) the run, compute this process's missing units,
 * check the models are unchanged, and merge when the whole plan is on disk (the last shard to finish merges).
 */
export async function runPlannedUnits<M>(
  analysis: string,
  settings: AnalysisSettings & UnitRunSettings,
  plan: UnitPlanFile,
  compute: (unit: PlannedUnit) => Promise<unknown>,
  merge: (runDir: string, plan: UnitPlanFile) => Promise<M>,
  opts: { signal?: AbortSignal; log: (m: string) => void; afterUnits?: () => Promise<void> },
): Promise<PlannedRunResult<M>> {
  const open = await openUnitRun(analysis, settings);
  try {
    const loop = await computeUnits(open, plan, compute, { signal: opts.signal, log: opts.log, label: analysis });
    await opts.afterUnits?.();
    const progress = readUnitProgress(open.runDir);
    const units = { done: progress.done, total: progress.total };
    if (loop.stopped) return { status: 'stopped', units, runDir: open.runDir, merged: null };
    if (progress.done < progress.total) {
      opts.log(`[${analysis}] shard ${open.shard.index}/${open.shard.count} done: ${progress.done} of ${progress.total} units of the run present; the last shard to finish merges (or: npm run experiment merge -- --run ${open.runDir})`);
      return { status: 'shard-done', units, runDir: open.runDir, merged: null };
    }
    open.release();
    const merged = await mergeLocked(open.runDir, analysis, () => merge(open.runDir, loop.plan));
    return { status: merged ? 'complete' : 'shard-done', units, runDir: open.runDir, merged };
  } finally {
    open.release();
  }
}

/** The plan's models: label, source and one fingerprint string (every parameter and buffer, bit for bit). */
export function plannedModels(models: readonly AnalysedModel[]): PlannedModel[] {
  return models.map((m) => ({
    label: m.label,
    source: m.source,
    fingerprint: stableHash([...(m.fingerprint ?? new Map())].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))),
  }));
}

/** The error merge gives when units are missing: how many, which indices, what to do. */
export function missingUnitsError(runDir: string, plan: UnitPlanFile, missing: readonly number[]): OptionError {
  return new OptionError(
    `${runDir}: ${missing.length} of ${plan.totalUnits} units missing (indices ${missing.slice(0, 12).join(', ')}${missing.length > 12 ? ', …' : ''}); ` +
      'expected every shard finished (run the missing shards, or --resume)',
  );
}
