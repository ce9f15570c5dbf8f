// Checkpoints: a directory results/<run>/checkpoints/<tag>/ holding
//   model.json             { format, version, config, params: ParamInfo[], buffers: [{name, shape}] }
//   weights.safetensors    parameters then buffers (BatchNorm running statistics), float32, by name;
//                          layouts are tfjs's: dense kernels [in, out], conv kernels [kh, kw, in, out]
//   optimizer.safetensors  optional: slot tensors by name, metadata { name, step }
//   state.json             optional: anything JSON (epoch, RNG states, metrics)
// The directory is written beside its final place (every file fsynced, model.json last), renamed into it and
// the parent folder fsynced, so a reader never sees a half-written checkpoint. Replacing an existing tag moves
// the old one aside first (.old-<tag>-…); recoverCheckpointSwaps puts it back if a crash came in between.
// Loading refuses weights holding NaN/Inf (a diverged run), naming the tensor.
import { promises as fs, existsSync, statSync, readdirSync } from 'node:fs';
import * as path from 'node:path';
import { tf } from '../backend/tf.ts';
import type { Model } from './model.ts';
import { createModel } from './create.ts';
import { decodeSafetensors, encodeSafetensors, type DecodedSafetensors, type SafeDtype, type SafeTensor } from './safetensors.ts';
import { fsyncDir } from '../io/atomic.ts';
import { faultPoint } from '../io/fault-points.ts';
import { CheckpointError, isExpectedError, isSystemErrorUserCanFix, WriteError } from '../util/errors.ts';

export const CHECKPOINT_FORMAT = 'vitscope-checkpoint';
export const CHECKPOINT_VERSION = 1;

export interface OptimizerCheckpoint {
  name: string;
  step: number;
  slots: Map<string, tf.Tensor>;
}

export interface CheckpointContents {
  model: Model;
  optimizer?: OptimizerCheckpoint;
  state?: unknown;
}

export interface LoadedCheckpoint {
  model: Model;
  optimizer?: OptimizerCheckpoint;
  state?: Record<string, unknown>;
  /** The directory read (after resolveCheckpointDir). */
  dir: string;
}

async function toSafe(t: tf.Tensor, name: string): Promise<SafeTensor> {
  const data = await t.data();
  let dtype: SafeDtype;
  if (t.dtype === 'float32') dtype = 'F32';
  else if (t.dtype === 'int32') dtype = 'I32';
  else if (t.dtype === 'bool') dtype = 'U8';
  else throw new Error(`checkpoint: tensor '${name}' has dtype ${t.dtype}, which cannot be saved`);
  const copy = dtype === 'F32' ? Float32Array.from(data as Float32Array) : dtype === 'I32' ? Int32Array.from(data as Int32Array) : Uint8Array.from(data as Uint8Array);
  return { dtype, shape: [...t.shape], data: copy };
}

function fromSafe(t: SafeTensor): tf.Tensor {
  if (t.dtype === 'F32') return tf.tensor(t.data as Float32Array, t.shape, 'float32');
  if (t.dtype === 'F64') return tf.tensor(Float32Array.from(t.data as Float64Array), t.shape, 'float32');
  if (t.dtype === 'I32') return tf.tensor(t.data as Int32Array, t.shape, 'int32');
  return tf.tensor(t.data as Uint8Array, t.shape, 'bool');
}

async function writeSynced(file: string, data: string | Uint8Array): Promise<void> {
  const h = await fs.open(file, 'w');
  try {
    await h.writeFile(data);
    await h.sync();
  } finally {
    await h.close();
  }
}

/** Writes a checkpoint directory atomically (temporary sibling directory, then rename). */
export async function saveCheckpoint(dir: string, contents: CheckpointContents): Promise<string> {
  const { model, optimizer, state } = contents;
  const target = path.resolve(dir);
  await fs.mkdir(path.dirname(target), { recursive: true });
  const suffix = `${process.pid}-${Date.now()}-${Math.random().toString(36).slice(2, 8)}`;
  const tmp = path.join(path.dirname(target), `.tmp-${path.basename(target)}-${suffix}`);
  await fs.mkdir(tmp);
  try {
    const manifest = {
      format: CHECKPOINT_FORMAT,
      version: CHECKPOINT_VERSION,
      config: model.config,
      params: model.paramInfo,
      buffers: [...model.buffers].map(([name, v]) => ({ name, shape: v.shape })),
      optimizer: optimizer ? { name: optimizer.name, step: optimizer.step, slots: optimizer.slots.size } : null,
      created: new Date().toISOString(),
    };
    const weights = new Map<string, SafeTensor>();
    for (const p of model.paramInfo) weights.set(p.name, await toSafe(model.params.get(p.name)!, p.name));
    for (const [name, v] of model.buffers) weights.set(name, await toSafe(v, name));
    await writeSynced(path.join(tmp, 'weights.safetensors'), encodeSafetensors(weights, { format: 'pt', preset: model.config.preset }));
    await faultPoint('checkpoint-write');
    if (optimizer) {
      const slots = new Map<string, SafeTensor>();
      for (const [name, t] of optimizer.slots) slots.set(name, await toSafe(t, name));
      await writeSynced(path.join(tmp, 'optimizer.safetensors'), encodeSafetensors(slots, { name: optimizer.name, step: String(optimizer.step) }));
    }
    if (state !== undefined) await writeSynced(path.join(tmp, 'state.json'), JSON.stringify(state, null, 2) + '\n');
    // model.json last: its presence marks a complete checkpoint
    await writeSynced(path.join(tmp, 'model.json'), JSON.stringify(manifest, null, 2) + '\n');
    await fsyncDir(tmp);
    let old: string | null = null;
    if (existsSync(target)) {
      old = path.join(path.dirname(target), `.old-${path.basename(target)}-${suffix}`);
      await fs.rename(target, old);
      await faultPoint('checkpoint-swap');
    }
    await fs.rename(tmp, target);
    await fsyncDir(path.dirname(target));
    if (old) await fs.rm(old, { recursive: true, force: true });
  } catch (err) {
    await fs.rm(tmp, { recursive: true, force: true });
    await recoverCheckpointSwaps(path.dirname(target));
    throw isSystemErrorUserCanFix(err) ? new WriteError(target, err) : err;
  }
  return target;
}

interface Manifest {
  format: string;
  version: number;
  config: Model['config'];
  params: { name: string; shape: number[] }[];
}

async function readManifest(dir: string): Promise<Manifest> {
  const file = path.join(dir, 'model.json');
  let m: Manifest;
  try {
    m = JSON.parse(await fs.readFile(file, 'utf8')) as Manifest;
  } catch (err) {
    throw new CheckpointError(file, `${file}: cannot read the checkpoint manifest (${(err as Error).message}); expected a JSON object written by vitscope`, { cause: err });
  }
  const bad = (field: string, expected: string): never => {
    throw new CheckpointError(file, `${file}: field '${field}' is ${JSON.stringify((m as unknown as Record<string, unknown>)[field]) ?? 'missing'}, expected ${expected}`);
  };
  if (typeof m !== 'object' || m === null || Array.isArray(m))
    throw new CheckpointError(file, `${file}: found ${JSON.stringify(m)}; expected a JSON object (the checkpoint manifest)`);
  if (m.format !== CHECKPOINT_FORMAT) bad('format', `'${CHECKPOINT_FORMAT}'`);
  if (m.version !== CHECKPOINT_VERSION) bad('version', String(CHECKPOINT_VERSION));
  if (!m.config || typeof m.config !== 'object' || Array.isArray(m.config)) bad('config', 'the model configuration (an object)');
  for (const key of ['family', 'preset'] as const)
    if (typeof (m.config as unknown as Record<string, unknown>)[key] !== 'string')
      throw new CheckpointError(file, `${file}: field 'config.${key}' is ${JSON.stringify((m.config as unknown as Record<string, unknown>)[key]) ?? 'missing'}, expected a string`);
  return m;
}

/** Reads and decodes a safetensors file of a checkpoint; every failure is a CheckpointError naming the file. */
async function readSafetensors(file: string): Promise<DecodedSafetensors> {
  let bytes: Uint8Array;
  try {
    bytes = new Uint8Array(await fs.readFile(file));
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    throw new CheckpointError(file, `${file}: cannot read it (${code ?? (err as Error).message}); expected the checkpoint's safetensors file`, { cause: err });
  }
  try {
    return decodeSafetensors(bytes, file);
  } catch (err) {
    if (isExpectedError(err)) throw err;
    const msg = (err as Error).message;
    throw new CheckpointError(file, msg.startsWith(file) ? msg : `${file}: ${msg}`, { cause: err });
  }
}

/** The first non-finite value of a float tensor, or null. */
function firstNonFinite(data: SafeTensor['data']): { index: number; value: number; count: number } | null {
  if (!(data instanceof Float32Array) && !(data instanceof Float64Array)) return null;
  let first = -1;
  let count = 0;
  for (let i = 0; i < data.length; i++)
    if (!Number.isFinite(data[i]!)) {
      if (first < 0) first = i;
      count++;
    }
  return first < 0 ? null : { index: first, value: data[first]!, count };
}

/**
 * Reads `dir/weights.safetensors` into the model's parameters and buffers. Every parameter and buffer
 * must be present with the same shape, and the file may hold nothing else; otherwise the error names
 * the first mismatching tensor with the expected and the found shape.
 */
export async function loadWeightsInto(model: Model, dir: string): Promise<void> {
  const file = path.join(dir, 'weights.safetensors');
  const { tensors, metadata } = await readSafetensors(file);
  const from = metadata.preset ? ` (checkpoint of '${metadata.preset}')` : '';
  const targets: [string, tf.Variable, string][] = [
    ...model.paramInfo.map((p): [string, tf.Variable, string] => [p.name, model.params.get(p.name)!, 'parameter']),
    ...[...model.buffers].map(([n, v]): [string, tf.Variable, string] => [n, v, 'buffer']),
  ];
  for (const [name, v, what] of targets) {
    const t = tensors.get(name);
    const found = t ? `[${t.shape.join(', ')}]` : 'nothing';
    if (!t || t.shape.length !== v.shape.length || t.shape.some((d, i) => d !== v.shape[i]))
      throw new CheckpointError(
        file,
        `${file}: ${what} '${name}' of model '${model.config.preset}' expects shape [${v.shape.join(', ')}], found ${found}${from}`,
      );
  }
  for (const [name, v, what] of targets) {
    const dtype = tensors.get(name)!.dtype;
    const fits = v.dtype === 'float32' ? dtype === 'F32' || dtype === 'F64' : v.dtype === 'int32' ? dtype === 'I32' : dtype === 'U8';
    if (!fits)
      throw new CheckpointError(file, `${file}: ${what} '${name}' of model '${model.config.preset}' has dtype ${dtype}, expected ${v.dtype === 'float32' ? 'F32' : v.dtype === 'int32' ? 'I32' : 'U8'}${from}`);
  }
  const known = new Set(targets.map(([n]) => n));
  for (const [name, t] of tensors)
    if (!known.has(name))
      throw new CheckpointError(file, `${file}: tensor '${name}' (shape [${t.shape.join(', ')}]) is not a parameter or buffer of model '${model.config.preset}', expected nothing${from}`);
  for (const [name, , what] of targets) {
    const bad = firstNonFinite(tensors.get(name)!.data);
    if (bad)
      throw new CheckpointError(
        file,
        `${file}: ${what} '${name}' holds ${bad.count} non-finite value${bad.count === 1 ? '' : 's'} (first: ${bad.value} at index ${bad.index}); ` +
          `expected finite weights (the run diverged? use an earlier checkpoint)`,
      );
  }
  for (const [name, v] of targets) {
    const t = fromSafe(tensors.get(name)!);
    v.assign(t);
    t.dispose();
  }
}

/** Reads a checkpoint (a checkpoint directory or a run directory, see resolveCheckpointDir). */
export async function loadCheckpoint(dirOrRun: string): Promise<LoadedCheckpoint> {
  const dir = resolveCheckpointDir(dirOrRun);
  const manifest = await readManifest(dir);
  let model: Model;
  try {
    model = createModel(manifest.config);
  } catch (err) {
    const file = path.join(dir, 'model.json');
    throw new CheckpointError(file, `${file}: field 'config' does not describe a model (${(err as Error).message})`, { cause: err });
  }
  try {
    await loadWeightsInto(model, dir);
  } catch (err) {
    model.dispose();
    throw err;
  }
  const out: LoadedCheckpoint = { model, dir };
  const optFile = path.join(dir, 'optimizer.safetensors');
  if (existsSync(optFile)) {
    const { tensors, metadata } = await readSafetensors(optFile);
    const step = Number(metadata.step);
    if (typeof metadata.name !== 'string' || !Number.isFinite(step))
      throw new CheckpointError(optFile, `${optFile}: __metadata__ is ${JSON.stringify(metadata)}, expected { name: string, step: number as string }`);
    out.optimizer = { name: metadata.name, step, slots: new Map([...tensors].map(([n, t]) => [n, fromSafe(t)])) };
  }
  const stateFile = path.join(dir, 'state.json');
  if (existsSync(stateFile)) {
    try {
      out.state = JSON.parse(await fs.readFile(stateFile, 'utf8')) as Record<string, unknown>;
    } catch (err) {
      throw new CheckpointError(stateFile, `${stateFile}: not valid JSON (${(err as Error).message}); expected the training state written with the checkpoint`);
    }
  }
  return out;
}

/**
 * The checkpoint directory meant by `p`: p itself if it holds model.json, else p/checkpoints/final,
 * else the newest p/checkpoints/<tag> (by the time of its model.json).
 */
export function resolveCheckpointDir(p: string): string {
  if (existsSync(path.join(p, 'model.json'))) return p;
  const ckpts = path.join(p, 'checkpoints');
  if (existsSync(path.join(ckpts, 'final', 'model.json'))) return path.join(ckpts, 'final');
  let best: { dir: string; t: number } | null = null;
  if (existsSync(ckpts) && statSync(ckpts).isDirectory()) {
    for (const tag of readdirSync(ckpts)) {
      if (tag.startsWith('.')) continue;
      const m = path.join(ckpts, tag, 'model.json');
      if (!existsSync(m)) continue;
      const t = statSync(m).mtimeMs;
      if (!best || t > best.t) best = { dir: path.join(ckpts, tag), t };
    }
  }
  if (best) return best.dir;
  throw new CheckpointError(
    p,
    `no checkpoint at '${p}': expected ${path.join(p, 'model.json')}, ${path.join(ckpts, 'final', 'model.json')} or ${path.join(ckpts, '<tag>', 'model.json')}`,
  );
}

/** `.old-<tag>-<pid>-<ms>-<rand>` / `.tmp-<tag>-…`: the names saveCheckpoint gives a replaced and a new checkpoint. */
const ASIDE = /^\.(old|tmp)-(.+)-\d+-\d+-[a-z0-9]+$/;

/**
 * Repairs what a crash inside saveCheckpoint can leave in `root` (a run's checkpoints/): a replaced checkpoint
 * moved aside whose replacement never arrived is moved back; unfinished new checkpoints are removed. Call it
 * only while holding the run's lock. Returns the tags restored.
 */
export async function recoverCheckpointSwaps(root: string): Promise<string[]> {
  if (!existsSync(root)) return [];
  const restored: string[] = [];
  for (const entry of readdirSync(root)) {
    const m = ASIDE.exec(entry);
    if (!m) continue;
    const aside = path.join(root, entry);
    const target = path.join(root, m[2]!);
    if (m[1] === 'old' && !existsSync(path.join(target, 'model.json')) && existsSync(path.join(aside, 'model.json'))) {
      await fs.rm(target, { recursive: true, force: true });
      await fs.rename(aside, target);
      restored.push(m[2]!);
    } else await fs.rm(aside, { recursive: true, force: true });
  }
  if (restored.length) await fsyncDir(root);
  return restored;
}
