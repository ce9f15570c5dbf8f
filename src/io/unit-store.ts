// Units of work on disk (docs: /UNITS-CONTRACT.md of the project): a long analysis writes its plan (plan.json) before
// computing anything, then appends every finished unit as one fsynced JSON line to units/shard-<i>-of-<n>.jsonl.
// A kill loses at most the unit in flight; a reader ignores a last line that does not parse (a kill mid-write),
// and a writer that reopens the file cuts that line off before appending. The summary JSON is rebuilt from the
// units (merge), so it does not depend on which process computed which unit.
import * as fs from 'node:fs';
import * as path from 'node:path';
import { createHash } from 'node:crypto';
import { fsyncDirSync, writeFileAtomicSync } from './atomic.ts';
import { faultPoint } from './fault-points.ts';
import { processAlive } from './lock-file.ts';
import { RUN_LOCK_FILE } from './run-dir.ts';
import { OptionError } from '../util/settings.ts';
import { isSystemErrorUserCanFix, WriteError } from '../util/errors.ts';

export const PLAN_FILE = 'plan.json';
export const UNITS_DIR = 'units';

/** Which part of the plan a process computes: the units at positions p with p % count === index. */
export interface ShardSpec {
  index: number;
  count: number;
}

export const WHOLE_RUN: ShardSpec = { index: 0, count: 1 };

/** One unit of the plan. `products`: its estimated Hessian-vector products (or model passes), for the time estimate. */
export interface PlannedUnit {
  index: number;
  kind: string;
  model: string;
  products?: number;
  /** The unit's place within its analysis (batch, subset, band, row, fraction) and, where a place has several, which. */
  position?: number;
  run?: number;
}

/** A model of the plan: units computed on other weights are refused by comparing fingerprints. */
export interface PlannedModel {
  label: string;
  fingerprint: string;
  source?: string;
}

export interface UnitPlanFile {
  analysis: string;
  totalUnits: number;
  shards: number;
  units: PlannedUnit[];
  settingsKey: string;
  createdAt: string;
  models: PlannedModel[];
  /** The analysis's own plan data (data layout, settings, parameter counts): what merge needs besides the units. */
  context?: unknown;
}

export interface UnitRecord<R = unknown> {
  index: number;
  kind: string;
  model: string;
  fingerprint: string;
  settingsKey: string;
  seconds: number;
  backend: string;
  cpuKernel: string;
  finishedAt: string;
  result: R;
}

/** A unit read back, with where it came from (errors name the file and line). */
export interface StoredUnit<R = unknown> {
  record: UnitRecord<R>;
  file: string;
  line: number;
}

/** Parses `--shard i/n` (0 <= i < n). */
export function parseShard(text: string, option = '--shard'): ShardSpec {
  const m = /^\s*(\d+)\s*\/\s*(\d+)\s*$/.exec(text);
  const index = m ? Number(m[1]) : NaN;
  const count = m ? Number(m[2]) : NaN;
  if (!m || !(count >= 1) || !(index < count))
    throw new OptionError(`option '${option}' is ${JSON.stringify(text)}, expected i/n with 0 <= i < n (e.g. 3/64)`);
  return { index, count };
}

export function shardName(shard: ShardSpec): string {
  return `shard-${shard.index}-of-${shard.count}`;
}

/** Whether the unit at `position` of plan.units belongs to `shard`. */
export function shardOwns(shard: ShardSpec, position: number): boolean {
  return position % shard.count === shard.index;
}

/** The lock a writer of this shard holds: `.lock` for a whole run (and merge), `.lock-shard-<i>-of-<n>` for a shard. */
export function shardLockFile(runDir: string, shard: ShardSpec): string {
  return path.join(runDir, shard.count === 1 ? RUN_LOCK_FILE : `.lock-${shardName(shard)}`);
}

/** A short stable hash of a JSON value (object keys sorted), for settings keys and fingerprints. */
export function stableHash(value: unknown): string {
  const canon = (v: unknown): unknown => {
    if (Array.isArray(v)) return v.map(canon);
    if (v && typeof v === 'object') return Object.fromEntries(Object.keys(v).sort().map((k) => [k, canon((v as Record<string, unknown>)[k])]));
    return v;
  };
  return createHash('sha256').update(JSON.stringify(canon(value))).digest('hex').slice(0, 16);
}

export function readUnitPlan(runDir: string): UnitPlanFile | null {
  const file = path.join(runDir, PLAN_FILE);
  if (!fs.existsSync(file)) return null;
  let plan: UnitPlanFile;
  try {
    plan = JSON.parse(fs.readFileSync(file, 'utf8')) as UnitPlanFile;
  } catch (err) {
    throw new OptionError(`${file}: not valid JSON (${(err as Error).message}); expected the plan of a run with units of work`);
  }
  if (!Array.isArray(plan.units) || typeof plan.settingsKey !== 'string' || typeof plan.analysis !== 'string')
    throw new OptionError(`${file}: fields 'analysis', 'units' or 'settingsKey' missing; expected the plan of a run with units of work`);
  return plan;
}

/**
 * Writes plan.json, or checks the one there: the same analysis, settings key and model fingerprints (a shard or a
 * resumed run must continue exactly the run it names). Throws an OptionError naming what differs.
 */
export function writeOrCheckPlan(runDir: string, plan: UnitPlanFile): UnitPlanFile {
  const old = readUnitPlan(runDir);
  if (!old) {
    writeFileAtomicSync(path.join(runDir, PLAN_FILE), JSON.stringify(plan, null, 2) + '\n');
    return plan;
  }
  const file = path.join(runDir, PLAN_FILE);
  if (old.analysis !== plan.analysis)
    throw new OptionError(`${file}: the run is a '${old.analysis}' analysis, this is '${plan.analysis}'; expected the same analysis (choose another --run)`);
  if (old.settingsKey !== plan.settingsKey)
    throw new OptionError(`${file}: field 'settingsKey' is ${old.settingsKey}, these settings give ${plan.settingsKey}; expected the settings the run was started with (choose another --run)`);
  const differing = plan.models.filter((m, i) => old.models[i]?.label !== m.label || old.models[i]?.fingerprint !== m.fingerprint);
  if (differing.length > 0 || old.models.length !== plan.models.length)
    throw new OptionError(
      `${file}: models are ${old.models.map((m) => `${m.label} [${m.fingerprint}]`).join(', ')}, found ${plan.models.map((m) => `${m.label} [${m.fingerprint}]`).join(', ')}; ` +
        'expected the same weights the run was started with (choose another --run)',
    );
  if (old.totalUnits !== plan.totalUnits)
    throw new OptionError(`${file}: field 'totalUnits' is ${old.totalUnits}, this plan has ${plan.totalUnits}; expected the same plan`);
  return old;
}

/** The units file of a shard. */
export function unitsFile(runDir: string, shard: ShardSpec): string {
  return path.join(runDir, UNITS_DIR, `${shardName(shard)}.jsonl`);
}

/** Cuts an unterminated last line (a kill mid-write) so the next append starts on a fresh line. */
function dropPartialLine(file: string): void {
  if (!fs.existsSync(file)) return;
  const data = fs.readFileSync(file);
  if (data.length === 0 || data[data.length - 1] === 0x0a) return;
  const keep = data.lastIndexOf(0x0a) + 1;
  fs.truncateSync(file, keep);
}

/** JSON keeps every finite double exactly; NaN and ±Infinity (which JSON turns into null) are written as strings. */
function keepNonFinite(_key: string, value: unknown): unknown {
  return typeof value === 'number' && !Number.isFinite(value) ? String(value) : value;
}

function reviveNonFinite(_key: string, value: unknown): unknown {
  return value === 'NaN' ? NaN : value === 'Infinity' ? Infinity : value === '-Infinity' ? -Infinity : value;
}

export function encodeUnitLine(record: UnitRecord): string {
  return JSON.stringify(record, keepNonFinite) + '\n';
}

/** Appends finished units of one shard, each line fsynced before append() resolves. */
export class UnitWriter {
  readonly file: string;
  private fd: number;

  constructor(runDir: string, shard: ShardSpec) {
    this.file = unitsFile(runDir, shard);
    try {
      fs.mkdirSync(path.dirname(this.file), { recursive: true });
      dropPartialLine(this.file);
      const created = !fs.existsSync(this.file);
      this.fd = fs.openSync(this.file, 'a');
      if (created) fsyncDirSync(path.dirname(this.file));
    } catch (err) {
      throw isSystemErrorUserCanFix(err) ? new WriteError(this.file, err) : err;
    }
  }

  async append(record: UnitRecord): Promise<void> {
    await faultPoint('unit-computed');
    const line = encodeUnitLine(record);
    try {
      if (process.env.VITSCOPE_FAULT_PAUSE?.includes('unit-half-written')) {
        // a test kills the process between the two halves of a line
        const half = Math.floor(line.length / 2);
        fs.writeSync(this.fd, line.slice(0, half));
        fs.fsyncSync(this.fd);
        await faultPoint('unit-half-written');
        fs.writeSync(this.fd, line.slice(half));
      } else fs.writeSync(this.fd, line);
      fs.fsyncSync(this.fd);
    } catch (err) {
      throw isSystemErrorUserCanFix(err) ? new WriteError(this.file, err) : err;
    }
    await faultPoint('unit-appended');
  }

  close(): void {
    fs.closeSync(this.fd);
  }
}

/** Every unit of every units file of the run (a last line that does not parse is skipped), files in name order. */
export function readUnits<R = unknown>(runDir: string): StoredUnit<R>[] {
  const dir = path.join(runDir, UNITS_DIR);
  if (!fs.existsSync(dir)) return [];
  const out: StoredUnit<R>[] = [];
  for (const name of fs.readdirSync(dir).filter((f) => f.endsWith('.jsonl')).sort()) {
    const file = path.join(dir, name);
    const lines = fs.readFileSync(file, 'utf8').split('\n');
    if (lines[lines.length - 1] === '') lines.pop();
    lines.forEach((text, i) => {
      let record: UnitRecord<R>;
      try {
        record = JSON.parse(text, reviveNonFinite) as UnitRecord<R>;
      } catch (err) {
        if (i === lines.length - 1) return; // a kill mid-write
        throw new OptionError(`${file}: line ${i + 1} is not valid JSON (${(err as Error).message}); expected one finished unit per line`);
      }
      if (!Number.isInteger(record.index) || typeof record.kind !== 'string')
        throw new OptionError(`${file}: line ${i + 1}: field 'index' is ${JSON.stringify(record.index)}, expected a unit index`);
      out.push({ record, file, line: i + 1 });
    });
  }
  return out;
}

export interface ShardProgress {
  shard: number;
  of: number;
  done: number;
  total: number;
  complete: boolean;
}

export interface UnitProgress {
  plan: UnitPlanFile | null;
  done: number;
  total: number;
  doneIndices: Set<number>;
  shards: ShardProgress[];
  summaryWritten: boolean;
  lockAlive: boolean;
  status: 'finished' | 'running' | 'stopped' | 'not-started';
}

/** The summary file each analysis writes when its units are merged. */
export function summaryFileOf(analysis: string): string {
  return `${analysis}.json`;
}

function liveLock(runDir: string): boolean {
  for (const name of fs.existsSync(runDir) ? fs.readdirSync(runDir) : []) {
    if (name !== RUN_LOCK_FILE && !name.startsWith('.lock-shard-')) continue;
    try {
      const owner = JSON.parse(fs.readFileSync(path.join(runDir, name), 'utf8')) as { pid?: number };
      if (typeof owner.pid === 'number' && processAlive(owner.pid)) return true;
    } catch {
      // unreadable: a writer killed while creating it
    }
  }
  return false;
}

/** A run's progress as read from disk (plan.json, units/, the summary and the locks); no tensors, no models. */
export function readUnitProgress(runDir: string): UnitProgress {
  const plan = readUnitPlan(runDir);
  const units = plan ? readUnits(runDir) : [];
  const doneIndices = new Set(units.map((u) => u.record.index));
  const total = plan?.totalUnits ?? 0;
  const count = plan?.shards ?? 1;
  const shards: ShardProgress[] = [];
  for (let i = 0; i < count && plan; i++) {
    const owned = plan.units.filter((_, p) => p % count === i);
    const done = owned.filter((u) => doneIndices.has(u.index)).length;
    shards.push({ shard: i, of: count, done, total: owned.length, complete: done === owned.length });
  }
  const summaryWritten = plan ? fs.existsSync(path.join(runDir, summaryFileOf(plan.analysis))) : false;
  const lockAlive = liveLock(runDir);
  const status = !plan ? 'not-started' : summaryWritten && doneIndices.size >= total ? 'finished' : lockAlive ? 'running' : 'stopped';
  return { plan, done: doneIndices.size, total, doneIndices, shards, summaryWritten, lockAlive, status };
}

/**
 * The units of a run that merge reduces, by plan index: every stored unit must belong to the plan (same index, kind
 * and model), the run's settings key and its model's fingerprint; otherwise an OptionError names each such unit
 * (file, line, index) and what differs. A unit stored twice (a shard run again) counts once (the first). `missing`
 * lists the plan indices without a unit.
 */
export function collectUnits<R = unknown>(runDir: string, plan: UnitPlanFile): { units: Map<number, UnitRecord<R>>; missing: number[] } {
  const fingerprints = new Map(plan.models.map((m) => [m.label, m.fingerprint]));
  const byIndex = new Map(plan.units.map((u) => [u.index, u]));
  const bad: string[] = [];
  const units = new Map<number, UnitRecord<R>>();
  for (const { record, file, line } of readUnits<R>(runDir)) {
    const where = `${path.relative(runDir, file)}:${line} (unit ${record.index}, ${record.kind}, model '${record.model}')`;
    const planned = byIndex.get(record.index);
    if (!planned) bad.push(`${where}: index ${record.index} is not in plan.json (${plan.totalUnits} units)`);
    else if (planned.kind !== record.kind || planned.model !== record.model)
      bad.push(`${where}: plan.json has ${planned.kind} of model '${planned.model}' at index ${record.index}`);
    else if (record.settingsKey !== plan.settingsKey)
      bad.push(`${where}: settings key ${record.settingsKey}, the run's is ${plan.settingsKey} (computed with other settings)`);
    else if (record.fingerprint !== fingerprints.get(record.model))
      bad.push(`${where}: model fingerprint ${record.fingerprint}, the run's is ${fingerprints.get(record.model)} (computed on other weights)`);
    else if (!units.has(record.index)) units.set(record.index, record);
  }
  if (bad.length > 0)
    throw new OptionError(
      `${runDir}: ${bad.length} unit${bad.length > 1 ? 's' : ''} do not belong to this run, expected units of plan.json's settings and weights:\n  ` +
        bad.slice(0, 20).join('\n  ') + (bad.length > 20 ? `\n  … (${bad.length - 20} more)` : ''),
    );
  const missing = plan.units.map((u) => u.index).filter((i) => !units.has(i));
  return { units, missing };
}
