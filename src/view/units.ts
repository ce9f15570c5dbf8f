// Progress of an analysis that runs as units of work (/work/wt/UNITS-CONTRACT.md, issue 21): plan.json says what
// the units are, units/shard-<i>-of-<n>.jsonl lists the finished ones (one JSON line each, appended), .lock holds
// the writer's pid. Everything here tolerates files that are half-written, missing or vanish while read: a reader
// of someone else's live run must never crash.
import { promises as fs } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { processAlive } from '../io/lock-file.ts';

export interface PlannedUnit {
  index: number;
  kind: string;
  model: string;
}

export interface UnitPlan {
  analysis: string;
  totalUnits: number;
  shards: number;
  units: PlannedUnit[];
  settingsKey: string;
  createdAt: string;
}

/** One finished unit as a writer appended it (unknown fields kept in `result`). */
export interface UnitRecord {
  index: number;
  kind: string;
  model: string;
  seconds: number;
  finishedAt: string;
  result: unknown;
}

export interface ShardProgress {
  shard: number;
  done: number;
  total: number;
}

export interface ModelProgress {
  model: string;
  done: number;
  total: number;
}

export interface LockInfo {
  pid: number;
  host: string;
  /** true: the pid runs here; false: it does not; null: another host (cannot tell). */
  alive: boolean | null;
}

export interface UnitProgress {
  plan: UnitPlan;
  /** Distinct unit indices finished, over all shard files. */
  done: number;
  shards: ShardProgress[];
  shardsDone: number;
  models: ModelProgress[];
  lock: LockInfo | null;
  /** Finished units in the order of finishedAt (the newest last). */
  records: UnitRecord[];
  /** Lines that did not parse (a writer killed mid-line leaves one). */
  skippedLines: number;
}

const obj = (v: unknown): Record<string, unknown> | undefined => (typeof v === 'object' && v !== null && !Array.isArray(v) ? (v as Record<string, unknown>) : undefined);
const int = (v: unknown): number | undefined => (typeof v === 'number' && Number.isInteger(v) && v >= 0 ? v : undefined);
const str = (v: unknown, fallback = ''): string => (typeof v === 'string' ? v : fallback);

async function readText(file: string): Promise<string | undefined> {
  try {
    return await fs.readFile(file, 'utf8');
  } catch {
    return undefined;
  }
}

/** plan.json of a run folder, or undefined when it is absent or not (yet) a plan. */
export async function readUnitPlan(runDir: string): Promise<UnitPlan | undefined> {
  const text = await readText(path.join(runDir, 'plan.json'));
  if (text === undefined) return undefined;
  let raw: Record<string, unknown> | undefined;
  try {
    raw = obj(JSON.parse(text));
  } catch {
    return undefined;
  }
  const totalUnits = int(raw?.totalUnits);
  if (!raw || totalUnits === undefined || !Array.isArray(raw.units)) return undefined;
  const units: PlannedUnit[] = [];
  for (const u of raw.units) {
    const o = obj(u);
    const index = int(o?.index);
    if (o && index !== undefined) units.push({ index, kind: str(o.kind), model: str(o.model) });
  }
  return {
    analysis: str(raw.analysis, 'analysis'),
    totalUnits,
    shards: Math.max(1, int(raw.shards) ?? 1),
    units,
    settingsKey: str(raw.settingsKey),
    createdAt: str(raw.createdAt),
  };
}

/** The writer's lock (src/io/lock-file.ts format), or null when there is none. */
export async function readLock(runDir: string): Promise<LockInfo | null> {
  const text = await readText(path.join(runDir, '.lock'));
  if (text === undefined) return null;
  try {
    const j = obj(JSON.parse(text));
    const pid = int(j?.pid);
    if (pid === undefined || pid === 0) return null;
    const host = str(j?.host);
    const here = host === '' || host === os.hostname();
    return { pid, host, alive: here ? processAlive(pid) : null };
  } catch {
    return null; // being created or garbage: no live owner to show
  }
}

/** The finished units of every units/*.jsonl file. */
async function readRecords(runDir: string): Promise<{ records: UnitRecord[]; skipped: number }> {
  const dir = path.join(runDir, 'units');
  let names: string[];
  try {
    names = (await fs.readdir(dir)).filter((n) => n.endsWith('.jsonl')).sort();
  } catch {
    return { records: [], skipped: 0 };
  }
  const records: UnitRecord[] = [];
  let skipped = 0;
  for (const name of names) {
    const text = await readText(path.join(dir, name));
    if (text === undefined) continue;
    for (const line of text.split('\n')) {
      if (line.trim() === '') continue;
      let o: Record<string, unknown> | undefined;
      try {
        o = obj(JSON.parse(line));
      } catch {
        skipped++;
        continue;
      }
      const index = int(o?.index);
      if (!o || index === undefined) {
        skipped++;
        continue;
      }
      records.push({
        index, kind: str(o.kind), model: str(o.model), seconds: typeof o.seconds === 'number' ? o.seconds : NaN, finishedAt: str(o.finishedAt), result: o.result,
      });
    }
  }
  records.sort((a, b) => a.finishedAt.localeCompare(b.finishedAt) || a.index - b.index);
  return { records, skipped };
}

/** The progress of a run folder with plan.json, or undefined when it has none. */
export async function readUnitProgress(runDir: string): Promise<UnitProgress | undefined> {
  const plan = await readUnitPlan(runDir);
  if (!plan) return undefined;
  const [{ records, skipped }, lock] = await Promise.all([readRecords(runDir), readLock(runDir)]);
  const finished = new Set(records.map((r) => r.index));
  // Shard i of n owns the units at positions p of plan.units with p % n == i.
  const shards: ShardProgress[] = Array.from({ length: plan.shards }, (_, shard) => ({ shard, done: 0, total: 0 }));
  const byModel = new Map<string, ModelProgress>();
  plan.units.forEach((u, p) => {
    const s = shards[p % plan.shards]!;
    s.total++;
    const m = byModel.get(u.model) ?? { model: u.model, done: 0, total: 0 };
    m.total++;
    if (finished.has(u.index)) {
      s.done++;
      m.done++;
    }
    byModel.set(u.model, m);
  });
  const planned = new Set(plan.units.map((u) => u.index));
  const done = plan.units.length > 0 ? [...finished].filter((i) => planned.has(i)).length : finished.size;
  return {
    plan, done, shards, shardsDone: shards.filter((s) => s.total > 0 && s.done === s.total).length, models: [...byModel.values()], lock, records, skippedLines: skipped,
  };
}
