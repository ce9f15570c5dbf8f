// Where a command writes: <results>/<run>/ with config.json, metrics, figures/ and checkpoints/<tag>/.
import { promises as fs, existsSync } from 'node:fs';
import * as path from 'node:path';
import { writeJsonAtomic } from '../io/atomic.ts';
import type { OptionValues } from './command.ts';

/** Run names become directory names: letters, digits, '.', '_' and '-' only. */
export function checkRunName(name: string): string {
  if (!/^[A-Za-z0-9._-]+$/.test(name) || name === '.' || name === '..')
    throw new Error(`run name '${name}' is not usable as a directory name (expected letters, digits, '.', '_' or '-')`);
  return name;
}

/** Creates (if needed) and returns <results>/<name>/. */
export async function createRunDir(results: string, name: string): Promise<string> {
  const dir = path.resolve(results, checkRunName(name));
  await fs.mkdir(dir, { recursive: true });
  return dir;
}

/** The run directory a command's options name: `--results`/`--run`, else `fallbackName`. */
export async function runDirFromOptions(opts: OptionValues, fallbackName: string): Promise<string> {
  const results = typeof opts.results === 'string' ? opts.results : 'results';
  const name = typeof opts.run === 'string' && opts.run !== '' ? opts.run : fallbackName;
  return createRunDir(results, name);
}

export function checkpointsDir(runDir: string): string {
  return path.join(runDir, 'checkpoints');
}

export function checkpointDir(runDir: string, tag: string): string {
  return path.join(checkpointsDir(runDir), tag);
}

/** Tags of the checkpoints in a run (directory names under checkpoints/), sorted. */
export async function listCheckpointTags(runDir: string): Promise<string[]> {
  const dir = checkpointsDir(runDir);
  if (!existsSync(dir)) return [];
  const entries = await fs.readdir(dir, { withFileTypes: true });
  return entries.filter((e) => e.isDirectory() && !e.name.startsWith('.')).map((e) => e.name).sort();
}

/** Writes the resolved options/config of a command to <runDir>/<file> (atomic). */
export async function writeRunConfig(runDir: string, config: unknown, file = 'config.json'): Promise<string> {
  const target = path.join(runDir, file);
  await writeJsonAtomic(target, config);
  return target;
}
