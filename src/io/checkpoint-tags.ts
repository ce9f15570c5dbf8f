// Where a run keeps its checkpoints (<run>/checkpoints/<tag>/) and the order of their tags: numbers inside a tag
// compare as numbers, so epoch-2 comes before epoch-10 and step-900 before step-1200.
import { existsSync, promises as fs } from 'node:fs';
import * as path from 'node:path';

export function checkpointsDir(runDir: string): string {
  return path.join(runDir, 'checkpoints');
}

export function checkpointDir(runDir: string, tag: string): string {
  return path.join(checkpointsDir(runDir), tag);
}

/** Orders tags with their digit runs compared as numbers ('epoch-2' < 'epoch-10'), the rest as text. */
export function compareCheckpointTags(a: string, b: string): number {
  return a.localeCompare(b, 'en', { numeric: true });
}

/** Tags of the checkpoints in a run (directory names under checkpoints/), in compareCheckpointTags order. */
export async function listCheckpointTags(runDir: string): Promise<string[]> {
  const dir = checkpointsDir(runDir);
  if (!existsSync(dir)) return [];
  const entries = await fs.readdir(dir, { withFileTypes: true });
  return entries.filter((e) => e.isDirectory() && !e.name.startsWith('.')).map((e) => e.name).sort(compareCheckpointTags);
}
