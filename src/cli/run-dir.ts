// Where a command writes: <results>/<run>/ with config.json, metrics, figures/ and checkpoints/<tag>/.
// The naming rules (new runs never reuse an existing folder, locks) live in src/io/run-dir.ts.
import { promises as fs } from 'node:fs';
import * as path from 'node:path';
import { writeJsonAtomic } from '../io/atomic.ts';
import { checkRunName, chooseRunDir } from '../io/run-dir.ts';
import type { OptionValues } from './command.ts';

export { checkRunName };

/** Creates (if needed) and returns <results>/<name>/. */
export async function createRunDir(results: string, name: string): Promise<string> {
  const dir = path.resolve(results, checkRunName(name));
  await fs.mkdir(dir, { recursive: true });
  return dir;
}

/**
 * The output folder a command's options name: `--results`/`--run`; without `--run` a new
 * `<fallbackName>-<time stamp>` folder, or with `--resume`/`--skip-train` the newest such folder.
 * An explicit `--run` of an analysis may name an existing folder (its outputs are rewritten);
 * training runs are protected by train() itself.
 */
export async function runDirFromOptions(opts: OptionValues, fallbackName: string): Promise<string> {
  const results = typeof opts.results === 'string' ? opts.results : 'results';
  const run = typeof opts.run === 'string' && opts.run !== '' ? opts.run : undefined;
  const reuse = opts.resume === true || opts['skip-train'] === true;
  const chosen = await chooseRunDir({ results, run, prefix: fallbackName, reuse, overwrite: true });
  return chosen.dir;
}

export { checkpointDir, checkpointsDir, listCheckpointTags } from '../io/checkpoint-tags.ts';

/** Writes the resolved options/config of a command to <runDir>/<file> (atomic). */
export async function writeRunConfig(runDir: string, config: unknown, file = 'config.json'): Promise<string> {
  const target = path.join(runDir, file);
  await writeJsonAtomic(target, config);
  return target;
}
