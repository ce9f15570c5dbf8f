// Training checkpoints: results/<run>/checkpoints/<tag>/ written by the models package's saveCheckpoint
// (parameters, buffers, optimizer slots and a JSON state), plus checkpoints/latest.json naming the newest
// one for --resume, and pruning of old epoch-N checkpoints.
import { promises as fs, existsSync } from 'node:fs';
import * as path from 'node:path';
import { writeJsonAtomic } from '../io/atomic.ts';
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
  const j = JSON.parse(await fs.readFile(file, 'utf8')) as LatestPointer;
  if (typeof j.tag !== 'string' || typeof j.step !== 'number')
    throw new Error(`${file}: expected { tag: string, step: number, epoch: number }, found ${JSON.stringify(j)}`);
  return j;
}

export async function writeLatest(runDir: string, p: LatestPointer): Promise<void> {
  await writeJsonAtomic(latestPointerPath(runDir), p);
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
