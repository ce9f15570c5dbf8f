// Importing weights trained elsewhere: a PyTorch state dict (torch.save zip or safetensors) whose key
// names are those of a checkpoint source that a family declares (src/models/checkpoint-source.ts: timm's and
// the authors' layouts, each in its family's file) becomes a vitscope model of a preset, checked completely
// (every missing, unexpected, mis-shaped and inconsistent key named) before anything is written, then saved
// as a vitscope checkpoint directory that every analysis reads with --checkpoint DIR. Tensors are converted
// by each parameter's declared layout (ParamInfo.layout), never by a guess from their rank.
import { ImportError } from './import-error.ts';
import { createHash } from 'node:crypto';
import { existsSync } from 'node:fs';
import * as path from 'node:path';
import { tf } from '../../backend/tf.ts';
import { isExpectedError } from '../../util/errors.ts';
import { createModel, resolveConfig } from '../create.ts';
import { saveCheckpoint } from '../checkpoint.ts';
import type { CheckpointSource } from '../checkpoint-source.ts';
import type { Model, ModelConfig, ParamLayout, PretrainedCfg } from '../model.ts';
import { checkpointSources, getFamily, listFamilies, listPresets, pretrainedCfgOf, validateConfig, type ModelFamily } from '../registry.ts';
import { sourceShape, toTargetLayout } from './convert.ts';
import { parseStateDict, readCheckpointBytes, type StateDict } from './state-dict.ts';
import type { SourceTensor } from './source-tensor.ts';

export interface ImportOptions {
  /** The checkpoint file (torch.save zip archive or safetensors). */
  from: string;
  /** The vitscope preset to build (e.g. 'vit-ti', 'resnet-50'), or a configuration. */
  arch: string | ModelConfig;
  /** The checkpoint directory to write; must not exist yet. Omitted: nothing is written. */
  out?: string;
  /** The checkpoint source's id (sourceIds()); detected from the key names by default. */
  source?: string;
  /** Preprocessing fields that differ from the preset's pretrained_cfg (e.g. another weight tag's mean/std); checked. */
  pretrainedCfg?: Partial<PretrainedCfg>;
}

export interface ImportResult {
  model: Model;
  source: CheckpointSource;
  format: StateDict['format'];
  wrapper: string | null;
  strippedPrefix: string | null;
  /** Source keys deliberately dropped (e.g. num_batches_tracked). */
  ignored: string[];
  /** Source keys whose values follow from the configuration, checked equal and dropped (timm <= 0.6's attn_mask, ...). */
  verified: string[];
  /** The preprocessing recorded with the model (config.pretrainedCfg): the preset's, as timm's pretrained_cfg. */
  pretrainedCfg: PretrainedCfg;
  /** The checkpoint directory written, or null. */
  out: string | null;
  sha256: string;
}

const LIST_AT_MOST = 40;
function listed(items: string[]): string {
  const shown = items.slice(0, LIST_AT_MOST).join(', ');
  return items.length > LIST_AT_MOST ? `${shown}, and ${items.length - LIST_AT_MOST} more` : shown;
}

function shapeText(s: readonly number[]): string {
  return `[${s.join(', ')}]`;
}

/** Every registered checkpoint source's id (the import command's --source choices). */
export function sourceIds(): string[] {
  return checkpointSources().map((s) => s.source.id);
}

/** The registered source with this id and its family, or an error listing the ids. */
export function sourceById(id: string): { family: ModelFamily; source: CheckpointSource } {
  const found = checkpointSources().find((s) => s.source.id === id);
  if (!found) throw new ImportError(`unknown checkpoint source '${id}', expected one of ${sourceIds().join(', ')}`);
  return found;
}

function presetsOf(family: string): string {
  const names = listPresets({ family });
  return names.length ? names.join(', ') : `a ${family} configuration`;
}

/** A configuration for `arch`; an unknown or invalid preset is one line naming the option. */
function configFor(arch: string | ModelConfig, opts: { numClasses?: number } = {}): ModelConfig {
  try {
    return resolveConfig(arch, opts);
  } catch (err) {
    if (isExpectedError(err) && typeof arch === 'string') throw new ImportError(`option '--arch': ${(err as Error).message}`, { exitCode: 2 });
    throw err;
  }
}

/** The checkpoint source for these keys and this preset, or an error naming the file and why not. */
export function chooseSource(sd: StateDict, arch: string | ModelConfig, file: string, sourceId?: string): CheckpointSource {
  const config = configFor(arch);
  const family = getFamily(config.family);
  const refuse = (why: string): never => {
    throw new ImportError(`${file}: ${why}`);
  };
  if (sourceId) {
    const chosen = sourceById(sourceId);
    if (chosen.family !== family)
      refuse(`checkpoint source '${sourceId}' is ${chosen.source.title}, a ${chosen.family.name}, and preset '${config.preset}' is a ${config.family}; expected a ${chosen.family.name} preset (${presetsOf(chosen.family.name)})`);
    return checkedSource(chosen.source, config, file);
  }
  const keys = new Set(sd.tensors.keys());
  const recognised = checkpointSources().filter((s) => s.source.recognises(keys));
  const own = recognised.find((s) => s.family === family);
  if (own) return checkedSource(own.source, config, file);
  if (recognised.length > 0) {
    const other = recognised[0]!;
    refuse(
      `the keys are those of ${other.source.title} (family ${other.family.name}), and preset '${config.preset}' is a ${config.family}; ` +
        `expected a ${other.family.name} preset (${presetsOf(other.family.name)})`,
    );
  }
  for (const f of listFamilies())
    for (const r of f.refusedCheckpoints ?? []) if (r.recognises(keys)) refuse(`the keys are those of ${r.title}, which cannot be imported: ${r.reason}`);
  if (!family.checkpoints?.length)
    refuse(
      `cannot import into preset '${config.preset}' (family ${config.family}): checkpoint names are not mapped into the ${config.family} family ` +
        `(its file declares no checkpoint sources)${(family.refusedCheckpoints ?? []).map((r) => `; ${r.title}: ${r.reason}`).join('')}`,
    );
  const sample = [...keys].slice(0, 8).map((k) => `'${k}'`).join(', ');
  return refuse(
    `the state-dict keys (${sample}${keys.size > 8 ? ', ...' : ''}) are not those of a known source architecture; expected one of: ` +
      checkpointSources().map((s) => `${s.source.title} (${s.source.id})`).join(', '),
  );
}

function checkedSource(source: CheckpointSource, config: ModelConfig, file: string): CheckpointSource {
  const refusal = source.refusal?.(config);
  if (refusal) throw new ImportError(`${file}: the keys are those of ${source.title}, which cannot be imported into preset '${config.preset}': ${refusal}`);
  return source;
}

/** Whether two value lists agree exactly (integers and the masks' 0 / -100 are exact in float32). */
function sameValues(a: ArrayLike<number>, b: ArrayLike<number>): number {
  if (a.length !== b.length) return 0;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return i;
  return -1;
}

/**
 * Builds preset `arch` and fills it from the state dict; throws before touching anything when a key
 * is missing, unexpected or mis-shaped (all of them listed by name), not a floating-point tensor, or a
 * configuration-derived buffer that disagrees with the preset.
 */
export function modelFromStateDict(
  sd: StateDict,
  arch: string | ModelConfig,
  file: string,
  sourceId?: string,
  pretrained: Partial<PretrainedCfg> = {},
): Omit<ImportResult, 'out' | 'sha256' | 'format' | 'wrapper' | 'strippedPrefix'> {
  const source = chooseSource(sd, arch, file, sourceId);
  const head = sd.tensors.get(source.headKey);
  const numClasses = head && head.shape.length === 2 ? head.shape[0]! : undefined;
  const config = configFor(arch, numClasses !== undefined ? { numClasses } : {});
  const pretrainedCfg: PretrainedCfg = { ...pretrainedCfgOf(config), ...JSON.parse(JSON.stringify(pretrained)) };
  config.pretrainedCfg = pretrainedCfg;
  try {
    validateConfig(config);
  } catch (err) {
    if (isExpectedError(err)) throw new ImportError(`option '--pretrained-cfg': ${(err as Error).message}`, { exitCode: 2 });
    throw err;
  }
  // every parameter and buffer is assigned below (or nothing is returned): no initialisation to sample
  const model = createModel(config, { initialise: false });
  try {
    const targets: { name: string; shape: number[]; layout: ParamLayout }[] = [
      ...model.paramInfo.map((p) => ({ name: p.name, shape: p.shape, layout: p.layout })),
      // buffers (BatchNorm running statistics) are kept as PyTorch keeps them
      ...[...model.buffers].map(([name, v]) => ({ name, shape: [...v.shape], layout: (v.rank === 1 ? 'vector' : 'tokens') as ParamLayout })),
    ];
    const rules: { target: string; key: string; layout: ParamLayout; shape: number[]; tensor: SourceTensor }[] = [];
    const missing: string[] = [];
    const misshaped: string[] = [];
    const notFloat: string[] = [];
    const used = new Set<string>();
    for (const t of targets) {
      const k = source.key(t.name, config);
      const { key, layout } = typeof k === 'string' ? { key: k, layout: t.layout } : { key: k.key, layout: k.layout ?? t.layout };
      const want = sourceShape(t.shape, layout);
      const s = sd.tensors.get(key);
      if (!s) {
        missing.push(`'${key}' ${shapeText(want)}`);
        continue;
      }
      used.add(key);
      if (s.shape.length !== want.length || s.shape.some((d, i) => d !== want[i])) misshaped.push(`'${key}' is ${shapeText(s.shape)}, expected ${shapeText(want)}`);
      else if (!s.isFloat) notFloat.push(`'${key}' is ${s.dtype}`);
      else rules.push({ target: t.name, key, layout, shape: t.shape, tensor: s });
    }
    const ignored: string[] = [];
    const verified: string[] = [];
    const unexpected: string[] = [];
    const inconsistent: string[] = [];
    for (const [k, s] of sd.tensors) {
      if (used.has(k)) continue;
      if (source.ignored?.test(k)) {
        ignored.push(k);
        continue;
      }
      const derived = source.derived?.(k, config);
      if (!derived) {
        unexpected.push(`'${k}' ${shapeText(s.shape)}`);
        continue;
      }
      if (s.shape.length !== derived.shape.length || s.shape.some((d, i) => d !== derived.shape[i])) {
        inconsistent.push(`'${k}' is ${shapeText(s.shape)}, expected ${shapeText(derived.shape)}`);
        continue;
      }
      let values: Float32Array;
      try {
        values = s.values();
      } catch (err) {
        throw new ImportError(`${file}: state-dict entry '${k}': ${(err as Error).message}`);
      }
      const at = sameValues(values, derived.values);
      if (at >= 0) inconsistent.push(`'${k}' holds ${values[at]} at index ${at}, expected ${derived.values[at]}`);
      else verified.push(k);
    }
    if (missing.length + misshaped.length + unexpected.length + notFloat.length + inconsistent.length > 0) {
      const parts = [
        missing.length ? `missing keys (${missing.length}): ${listed(missing)}` : '',
        unexpected.length ? `unexpected keys (${unexpected.length}): ${listed(unexpected)}` : '',
        misshaped.length ? `mis-shaped keys (${misshaped.length}): ${listed(misshaped)}` : '',
        notFloat.length ? `not floating-point (${notFloat.length}): ${listed(notFloat)}` : '',
        inconsistent.length
          ? `buffers that disagree with the preset's windows/shifts (${inconsistent.length}, the file was built with another configuration): ${listed(inconsistent)}`
          : '',
      ].filter((p) => p);
      throw new ImportError(
        `${file}: does not match ${source.title} as preset '${config.preset}' (${config.numClasses} classes); nothing was imported.\n  ${parts.join('\n  ')}`,
      );
    }
    // everything checked but the values: convert all (refusing non-finite ones, which no analysis could use), then assign
    const converted: [string, Float32Array][] = [];
    for (const r of rules) {
      let values: Float32Array;
      try {
        values = toTargetLayout(r.tensor.values(), r.tensor.shape, r.layout, r.shape);
      } catch (err) {
        throw new ImportError(`${file}: state-dict entry '${r.key}': ${(err as Error).message}`);
      }
      const bad = values.findIndex((x) => !Number.isFinite(x));
      if (bad >= 0) throw new ImportError(`${file}: state-dict entry '${r.key}' holds ${values[bad]} at index ${bad}; expected finite weights (a diverged run?); nothing was imported`);
      converted.push([r.target, values]);
    }
    const byTarget = new Map<string, tf.Variable>([...model.params, ...model.buffers]);
    for (const [target, values] of converted) {
      const v = byTarget.get(target)!;
      const t = tf.tensor(values, v.shape, 'float32');
      v.assign(t);
      t.dispose();
    }
    return { model, source, ignored, verified, pretrainedCfg };
  } catch (err) {
    model.dispose();
    throw err;
  }
}

/**
 * Imports a checkpoint file into preset `arch` and, with `out`, writes it as a vitscope checkpoint
 * directory (atomically, after every check passed; an existing `out` is never replaced).
 */
export async function importCheckpoint(opts: ImportOptions): Promise<ImportResult> {
  const file = opts.from;
  const out = opts.out !== undefined ? path.resolve(opts.out) : null;
  configFor(opts.arch); // an unknown preset is refused before the file is read
  if (out && existsSync(out)) throw new ImportError(`${out}: already exists; import never replaces a directory, choose a new --out`);
  const bytes = await readCheckpointBytes(file);
  const sha256 = createHash('sha256').update(bytes).digest('hex');
  const sd = parseStateDict(bytes, file);
  const built = modelFromStateDict(sd, opts.arch, file, opts.source, opts.pretrainedCfg);
  const result: ImportResult = { ...built, format: sd.format, wrapper: sd.wrapper, strippedPrefix: sd.strippedPrefix, out: null, sha256 };
  if (out) {
    try {
      if (existsSync(out)) throw new ImportError(`${out}: appeared while importing; import never replaces a directory, choose a new --out`);
      await saveCheckpoint(out, {
        model: built.model,
        state: {
          imported: {
            from: path.resolve(file),
            sha256,
            format: sd.format,
            source: built.source.id,
            wrapper: sd.wrapper,
            strippedPrefix: sd.strippedPrefix,
            ignored: built.ignored,
            verified: built.verified,
            pretrainedCfg: built.pretrainedCfg,
          },
        },
      });
    } catch (err) {
      built.model.dispose();
      throw err;
    }
    result.out = out;
  }
  return result;
}
