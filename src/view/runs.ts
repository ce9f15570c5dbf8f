// The runs of a results folder as the browser lists them: what each run is (command, models/checkpoints,
// protocol, data, date), where its analyses sit (a plain run holds one; `all` nests train/<preset>/ and
// <analysis>/), and its status (finished; running with unit progress; stopped; sharded with shards done).
// Reading never throws for a run's content: a half-written, foreign or vanished file makes that run's entry
// poorer, not the listing fail. Metadata is recomputed only when a run's files change (size or mtime).
import { createHash } from 'node:crypto';
import { promises as fs, type Dirent } from 'node:fs';
import * as path from 'node:path';
import { readLock, readUnitProgress, type UnitProgress } from './units.ts';

export const ANALYSIS_FILES = ['hessian', 'fourier', 'noise', 'variance', 'landscape', 'datasize'] as const;
export type AnalysisFile = (typeof ANALYSIS_FILES)[number];
export type PartKind = AnalysisFile | 'train';

/** One analysis (or training run) inside a run folder. */
export interface RunPart {
  kind: PartKind;
  /** Folder of the part, relative to the results root, '/'-separated. */
  dir: string;
  /** Its summary file exists (for training: metrics.jsonl). */
  finished: boolean;
  /** Units progress when the part has plan.json. */
  units?: UnitSummary;
}

export interface UnitSummary {
  analysis: string;
  done: number;
  total: number;
  shards: number;
  shardsDone: number;
  models: { model: string; done: number; total: number }[];
}

export type RunState = 'finished' | 'running' | 'stopped' | 'sharded' | 'failed' | 'empty';

export interface RunStatus {
  state: RunState;
  /** What the status column shows, e.g. "running, 3 of 8 units" or "sharded, 1 of 2 shards done". */
  text: string;
  done?: number;
  total?: number;
}

export interface RunInfo {
  name: string;
  command: string;
  models: string[];
  checkpoints: string[];
  protocol: string;
  data: string;
  /** ISO time: the time stamp in the run's name, else its newest file. */
  date: string;
  status: RunStatus;
  parts: RunPart[];
  /** Changes whenever a file the entry is made from changes (the page refreshes a selected run on it). */
  signature: string;
}

const SKIP_DIRS = new Set(['checkpoints', 'figures', 'units', 'slurm', 'data', 'cache', 'node_modules']);
const MAX_PART_DEPTH = 3;

type Json = Record<string, unknown>;
const obj = (v: unknown): Json => (typeof v === 'object' && v !== null && !Array.isArray(v) ? (v as Json) : {});
const arr = (v: unknown): unknown[] => (Array.isArray(v) ? v : []);
const str = (v: unknown): string | undefined => (typeof v === 'string' && v !== '' ? v : undefined);

async function listDir(dir: string): Promise<Dirent[]> {
  try {
    return await fs.readdir(dir, { withFileTypes: true });
  } catch {
    return [];
  }
}

/** A JSON file's value, or undefined when it is absent, half-written or not JSON. */
export async function readJsonQuietly(file: string): Promise<unknown> {
  try {
    return JSON.parse(await fs.readFile(file, 'utf8')) as unknown;
  } catch {
    return undefined;
  }
}

/** Folders of the run (itself first) that hold an analysis summary, a training run or a unit plan. */
async function findParts(root: string, rel: string, depth: number, out: { rel: string; names: Set<string> }[]): Promise<void> {
  const entries = await listDir(path.join(root, rel));
  const names = new Set(entries.filter((e) => e.isFile()).map((e) => e.name));
  out.push({ rel, names });
  if (depth >= MAX_PART_DEPTH) return;
  const isDataSize = names.has('datasize.json') || names.has('datasize.csv');
  for (const e of entries.sort((a, b) => a.name.localeCompare(b.name))) {
    if (!e.isDirectory() || e.name.startsWith('.') || SKIP_DIRS.has(e.name)) continue;
    if (isDataSize && e.name === 'runs') continue; // the study's sub-runs are its points, not runs of their own
    await findParts(root, `${rel}/${e.name}`, depth + 1, out);
  }
}

/** A stamp such as `-20261205-081500` in a run name, as an ISO time. */
function dateFromName(name: string): string | undefined {
  const m = /(\d{4})(\d{2})(\d{2})-(\d{2})(\d{2})(\d{2})/.exec(name);
  if (!m) return undefined;
  const t = Date.UTC(+m[1]!, +m[2]! - 1, +m[3]!, +m[4]!, +m[5]!, +m[6]!);
  return Number.isFinite(t) ? new Date(t).toISOString() : undefined;
}

/** The stat line of every file the entry depends on: the part folders' files, units/*, the lock. */
async function signatureOf(root: string, dirs: string[]): Promise<{ signature: string; newest: number }> {
  const h = createHash('sha1');
  let newest = 0;
  const files = (
    await Promise.all(dirs.flatMap((rel) => ['', '/units'].map(async (sub) => (await listDir(path.join(root, rel + sub))).filter((e) => e.isFile()).map((e) => `${rel}${sub}/${e.name}`))))
  ).flat();
  const stats = await Promise.all(files.map((f) => fs.stat(path.join(root, f)).catch(() => undefined))); // vanished between readdir and stat
  files.forEach((f, i) => {
    const st = stats[i];
    if (!st) return;
    h.update(`${f}:${st.size}:${st.mtimeMs}\n`);
    newest = Math.max(newest, st.mtimeMs);
  });
  return { signature: h.digest('hex').slice(0, 16), newest };
}

function unitSummary(p: UnitProgress): UnitSummary {
  return { analysis: p.plan.analysis, done: p.done, total: p.plan.totalUnits, shards: p.plan.shards, shardsDone: p.shardsDone, models: p.models };
}

interface Described {
  models: string[];
  checkpoints: string[];
  protocol?: string;
  data?: string;
}

/** Models, checkpoints, protocol and data of an analysis summary (every report names them the same way). */
function describeReport(kind: AnalysisFile, report: Json): Described {
  if (kind === 'datasize') return { models: [...new Set(arr(report.points).map((p) => String(obj(p).model)))], checkpoints: [] };
  const models = arr(report.models).map(obj);
  const settings = obj(report.settings);
  const data = obj(report.data);
  const firstData = obj(models[0]?.data);
  return {
    models: models.map((m) => String(m.label ?? m.preset ?? '?')),
    checkpoints: models.map((m) => str(m.source)).filter((s): s is string => s !== undefined && s.includes(path.sep)),
    protocol: str(report.protocol) ?? str(settings.protocol),
    data: str(data.source) ?? str(firstData.source) ?? str(data.dir),
  };
}

function describeTraining(config: Json): Described {
  const resolved = obj(config.resolved);
  const epochs = typeof config.epochs === 'number' ? `${config.epochs} epoch(s)` : undefined;
  return {
    models: str(config.model) ? [String(config.model)] : [],
    checkpoints: [],
    protocol: [str(config.optimizer), epochs].filter(Boolean).join(', ') || undefined,
    data: str(resolved.dataSource) ?? str(config.data),
  };
}

async function describeRun(root: string, name: string): Promise<RunInfo> {
  const found: { rel: string; names: Set<string> }[] = [];
  await findParts(root, name, 0, found);
  const parts: RunPart[] = [];
  const described: Described[] = [];
  let command: string | undefined;
  let planCreated: string | undefined;
  const top = found[0]!;
  if (top.names.has('all.json')) command = 'all';
  for (const { rel, names } of found) {
    const dir = path.join(root, rel);
    const progress = names.has('plan.json') ? await readUnitProgress(dir) : undefined;
    if (progress && !planCreated && Number.isFinite(Date.parse(progress.plan.createdAt))) planCreated = new Date(progress.plan.createdAt).toISOString();
    for (const kind of ANALYSIS_FILES) {
      const summary = names.has(`${kind}.json`);
      if (!summary && progress?.plan.analysis !== kind) continue;
      const part: RunPart = { kind, dir: rel, finished: summary };
      if (progress && progress.plan.analysis === kind) part.units = unitSummary(progress);
      parts.push(part);
      if (summary) {
        const report = await readJsonQuietly(path.join(dir, `${kind}.json`));
        if (report !== undefined) described.push(describeReport(kind, obj(report)));
      } else if (progress) {
        described.push({ models: progress.models.map((m) => m.model), checkpoints: [] });
      }
    }
    if (names.has('config.json') && (names.has('metrics.jsonl') || names.has('metrics.csv') || top.rel === rel)) {
      const config = obj(await readJsonQuietly(path.join(dir, 'config.json')));
      if (str(config.model)) {
        parts.push({ kind: 'train', dir: rel, finished: names.has('metrics.jsonl') });
        described.push(describeTraining(config));
      }
    }
  }
  command ??= parts.find((p) => p.dir === name)?.kind ?? (parts[0] ? (parts.every((p) => p.kind === parts[0]!.kind) ? parts[0].kind : 'mixed') : 'unknown');
  const { signature, newest } = await signatureOf(root, found.map((f) => f.rel));
  const status = await runStatus(root, name, command, parts);
  const uniq = (xs: (string | undefined)[]) => [...new Set(xs.filter((x): x is string => x !== undefined && x !== ''))];
  return {
    name,
    command,
    models: uniq(described.flatMap((d) => d.models)),
    checkpoints: uniq(described.flatMap((d) => d.checkpoints)),
    protocol: uniq(described.map((d) => d.protocol)).join('; '),
    data: uniq(described.map((d) => d.data)).join('; '),
    date: dateFromName(name) ?? planCreated ?? (newest > 0 ? new Date(newest).toISOString() : ''),
    status,
    parts,
    signature,
  };
}

/** slurm/job-id of a sharded run (the submitted array job), or undefined. */
async function readSlurmJob(dir: string): Promise<string | undefined> {
  try {
    const id = (await fs.readFile(path.join(dir, 'slurm', 'job-id'), 'utf8')).trim();
    return /^[\w.-]{1,40}$/.test(id) ? id : undefined;
  } catch {
    return undefined;
  }
}

/** Status as UNITS-CONTRACT.md defines it for unit runs; training by its epochs; `all` by its stages. */
async function runStatus(root: string, name: string, command: string, parts: RunPart[]): Promise<RunStatus> {
  const isLive = async (dir: string) => {
    const lock = await readLock(dir);
    return lock !== null && lock.alive !== false;
  };
  const pending = parts.filter((p) => !p.finished && p.units);
  // The run's writer, or the writer of a stage (`all` writes <run>/<analysis>/ with a lock of its own).
  let live = await isLive(path.join(root, name));
  for (const p of pending) if (!live && p.dir !== name) live = await isLive(path.join(root, p.dir));
  if (pending.length > 0) {
    const done = pending.reduce((s, p) => s + p.units!.done, 0);
    const total = pending.reduce((s, p) => s + p.units!.total, 0);
    const sharded = pending.find((p) => p.units!.shards > 1);
    const units = `${done} of ${total} units`;
    if (sharded) {
      const u = sharded.units!;
      const job = await readSlurmJob(path.join(root, sharded.dir));
      return { state: 'sharded', text: `sharded, ${u.shardsDone} of ${u.shards} shards done (${units})${live ? ', running' : ''}${job ? `, Slurm job ${job}` : ''}`, done, total };
    }
    if (live) return { state: 'running', text: done === total ? `running: merging ${units}` : `running, ${units}`, done, total };
    return { state: 'stopped', text: `stopped at ${units} (resumable)`, done, total };
  }
  if (live) return { state: 'running', text: command === 'all' ? 'running (all)' : 'running' };
  if (parts.length === 0) return { state: 'empty', text: 'no results yet' };
  if (command === 'all') {
    const all = obj(await readJsonQuietly(path.join(root, name, 'all.json')));
    const failed = arr(all.stages).map(obj).filter((s) => s.status === 'failed' || s.status === 'interrupted');
    if (failed.length) return { state: 'failed', text: `finished with ${failed.length} failed stage(s): ${failed.map((s) => String(s.stage)).join(', ')}` };
  }
  const unfinishedTrain = parts.find((p) => p.kind === 'train' && !p.finished);
  if (unfinishedTrain) return { state: 'stopped', text: 'training stopped before its first epoch' };
  return { state: 'finished', text: 'finished' };
}

/** Scans a results folder; one instance per server keeps the last entry of each run until its files change. */
export class RunIndex {
  private readonly cache = new Map<string, { quick: string; info: RunInfo }>();

  constructor(readonly root: string) {}

  /** Every run folder directly under the root, newest first. */
  async list(): Promise<RunInfo[]> {
    const entries = (await listDir(this.root)).filter((e) => e.isDirectory() && !e.name.startsWith('.') && isRunName(e.name));
    const seen = new Set(entries.map((e) => e.name));
    // Concurrently: the time is in file-system calls, not in JavaScript.
    const described = await Promise.all(entries.map((e) => this.describe(e.name).catch(() => undefined))); // deleted while read: not listed this time
    const out = described.filter((r): r is RunInfo => r !== undefined);
    for (const name of [...this.cache.keys()]) if (!seen.has(name)) this.cache.delete(name);
    return out.sort((a, b) => b.date.localeCompare(a.date) || a.name.localeCompare(b.name));
  }

  /** One run's entry (recomputed when its files changed). */
  async describe(name: string): Promise<RunInfo> {
    const found: { rel: string; names: Set<string> }[] = [];
    await findParts(this.root, name, 0, found);
    const { signature } = await signatureOf(this.root, found.map((f) => f.rel));
    // A lock's liveness changes without any file changing (the writer dies): part of the cache key.
    const locks = await Promise.all(found.filter((f) => f.names.has('.lock')).map((f) => readLock(path.join(this.root, f.rel))));
    const quick = `${signature}:${locks.map((l) => l?.alive ?? 'none').join(',')}`;
    const hit = this.cache.get(name);
    if (hit && hit.quick === quick) return hit.info;
    const info = await describeRun(this.root, name);
    this.cache.set(name, { quick, info });
    return info;
  }
}

/** Run folder names the browser serves (the run-name rule of src/io/run-dir.ts). */
export function isRunName(name: string): boolean {
  return /^[A-Za-z0-9._-]+$/.test(name) && name !== '.' && name !== '..';
}
