// A trained model for an analysis: the run's final checkpoint when one exists, otherwise a short training run
// written there (so a notebook opened before 01-train still works, and says what it did).
import { existsSync, readFileSync } from 'node:fs';
import * as path from 'node:path';
import { loadCheckpoint } from '../models/checkpoint.ts';
import type { Model } from '../models/model.ts';
import type { TrainConfig } from '../train/config.ts';
import type { TrainHooks } from '../train/train.ts';
import { camelCase, kebabCase, nearestNames } from '../util/settings.ts';
import { logOf, type RunOptions } from './run-options.ts';
import { runTrainExperiment, TRAIN_SETTINGS } from './train.ts';

/**
 * Training settings from a JSON config file (configs/<preset>.json; keys as the CLI's options, kebab- or camelCase;
 * `_`/`$` keys are comments). Unknown keys are refused, naming the file, the key and the nearest valid name.
 */
export function trainSettingsFromFile(file: string): Partial<TrainConfig> {
  let json: unknown;
  try {
    json = JSON.parse(readFileSync(file, 'utf8'));
  } catch (err) {
    throw new Error(`${file}: cannot read a JSON object of training options: ${(err as Error).message}`);
  }
  if (typeof json !== 'object' || json === null || Array.isArray(json)) throw new Error(`${file}: expected a JSON object of training options`);
  const valid = TRAIN_SETTINGS.map((s) => s.name);
  const out: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(json)) {
    if (key.startsWith('_') || key.startsWith('$')) continue;
    const name = kebabCase(key);
    if (!valid.includes(name)) {
      const near = nearestNames(name, valid).slice(0, 3);
      throw new Error(`${file}: unknown key '${key}'${near.length ? ` (did you mean ${near.join(' or ')}?)` : ''}; expected training options such as epochs, batch-size, lr`);
    }
    out[camelCase(name)] = value;
  }
  return out as Partial<TrainConfig>;
}

export interface TrainedModel {
  label: string;
  model: Model;
  /** The checkpoint directory read or written. */
  source: string;
  /** Whether it was trained just now (no checkpoint existed). */
  trainedNow: boolean;
}

/**
 * The final checkpoint of `<results>/<run>` or, when it has none, a training run with `recipe` writing it.
 * The caller disposes `model`.
 */
export async function trainedModel(
  recipe: Partial<TrainConfig> & { model: string },
  where: { results: string; run: string },
  opts: RunOptions = {},
  hooks: Partial<TrainHooks> = {},
): Promise<TrainedModel> {
  const log = logOf(opts);
  const runDir = path.resolve(where.results, where.run);
  const final = path.join(runDir, 'checkpoints', 'final');
  if (existsSync(path.join(final, 'model.json'))) {
    const loaded = await loadCheckpoint(final);
    log(`${recipe.model}: using the checkpoint ${final}`);
    return { label: recipe.model, model: loaded.model, source: final, trainedNow: false };
  }
  log(`${recipe.model}: no checkpoint in ${runDir}; training a short run here (${recipe.epochs ?? 'default'} epoch(s)) and saving it there`);
  // resume: an interrupted run there continues; an empty folder starts a new one
  const r = await runTrainExperiment({ ...recipe, results: where.results, run: where.run, resume: true, overwrite: false }, opts, hooks);
  if (r.status !== 'completed') {
    r.model.dispose();
    throw new Error(`${recipe.model}: training was interrupted; no model to analyse`);
  }
  return { label: recipe.model, model: r.model, source: final, trainedNow: true };
}
