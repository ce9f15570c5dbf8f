// A state dict (tensors by name) from a file: a torch.save zip archive (the state dict itself, or
// inside a {"state_dict": ...} / {"model": ...} wrapper beside anything else, e.g. saved args or
// optimizer state) or a safetensors file.
import { ImportError } from './import-error.ts';
import { readFile } from 'node:fs/promises';
import { describe, globalOf, PickleObject, type PickleValue } from './pickle.ts';
import { readTorchFile } from './torch-file.ts';
import { SourceTensor } from './source-tensor.ts';
import { readSafetensorsSource } from './safetensors-source.ts';
import { looksLikeZip } from './zip.ts';

export interface StateDict {
  tensors: Map<string, SourceTensor>;
  format: 'torch' | 'safetensors';
  /** The wrapper key the state dict was under ('state_dict', 'model', ...), null at the top level. */
  wrapper: string | null;
  /** A prefix removed from every key ('module.' of DataParallel), or null. */
  strippedPrefix: string | null;
}

/** Wrapper keys tried in this order when the top-level object is not itself a state dict. */
export const WRAPPER_KEYS = ['state_dict', 'model', 'model_state_dict', 'module', 'net', 'state_dict_ema', 'model_ema'] as const;

function isStateDict(v: PickleValue): v is Map<PickleValue, PickleValue> {
  return v instanceof Map && [...v.values()].some((x) => x instanceof SourceTensor);
}

/** The state dict inside an unpickled torch file; errors name the file and the offending key. */
export function findStateDict(root: PickleValue, file: string): { dict: Map<PickleValue, PickleValue>; wrapper: string | null } {
  // a wrapper first: {'state_dict': ..., 'best_acc1': tensor(71.5)} has tensors at the top level too
  if (root instanceof Map) {
    for (const key of WRAPPER_KEYS) if (isStateDict(root.get(key) ?? null)) return { dict: root.get(key) as Map<PickleValue, PickleValue>, wrapper: key };
  }
  if (isStateDict(root)) return { dict: root, wrapper: null };
  if (root instanceof Map) {
    for (const key of WRAPPER_KEYS) {
      if (!root.has(key)) continue;
      const g = globalOf(root.get(key));
      if (g)
        throw new ImportError(`${file}: entry '${key}' is a pickled object of ${g} (a whole module?), expected a state dict; save model.state_dict() instead`);
    }
    const keys = [...root.keys()].map((k) => (typeof k === 'string' ? `'${k}'` : describe(k)));
    throw new ImportError(
      `${file}: no state dict found: the top-level dict has keys ${keys.slice(0, 20).join(', ') || '(none)'}; ` +
        `expected tensors by name, or one of ${WRAPPER_KEYS.map((k) => `'${k}'`).join(', ')} holding them`,
    );
  }
  const g = globalOf(root);
  throw new ImportError(
    `${file}: the file holds ${g ? `a pickled object of ${g}` : describe(root)}, expected a state dict (tensors by name) or a dict wrapping one` +
      (g ? '; save model.state_dict() instead' : ''),
  );
}

function fromDict(dict: Map<PickleValue, PickleValue>, file: string): Map<string, SourceTensor> {
  const out = new Map<string, SourceTensor>();
  for (const [k, v] of dict) {
    if (typeof k !== 'string') throw new ImportError(`${file}: state-dict key ${describe(k)} is not a string, expected parameter names`);
    if (v instanceof SourceTensor) {
      out.set(k, v);
      continue;
    }
    const g = globalOf(v);
    if (v instanceof PickleObject || g)
      throw new ImportError(`${file}: state-dict entry '${k}' is built by ${g}, which is not supported; expected a tensor (torch._utils._rebuild_tensor_v2)`);
    throw new ImportError(`${file}: state-dict entry '${k}' is ${describe(v)}, expected a tensor`);
  }
  return out;
}

function stripCommonPrefix(tensors: Map<string, SourceTensor>, prefix: string): Map<string, SourceTensor> | null {
  if (tensors.size === 0 || ![...tensors.keys()].every((k) => k.startsWith(prefix))) return null;
  return new Map([...tensors].map(([k, v]) => [k.slice(prefix.length), v]));
}

/** True when the bytes look like safetensors: a little-endian header length, then '{'. */
function looksLikeSafetensors(bytes: Uint8Array): boolean {
  if (bytes.length < 9) return false;
  const len = Number(new DataView(bytes.buffer, bytes.byteOffset, 8).getBigUint64(0, true));
  return len > 0 && len <= bytes.length - 8 && bytes[8] === 0x7b;
}

/** Parses bytes of a torch.save archive or a safetensors file; `file` names it in errors. */
export function parseStateDict(bytes: Uint8Array, file: string): StateDict {
  let tensors: Map<string, SourceTensor>;
  let format: StateDict['format'];
  let wrapper: string | null = null;
  if (!looksLikeZip(bytes) && looksLikeSafetensors(bytes)) {
    format = 'safetensors';
    tensors = readSafetensorsSource(bytes, file);
  } else {
    format = 'torch';
    const found = findStateDict(readTorchFile(bytes, file), file);
    wrapper = found.wrapper;
    tensors = fromDict(found.dict, file);
  }
  const stripped = stripCommonPrefix(tensors, 'module.');
  return { tensors: stripped ?? tensors, format, wrapper, strippedPrefix: stripped ? 'module.' : null };
}

/** The bytes of a checkpoint file; an unreadable one is an ImportError naming it. */
export async function readCheckpointBytes(file: string): Promise<Uint8Array> {
  try {
    const buf = await readFile(file);
    return new Uint8Array(buf.buffer, buf.byteOffset, buf.byteLength);
  } catch (err) {
    throw new ImportError(`${file}: cannot read the checkpoint (${(err as Error).message})`);
  }
}

export async function readStateDict(file: string): Promise<StateDict> {
  return parseStateDict(await readCheckpointBytes(file), file);
}
