// Importing weights trained elsewhere: a PyTorch state dict (torch.save zip or safetensors) whose key
// names are those of a known source architecture becomes a vitscope model of a preset, checked
// completely (every missing, unexpected and mis-shaped key named) before anything is written, then
// saved as a vitscope checkpoint directory that every analysis reads with --checkpoint DIR.
import { ImportError } from './import-error.ts';
import { createHash } from 'node:crypto';
import { existsSync } from 'node:fs';
import * as path from 'node:path';
import { tf } from '../../backend/tf.ts';
import { createModel, resolveConfig } from '../create.ts';
import { saveCheckpoint } from '../checkpoint.ts';
import type { AnyModelConfig } from '../families.ts';
import type { Model, ModelConfig } from '../model.ts';
import { detectSource, familyRefusal, sourceById, type Rule, type SourceArchitecture } from './architectures/index.ts';
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
  /** The source architecture's id (see SOURCE_ARCHITECTURES); detected from the key names by default. */
  source?: string;
}

export interface ImportResult {
  model: Model;
  source: SourceArchitecture;
  format: StateDict['format'];
  wrapper: string | null;
  strippedPrefix: string | null;
  /** Source keys deliberately dropped (e.g. num_batches_tracked). */
  ignored: string[];
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

/** The source architecture for these keys and this preset, or an error naming the file and why not. */
export function chooseSource(sd: StateDict, arch: string | ModelConfig, file: string, sourceId?: string): SourceArchitecture {
  // The source architectures map into built-in families only; each refuses any other family by name.
  const config = resolveConfig(arch) as AnyModelConfig;
  const refusedFamily = familyRefusal(config);
  if (refusedFamily) throw new ImportError(`${file}: cannot import into preset '${config.preset}' (family ${config.family}): ${refusedFamily}`);
  if (sourceId) return sourceById(sourceId);
  const keys = new Set(sd.tensors.keys());
  const found = detectSource(keys);
  if (!found) {
    const sample = [...keys].slice(0, 8).map((k) => `'${k}'`).join(', ');
    throw new ImportError(
      `${file}: the state-dict keys (${sample}${keys.size > 8 ? ', ...' : ''}) are not those of a known source architecture; ` +
        "expected timm's VisionTransformer (patch_embed.proj.weight, blocks.N...), the authors' CIFAR ResNet (layer0.0.weight, ...) " +
        "or timm's ResNet (conv1.weight, layer1.0..., fc.weight)",
    );
  }
  if (!('id' in found)) throw new ImportError(`${file}: the keys are those of ${found.title}, which cannot be imported: ${found.reason}`);
  const refusal = found.refusal(config);
  if (refusal) throw new ImportError(`${file}: the keys are those of ${found.title}, which cannot be imported into preset '${config.preset}': ${refusal}`);
  return found;
}

/**
 * Builds preset `arch` and fills it from the state dict; throws before touching anything when a key
 * is missing, unexpected or mis-shaped (all of them listed by name) or not a floating-point tensor.
 */
export function modelFromStateDict(sd: StateDict, arch: string | ModelConfig, file: string, sourceId?: string): Omit<ImportResult, 'out' | 'sha256' | 'format' | 'wrapper' | 'strippedPrefix'> {
  const source = chooseSource(sd, arch, file, sourceId);
  const head = sd.tensors.get(source.headKey);
  const numClasses = head && head.shape.length === 2 ? head.shape[0]! : undefined;
  const config = resolveConfig(arch, numClasses !== undefined ? { numClasses } : {}) as AnyModelConfig;
  const model = createModel(config);
  try {
    const targets: { name: string; shape: number[] }[] = [
      ...model.paramInfo.map((p) => ({ name: p.name, shape: p.shape })),
      ...[...model.buffers].map(([name, v]) => ({ name, shape: [...v.shape] })),
    ];
    const rules: [Rule, SourceTensor][] = [];
    const missing: string[] = [];
    const misshaped: string[] = [];
    const notFloat: string[] = [];
    const used = new Set<string>();
    for (const t of targets) {
      const rule = source.rule(t.name, t.shape.length, config);
      const want = sourceShape(t.shape, rule.layout);
      const s = sd.tensors.get(rule.source);
      if (!s) {
        missing.push(`'${rule.source}' ${shapeText(want)}`);
        continue;
      }
      used.add(rule.source);
      if (s.shape.length !== want.length || s.shape.some((d, i) => d !== want[i]))
        misshaped.push(`'${rule.source}' is ${shapeText(s.shape)}, expected ${shapeText(want)}`);
      else if (!s.isFloat) notFloat.push(`'${rule.source}' is ${s.dtype}`);
      else rules.push([rule, s]);
    }
    const ignored = [...sd.tensors.keys()].filter((k) => !used.has(k) && source.ignored.test(k));
    const unexpected = [...sd.tensors]
      .filter(([k]) => !used.has(k) && !source.ignored.test(k))
      .map(([k, s]) => `'${k}' ${shapeText(s.shape)}`);
    if (missing.length + misshaped.length + unexpected.length + notFloat.length > 0) {
      const parts = [
        missing.length ? `missing keys (${missing.length}): ${listed(missing)}` : '',
        unexpected.length ? `unexpected keys (${unexpected.length}): ${listed(unexpected)}` : '',
        misshaped.length ? `mis-shaped keys (${misshaped.length}): ${listed(misshaped)}` : '',
        notFloat.length ? `not floating-point (${notFloat.length}): ${listed(notFloat)}` : '',
      ].filter((p) => p);
      throw new ImportError(
        `${file}: does not match ${source.title} as preset '${config.preset}' (${config.numClasses} classes); nothing was imported.\n  ${parts.join('\n  ')}`,
      );
    }
    // everything checked: convert and assign
    const byTarget = new Map<string, tf.Variable>([...model.params, ...model.buffers]);
    for (const [rule, s] of rules) {
      let values: Float32Array;
      try {
        values = toTargetLayout(s.values(), s.shape, rule.layout);
      } catch (err) {
        throw new ImportError(`${file}: state-dict entry '${rule.source}': ${(err as Error).message}`);
      }
      const v = byTarget.get(rule.target)!;
      const t = tf.tensor(values, v.shape, 'float32');
      v.assign(t);
      t.dispose();
    }
    return { model, source, ignored };
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
  if (out && existsSync(out)) throw new ImportError(`${out}: already exists; import never replaces a directory, choose a new --out`);
  const bytes = await readCheckpointBytes(file);
  const sha256 = createHash('sha256').update(bytes).digest('hex');
  const sd = parseStateDict(bytes, file);
  const built = modelFromStateDict(sd, opts.arch, file, opts.source);
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
