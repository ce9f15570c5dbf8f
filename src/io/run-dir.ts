// Run folders: <results>/<run>/. A new run never lands in an existing run's folder: a run without a name
// gets <prefix>-<UTC time stamp> (numbered -2, -3… if taken); a named run that already holds files is
// refused (exit status 2) unless it is resumed or explicitly overwritten. One writer per run folder
// (lock-file.ts): openRunDir chooses the folder and takes its lock.
import { promises as fs, existsSync, readdirSync, rmSync, statSync } from 'node:fs';
import * as path from 'node:path';
import { acquireLock, type HeldLock } from './lock-file.ts';
import { ConfigError, isSystemErrorUserCanFix, RunDirError, WriteError } from '../util/errors.ts';

export const RUN_LOCK_FILE = '.lock';

/** Run names become folder names: letters, digits, '.', '_' and '-' only. */
export function checkRunName(name: string): string {
  if (!/^[A-Za-z0-9._-]+$/.test(name) || name === '.' || name === '..')
    throw new ConfigError('options', '--run', JSON.stringify(name), "a name usable as a folder name (letters, digits, '.', '_' or '-')");
  return name;
}

export interface RunDirRequest {
  /** The results root (`--results`). */
  results: string;
  /** An explicit run name (`--run`); undefined or '': a new time-stamped name, or the newest run when reusing. */
  run?: string;
  /** The start of generated names, e.g. `train-resnet-20`. */
  prefix: string;
  /** Continue an existing run (`--resume`): a named run may exist; without a name the newest `<prefix>…` run is used. */
  reuse?: boolean;
  /** Replace the named run if it exists (`--overwrite`); the caller deletes what it replaces. */
  overwrite?: boolean;
  /** The clock for generated names (tests). */
  now?: Date;
}

export interface ChosenRunDir {
  dir: string;
  name: string;
  /** new: empty or created now; reuse: an existing run continued; overwrite: an existing run to replace. */
  mode: 'new' | 'reuse' | 'overwrite';
}

export interface OpenRunDir extends ChosenRunDir, HeldLock {}

/** `<prefix>-YYYYMMDD-HHMMSS` in UTC. */
export function timeStampedName(prefix: string, now: Date = new Date()): string {
  const p = (n: number, w = 2): string => String(n).padStart(w, '0');
  const stamp = `${p(now.getUTCFullYear(), 4)}${p(now.getUTCMonth() + 1)}${p(now.getUTCDate())}-${p(now.getUTCHours())}${p(now.getUTCMinutes())}${p(now.getUTCSeconds())}`;
  return `${prefix}-${stamp}`;
}

/** What a folder holds, apart from its lock file (empty: usable for a new run). */
export function runContents(dir: string): string[] {
  if (!existsSync(dir)) return [];
  return readdirSync(dir).filter((e) => e !== RUN_LOCK_FILE).sort();
}

function escapeRegExp(s: string): string {
  return s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}

/** The most recently written run called `<prefix>` or `<prefix>-<stamp>[-N]` under `results`, or null. */
export function newestRun(results: string, prefix: string): string | null {
  if (!existsSync(results)) return null;
  const pattern = new RegExp(`^${escapeRegExp(prefix)}(-\\d{8}-\\d{6}(-\\d+)?)?$`);
  let best: { name: string; t: number } | null = null;
  for (const e of readdirSync(results, { withFileTypes: true })) {
    if (!e.isDirectory() || !pattern.test(e.name)) continue;
    const t = statSync(path.join(results, e.name)).mtimeMs;
    if (!best || t > best.t || (t === best.t && e.name > best.name)) best = { name: e.name, t };
  }
  return best?.name ?? null;
}

async function mkdirOrExplain(dir: string, recursive: boolean): Promise<boolean> {
  try {
    await fs.mkdir(dir, { recursive });
    return true;
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'EEXIST') return false;
    throw isSystemErrorUserCanFix(err) ? new WriteError(dir, err) : err;
  }
}

function namedRunMode(dir: string, name: string, req: RunDirRequest): ChosenRunDir['mode'] {
  const held = runContents(dir);
  if (held.length === 0) return 'new';
  if (req.reuse) return 'reuse';
  if (req.overwrite) return 'overwrite';
  const shown = held.slice(0, 4).join(', ') + (held.length > 4 ? `, … (${held.length} entries)` : '');
  throw new RunDirError(
    dir,
    `--run '${name}': ${dir} already holds a run (${shown}); expected a new run name, --resume to continue it, or --overwrite to replace it`,
  );
}

function namedRunDir(results: string, run: string): { dir: string; name: string } {
  const name = checkRunName(run);
  const dir = path.join(results, name);
  if (existsSync(dir) && !statSync(dir).isDirectory())
    throw new RunDirError(dir, `${dir}: found a file where the run folder should be; expected a folder (choose another --run)`);
  return { dir, name };
}

async function newRunDir(results: string, req: RunDirRequest): Promise<ChosenRunDir> {
  if (req.reuse) {
    const newest = newestRun(results, req.prefix);
    if (newest) return { dir: path.join(results, newest), name: newest, mode: 'reuse' };
  }
  const base = timeStampedName(req.prefix, req.now);
  for (let n = 1; n < 10_000; n++) {
    const name = n === 1 ? base : `${base}-${n}`;
    const dir = path.join(results, name);
    if (await mkdirOrExplain(dir, false)) return { dir, name, mode: 'new' };
  }
  throw new RunDirError(results, `${results}: no free run name starting with ${base}; expected fewer runs of the same second`);
}

/** Chooses (and creates) the run folder as the rules above say, without locking it. */
export async function chooseRunDir(req: RunDirRequest): Promise<ChosenRunDir> {
  const results = path.resolve(req.results);
  await mkdirOrExplain(results, true);
  if (req.run === undefined || req.run === '') return newRunDir(results, req);
  const { dir, name } = namedRunDir(results, req.run);
  const mode = namedRunMode(dir, name, req);
  await mkdirOrExplain(dir, true);
  return { dir, name, mode };
}

/** The lock's release, which also removes a folder created for this run if nothing was written into it. */
function releasing(chosen: ChosenRunDir, lock: HeldLock): OpenRunDir {
  return {
    ...chosen,
    file: lock.file,
    release: () => {
      lock.release();
      if (chosen.mode === 'new' && existsSync(chosen.dir) && runContents(chosen.dir).length === 0) rmSync(chosen.dir, { recursive: true, force: true });
    },
  };
}

/**
 * Chooses the run folder and takes its writer lock. A named run is locked before its contents are judged, so a
 * second process aimed at a run in use is refused with the other process's id.
 */
export async function openRunDir(req: RunDirRequest, purpose?: string): Promise<OpenRunDir> {
  const results = path.resolve(req.results);
  await mkdirOrExplain(results, true);
  if (req.run === undefined || req.run === '') {
    const chosen = await newRunDir(results, req);
    return releasing(chosen, acquireLock(path.join(chosen.dir, RUN_LOCK_FILE), purpose));
  }
  const { dir, name } = namedRunDir(results, req.run);
  await mkdirOrExplain(dir, true);
  const lock = acquireLock(path.join(dir, RUN_LOCK_FILE), purpose);
  try {
    return releasing({ dir, name, mode: namedRunMode(dir, name, req) }, lock);
  } catch (err) {
    lock.release();
    throw err;
  }
}
