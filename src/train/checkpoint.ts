// Training checkpoints: results/<run>/checkpoints/<tag>/ written by the models package's saveCheckpoint
// (parameters, buffers, optimizer slots and a JSON state), plus checkpoints/latest.json naming the newest
// one for --resume, and pruning of old epoch-N checkpoints. After a crash (even SIGKILL inside a write)
// resumeCheckpoint finds the last complete checkpoint, whatever latest.json says.
import { promises as fs, existsSync, readdirSync } from 'node:fs';
import * as path from 'node:path';
import { writeJsonAtomic } from '../io/atomic.ts';
import { faultPoint } from '../io/fault-points.ts';
import { recoverCheckpointSwaps } from '../models/checkpoint.ts';
import { CheckpointError } from '../util/errors.ts';
import { loadCheckpoint, saveCheckpoint } from '../models/checkpoint.ts';
import type { Model } from '../models/model.ts';
import type { OptimizerState } from './optimizer.ts';

export interface LoadedCheckpoint {
  model: Model;
  optimizer?: OptimizerState;
  state?: unknown;
}

/** How checkpoints are written and read (the models package's functions, or a stand-in in tests). */
export interface CheckpointIO {
  save(dir: string, contents: { model: Model; optimizer?: OptimizerState; state?: unknown }): Promise<void>;
  load(dir: string): Promise<LoadedCheckpoint>;
}

/** The models package's saveCheckpoint/loadCheckpoint. */
export async function defaultCheckpointIO(): Promise<CheckpointIO> {
  return {
    save: async (dir, c) => {
      await saveCheckpoint(dir, c);
    },
    load: async (dir) => {
      const r = await loadCheckpoint(dir);
      return { model: r.model, optimizer: r.optimizer, state: r.state };
    },
  };
}

export interface LatestPointer {
  tag: string;
  step: number;
  epoch: number;
}

export function latestPointerPath(runDir: string): string {
  return path.join(runDir, 'checkpoints', 'latest.json');
}

export async function readLatest(runDir: string): Promise<LatestPointer | null> {
  const file = latestPointerPath(runDir);
  if (!existsSync(file)) return null;
  let j: LatestPointer;
  try {
    j = JSON.parse(await fs.readFile(file, 'utf8')) as LatestPointer;
  } catch (err) {
    throw new CheckpointError(file, `${file}: not valid JSON (${(err as Error).message}); expected { tag: string, step: number, epoch: number }`, { cause: err });
  }
  if (typeof j !== 'object' || j === null || typeof j.tag !== 'string' || typeof j.step !== 'number')
    throw new CheckpointError(file, `${file}: expected { tag: string, step: number, epoch: number }, found ${JSON.stringify(j)}`);
  return j;
}

export async function writeLatest(runDir: string, p: LatestPointer): Promise<void> {
  await faultPoint('latest-pointer');
  await writeJsonAtomic(latestPointerPath(runDir), p);
}

/** The step and epoch a complete checkpoint's state.json records, or null when it is incomplete or unreadable. */
async function completeCheckpointAt(dir: string): Promise<{ step: number; epoch: number } | null> {
  if (!existsSync(path.join(dir, 'model.json')) || !existsSync(path.join(dir, 'weights.safetensors'))) return null;
  try {
    const state = JSON.parse(await fs.readFile(path.join(dir, 'state.json'), 'utf8')) as { step?: unknown; epoch?: unknown };
    return typeof state.step === 'number' && typeof state.epoch === 'number' ? { step: state.step, epoch: state.epoch } : null;
  } catch {
    return null;
  }
}

/**
 * The checkpoint --resume continues from: the complete one (model.json, weights and state.json present) with the
 * most steps; on a tie the one latest.json names. First repairs an interrupted checkpoint swap and removes
 * unfinished writes (the caller holds the run's lock). Null when the run has no complete checkpoint.
 */
export async function resumeCheckpoint(runDir: string, log?: (m: string) => void): Promise<LatestPointer | null> {
  const root = path.join(runDir, 'checkpoints');
  if (!existsSync(root)) return null;
  const restored = await recoverCheckpointSwaps(root);
  if (restored.length) log?.(`[train] restored checkpoint${restored.length > 1 ? 's' : ''} ${restored.join(', ')} (a crash came while it was being replaced)`);
  let pointer: LatestPointer | null = null;
  try {
    pointer = await readLatest(runDir);
  } catch (err) {
    log?.(`[train] ignoring ${latestPointerPath(runDir)}: ${(err as Error).message}`);
  }
  let best: LatestPointer | null = null;
  for (const tag of readdirSync(root).filter((t) => !t.startsWith('.')).sort()) {
    const at = await completeCheckpointAt(path.join(root, tag));
    if (!at) continue;
    const better = !best || at.step > best.step || (at.step === best.step && tag === pointer?.tag);
    if (better) best = { tag, step: at.step, epoch: at.epoch };
  }
  if (best && pointer && best.tag !== pointer.tag)
    log?.(`[train] ${latestPointerPath(runDir)} names '${pointer.tag}', but the last complete checkpoint is '${best.tag}' (step ${best.step}); using it`);
  return best;
}

/** Removes epoch-N checkpoints beyond the newest `keepLast` (0 keeps all), sparing `protect`ed tags. */
export async function pruneEpochCheckpoints(runDir: string, keepLast: number, protect: ReadonlySet<string>): Promise<string[]> {
  if (keepLast <= 0) return [];
  const dir = path.join(runDir, 'checkpoints');
  if (!existsSync(dir)) return [];
  const epochs = (await fs.readdir(dir))
    .map((t) => /^epoch-(\d+)$/.exec(t))
    .filter((m): m is RegExpExecArray => m !== null)
    .map((m) => ({ tag: m[0], n: Number(m[1]) }))
    .sort((a, b) => a.n - b.n);
  const removable = epochs.slice(0, Math.max(0, epochs.length - keepLast)).filter((e) => !protect.has(e.tag));
  for (const e of removable) await fs.rm(path.join(dir, e.tag), { recursive: true, force: true });
  return removable.map((e) => e.tag);
}
