// The fuzz driver behind fuzz.test.ts (run in a child process, so that a hang or a native crash shows as a
// timeout or a signal): seeded bad inputs for every reader — CIFAR binaries, safetensors headers and bodies,
// model.json, config JSON. Each input must give an expected error naming the file (or the option), or, when the
// mutation left the input valid (as an independent check says), a normal result; the files are never changed.
// Prints one JSON summary line on stdout: counts and outcomes per kind, and the failures.
import { copyFileSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { initBackend } from '../../src/backend/select.ts';
import { parseCifar100Bin, readCifarDir } from '../../src/data/cifar-format.ts';
import { createModel } from '../../src/models/create.ts';
import { loadCheckpoint, loadWeightsInto, saveCheckpoint } from '../../src/models/checkpoint.ts';
import { resolveOptions } from '../../src/cli/options.ts';
import { TRAIN_OPTIONS, trainConfigFromOptions } from '../../src/train/config.ts';
import { isExpectedError } from '../../src/util/errors.ts';
import { Rng } from '../../src/util/random.ts';
import { REPO, treeHashes, writeTinyCifar } from './helpers.ts';
import { fuzzImports } from './fuzz-import.ts';

export interface KindSummary {
  inputs: number;
  /** error name → count, plus 'accepted' for inputs the mutation left valid. */
  outcomes: Record<string, number>;
  /** Labels of the accepted inputs (for the reader of the summary). */
  accepted: string[];
}

export interface FuzzSummary {
  kinds: Record<string, KindSummary>;
  failures: string[];
}

const RECORD = 3074;

type Outcome = { ok: true } | { ok: false; err: unknown };

async function attempt(fn: () => unknown): Promise<Outcome> {
  try {
    await fn();
    return { ok: true };
  } catch (err) {
    return { ok: false, err };
  }
}

export async function runFuzz(seed = 15): Promise<FuzzSummary> {
  await initBackend({ backend: 'cpu', quiet: true });
  const root = mkdtempSync(path.join(tmpdir(), 'vitscope-fuzz-'));
  const summary: FuzzSummary = { kinds: {}, failures: [] };
  const rng = new Rng(seed);

  /**
   * One input: `valid` says whether the reader should accept it (null: either is fine, e.g. a config mutation
   * that may still name a valid recipe); `names` are strings one of which the error message must contain.
   */
  const check = async (kind: string, label: string, dir: string, valid: boolean | null, names: string[], fn: () => unknown): Promise<void> => {
    const k = (summary.kinds[kind] ??= { inputs: 0, outcomes: {}, accepted: [] });
    k.inputs++;
    const before = treeHashes(dir);
    const r = await attempt(fn);
    const after = treeHashes(dir);
    if (JSON.stringify([...before]) !== JSON.stringify([...after])) summary.failures.push(`${kind} ${label}: the reader changed files in ${dir}`);
    if (r.ok) {
      k.outcomes.accepted = (k.outcomes.accepted ?? 0) + 1;
      k.accepted.push(label);
      if (valid === false) summary.failures.push(`${kind} ${label}: accepted an invalid input`);
      return;
    }
    const err = r.err as Error;
    const name = isExpectedError(err) ? err.name : `UNEXPECTED ${err?.name ?? typeof err}`;
    k.outcomes[name] = (k.outcomes[name] ?? 0) + 1;
    if (!isExpectedError(err)) summary.failures.push(`${kind} ${label}: not an expected error: ${err?.stack ?? String(err)}`);
    else if (valid === true) summary.failures.push(`${kind} ${label}: refused a valid input: ${err.message}`);
    else if (!names.some((n) => err.message.includes(n))) summary.failures.push(`${kind} ${label}: the message names none of ${names.join(', ')}: ${err.message}`);
  };

  // ---- CIFAR binaries ------------------------------------------------------------------------------
  const cifar = path.join(root, 'cifar');
  await writeTinyCifar(cifar, 30, 10, seed);
  const good = new Uint8Array(readFileSync(path.join(cifar, 'train.bin')));
  const validCifar = (b: Uint8Array): boolean => {
    if (b.length === 0 || b.length % RECORD !== 0) return false;
    for (let o = 0; o < b.length; o += RECORD) if (b[o]! >= 20 || b[o + 1]! >= 100) return false;
    return true;
  };
  const bad = path.join(root, 'cifar-bad');
  mkdirSync(bad);
  for (const f of ['test.bin', 'fine_label_names.txt', 'coarse_label_names.txt']) copyFileSync(path.join(cifar, f), path.join(bad, f));
  const cifarCase = async (kind: string, label: string, bytes: Uint8Array): Promise<void> => {
    const file = path.join(bad, 'train.bin');
    writeFileSync(file, bytes);
    await check(kind, label, bad, validCifar(bytes), [file], () => readCifarDir(bad));
  };
  for (let i = 0; i < 40; i++) {
    const len = i === 0 ? 0 : rng.int(good.length);
    await cifarCase('cifar: truncated', `to ${len} bytes`, good.slice(0, len));
  }
  for (let i = 0; i < 40; i++) {
    const b = good.slice();
    const n = 1 + rng.int(64);
    for (let j = 0; j < n; j++) b[rng.int(b.length)] = rng.int(256);
    // an appended tail on some of them
    const tail = i % 4 === 0 ? Uint8Array.from({ length: 1 + rng.int(RECORD * 2) }, () => rng.int(256)) : new Uint8Array(0);
    const out = new Uint8Array(b.length + tail.length);
    out.set(b);
    out.set(tail, b.length);
    await cifarCase('cifar: garbage bytes', `${n} bytes, tail ${tail.length}`, out);
  }
  for (let i = 0; i < 30; i++) {
    const b = good.slice();
    const r = rng.int(b.length / RECORD);
    const coarse = i % 2 === 0;
    b[r * RECORD + (coarse ? 0 : 1)] = (coarse ? 20 : 100) + rng.int(coarse ? 236 : 156);
    await cifarCase('cifar: label out of range', `${coarse ? 'coarse' : 'fine'} label in record ${r}`, b);
  }
  for (let i = 0; i < 10; i++) {
    const names = path.join(bad, i % 2 ? 'fine_label_names.txt' : 'coarse_label_names.txt');
    const original = readFileSync(path.join(cifar, path.basename(names)), 'utf8').split('\n').filter(Boolean);
    const kept = original.slice(0, rng.int(original.length));
    writeFileSync(path.join(bad, 'train.bin'), good);
    writeFileSync(names, kept.join('\n') + '\n');
    await check('cifar: label-name files', `${kept.length} names`, bad, false, [names], () => readCifarDir(bad));
    copyFileSync(path.join(cifar, path.basename(names)), names);
  }
  // in memory too (the parser alone), with dtype/shape nonsense: a float32 buffer posing as bytes
  for (let i = 0; i < 10; i++) {
    const floats = new Float32Array(Math.ceil((RECORD * (1 + rng.int(3))) / 4)).map(() => rng.normal() * 1000);
    const bytes = new Uint8Array(floats.buffer);
    await check('cifar: wrong dtype (float32 data)', `${bytes.length} bytes`, bad, validCifar(bytes), ['float.bin'], () => parseCifar100Bin(bytes, 'float.bin'));
  }

  // ---- safetensors (weights of a resnet-20 checkpoint) ---------------------------------------------
  const model = createModel('resnet-20', { seed: 1 });
  const ckpt = path.join(root, 'ckpt');
  await saveCheckpoint(ckpt, { model });
  const weightsFile = path.join(ckpt, 'weights.safetensors');
  const weights = new Uint8Array(readFileSync(weightsFile));
  const headerLen = Number(new DataView(weights.buffer, weights.byteOffset).getBigUint64(0, true));
  const header = JSON.parse(Buffer.from(weights.subarray(8, 8 + headerLen)).toString('utf8')) as Record<string, { dtype: string; shape: number[]; data_offsets: [number, number] }>;
  const names = Object.keys(header).filter((n) => n !== '__metadata__');
  const work = path.join(root, 'ckpt-bad');
  mkdirSync(work);
  copyFileSync(path.join(ckpt, 'model.json'), path.join(work, 'model.json'));
  const target = createModel('resnet-20', { seed: 2 });
  const stCase = async (kind: string, label: string, bytes: Uint8Array, valid: boolean | null): Promise<void> => {
    const file = path.join(work, 'weights.safetensors');
    writeFileSync(file, bytes);
    await check(kind, label, work, valid, [file], () => loadWeightsInto(target, work));
  };
  const withHeader = (h: unknown, body = weights.subarray(8 + headerLen)): Uint8Array => {
    const json = Buffer.from(JSON.stringify(h));
    const out = new Uint8Array(8 + json.length + body.length);
    new DataView(out.buffer).setBigUint64(0, BigInt(json.length), true);
    out.set(json, 8);
    out.set(body, 8 + json.length);
    return out;
  };
  for (let i = 0; i < 40; i++) {
    // half in the header, half in the body
    const len = i % 2 ? rng.int(8 + headerLen) : 8 + headerLen + rng.int(weights.length - 8 - headerLen);
    await stCase('safetensors: truncated', `to ${len} bytes`, weights.slice(0, len), false);
  }
  for (let i = 0; i < 30; i++) {
    const b = weights.slice();
    const n = 1 + rng.int(16);
    // the length field or the JSON header
    for (let j = 0; j < n; j++) b[i < 5 ? rng.int(8) : 8 + rng.int(headerLen)] = rng.int(256);
    await stCase('safetensors: garbage in header', `${n} bytes`, b, null);
  }
  const DTYPES: unknown[] = ['F16', 'BF16', 'I64', 'U8', 'I32', 'f32', '', 5, null];
  for (let i = 0; i < 30; i++) {
    const h = JSON.parse(JSON.stringify(header)) as Record<string, Record<string, unknown>>;
    const name = names[rng.int(names.length)]!;
    const what = i % 3;
    if (what === 0) h[name]!.dtype = DTYPES[rng.int(DTYPES.length)];
    else if (what === 1) {
      const s = [...(h[name]!.shape as number[])];
      const m = rng.int(5);
      h[name]!.shape = m === 0 ? [...s, 1 + rng.int(3)] : m === 1 ? s.slice(1) : m === 2 ? s.map((d) => d + 1) : m === 3 ? [-1, ...s.slice(1)] : 'big';
    } else {
      const [a, b] = h[name]!.data_offsets as [number, number];
      const m = rng.int(4);
      h[name]!.data_offsets = m === 0 ? [a, b + 4] : m === 1 ? [a + 1, b + 1 + weights.length] : m === 2 ? [b, a] : [a];
    }
    await stCase('safetensors: wrong dtype/shape/offsets', `${name} ${['dtype', 'shape', 'offsets'][what]}`, withHeader(h), false);
  }
  for (let i = 0; i < 10; i++) {
    const h = JSON.parse(JSON.stringify(header)) as Record<string, unknown>;
    const m = i % 5;
    const value = m === 0 ? null : m === 1 ? [1, 2] : m === 2 ? 42 : m === 3 ? { ...h, [names[rng.int(names.length)]!]: null } : Object.fromEntries(Object.entries(h).filter(([n]) => n !== names[i]));
    await stCase('safetensors: header of the wrong kind / missing tensor', `variant ${m}`, withHeader(value), false);
  }
  const body0 = 8 + headerLen;
  for (let i = 0; i < 30; i++) {
    const b = weights.slice();
    const n = 1 + rng.int(32);
    for (let j = 0; j < n; j++) b[body0 + rng.int(b.length - body0)] = rng.int(256);
    // valid iff every float32 is still finite (the data is all float32)
    const view = new DataView(b.buffer, body0);
    let finite = true;
    for (let o = 0; o + 4 <= b.length - body0; o += 4) if (!Number.isFinite(view.getFloat32(o, true))) finite = false;
    await stCase('safetensors: garbage in body', `${n} bytes`, b, finite);
  }
  for (let i = 0; i < 10; i++) {
    const b = weights.slice();
    const name = names[rng.int(names.length)]!;
    const [a] = header[name]!.data_offsets;
    new DataView(b.buffer).setFloat32(body0 + a, i % 2 ? NaN : -Infinity, true);
    await stCase('safetensors: NaN/Inf weights', name, b, false);
  }

  // ---- model.json ------------------------------------------------------------------------------------
  const manifestText = readFileSync(path.join(ckpt, 'model.json'), 'utf8');
  const manifest = JSON.parse(manifestText) as Record<string, unknown> & { config: Record<string, unknown> };
  const mj = path.join(root, 'ckpt-manifest');
  mkdirSync(mj);
  copyFileSync(weightsFile, path.join(mj, 'weights.safetensors'));
  const mjCase = async (kind: string, label: string, text: string, valid: boolean | null): Promise<void> => {
    writeFileSync(path.join(mj, 'model.json'), text);
    await check(kind, label, mj, valid, [mj], async () => (await loadCheckpoint(mj)).model.dispose());
  };
  for (let i = 0; i < 20; i++) {
    const len = rng.int(manifestText.length - 2);
    await mjCase('model.json: truncated', `to ${len} chars`, manifestText.slice(0, len), false);
  }
  for (let i = 0; i < 20; i++) {
    const chars = [...manifestText];
    const n = 1 + rng.int(8);
    for (let j = 0; j < n; j++) chars[rng.int(chars.length)] = String.fromCharCode(32 + rng.int(95));
    await mjCase('model.json: garbage characters', `${n} chars`, chars.join(''), null);
  }
  const WRONG: unknown[] = [null, 'text', -1, 0, 2.5, [], {}, true];
  const fields = ['format', 'version', 'config', ...Object.keys(manifest.config).map((k) => `config.${k}`)];
  for (let i = 0; i < 40; i++) {
    const m = JSON.parse(manifestText) as Record<string, unknown> & { config: Record<string, unknown> };
    const field = fields[rng.int(fields.length)]!;
    const wrong = WRONG[rng.int(WRONG.length)];
    if (field.startsWith('config.')) {
      const key = field.slice(7);
      const old = m.config[key];
      // numbers also nudged by ±1 (a different model), never scaled up (a huge model is not a reader's problem)
      m.config[key] = typeof old === 'number' && i % 2 ? old + (rng.int(2) ? 1 : -1) : Array.isArray(old) && i % 2 ? old.map((v) => (typeof v === 'number' ? v + 1 : v)) : wrong;
    } else m[field] = wrong;
    await mjCase('model.json: wrong field types/values', `${field} = ${JSON.stringify(field.startsWith('config.') ? m.config[field.slice(7)] : m[field])}`, JSON.stringify(m), null);
  }

  // ---- config JSON (train options) ----------------------------------------------------------------
  const cfgDir = path.join(root, 'configs');
  mkdirSync(cfgDir);
  const cfgFile = path.join(cfgDir, 'resnet-20.json');
  const cfgText = readFileSync(path.join(REPO, 'configs', 'resnet-20.json'), 'utf8');
  const cmd = { name: 'train', options: TRAIN_OPTIONS };
  const cfgCase = async (kind: string, label: string, text: string, valid: boolean | null, keyName?: string): Promise<void> => {
    writeFileSync(cfgFile, text);
    await check(kind, label, cfgDir, valid, [cfgFile, ...(keyName ? [`--${keyName}`] : [])], () => trainConfigFromOptions(resolveOptions(cmd, ['--config', cfgFile])));
  };
  await cfgCase('config: baseline', 'configs/resnet-20.json', cfgText, true);
  for (let i = 0; i < 20; i++) {
    const len = rng.int(cfgText.length - 2);
    await cfgCase('config: truncated', `to ${len} chars`, cfgText.slice(0, len), false);
  }
  for (let i = 0; i < 20; i++) {
    const chars = [...cfgText];
    const n = 1 + rng.int(6);
    for (let j = 0; j < n; j++) chars[rng.int(chars.length)] = String.fromCharCode(32 + rng.int(95));
    await cfgCase('config: garbage characters', `${n} chars`, chars.join(''), null);
  }
  const cfg = JSON.parse(cfgText) as Record<string, unknown>;
  const keys = Object.keys(cfg).filter((k) => !k.startsWith('_'));
  const TYPES: unknown[] = ['many', -3, 1.5, null, { a: 1 }, [[1]], true, ''];
  for (let i = 0; i < 40; i++) {
    const key = keys[rng.int(keys.length)]!;
    const c = { ...cfg, [key]: TYPES[rng.int(TYPES.length)] };
    await cfgCase('config: wrong types/values', `${key} = ${JSON.stringify(c[key])}`, JSON.stringify(c), null, key);
  }
  for (let i = 0; i < 20; i++) {
    const key = keys[rng.int(keys.length)]!;
    const chars = [...key];
    chars.splice(rng.int(chars.length), 1);
    const typo = chars.join('') || 'x';
    const c = { ...cfg, [typo]: cfg[key] };
    await cfgCase('config: unknown keys (typos)', `${typo} for ${key}`, JSON.stringify(c), keys.includes(typo) ? true : false, typo);
  }
  for (const top of ['[]', '42', 'null', '"text"', '']) await cfgCase('config: not an object', top || '(empty)', top, false);

  // ---- imported checkpoints in every family's layouts (fuzz-import.ts) --------------------------------
  await fuzzImports(root, rng, check);

  model.dispose();
  target.dispose();
  rmSync(root, { recursive: true, force: true });
  return summary;
}

if (process.argv[1] && import.meta.url.endsWith(path.basename(process.argv[1]))) {
  const seed = Number(process.env.VITSCOPE_FUZZ_SEED ?? 15);
  process.stdout.write(JSON.stringify(await runFuzz(seed)) + '\n');
}
