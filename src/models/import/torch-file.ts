// Reads what torch.save writes. The zip format (PyTorch >= 1.6): `<archive>/data.pkl` is a pickle
// whose tensors are `torch._utils._rebuild_tensor_v2(storage, offset, size, stride, ...)` calls and
// whose storages are persistent ids ('storage', torch.<Type>Storage, key, location, numel) naming the
// raw little-endian bytes in `<archive>/data/<key>`. The legacy format (before 1.6, or
// _use_new_zipfile_serialization=False): pickles of the magic number, the protocol version, system
// info, the object, and the sorted storage keys, then each storage as an int64 element count and its
// bytes. Tensors come back as SourceTensors that gather their strided values only when asked, so
// optimizer state beside the weights costs nothing.
import { ImportError } from './import-error.ts';
import { openZip, looksLikeZip, type ZipArchive } from './zip.ts';
import { unpickle, unpickleAt, describe, globalOf, type PickleValue } from './pickle.ts';
import { ELEMENT_BYTES, SourceTensor, type SourceDtype } from './source-tensor.ts';

/** torch storage classes and the element type of their bytes. */
const STORAGE_DTYPES: Record<string, SourceDtype> = {
  FloatStorage: 'float32',
  DoubleStorage: 'float64',
  HalfStorage: 'float16',
  BFloat16Storage: 'bfloat16',
  LongStorage: 'int64',
  IntStorage: 'int32',
  ShortStorage: 'int16',
  CharStorage: 'int8',
  ByteStorage: 'uint8',
  BoolStorage: 'bool',
};

interface Storage {
  dtype: SourceDtype;
  bytes: Uint8Array;
  key: string;
}

function intList(v: PickleValue, what: string, fail: (m: string) => never): number[] {
  if (!Array.isArray(v) || v.some((d) => typeof d !== 'number' || !Number.isInteger(d) || d < 0))
    fail(`${what} is ${describe(v)}, expected a tuple of non-negative integers`);
  return v as number[];
}

/**
 * Unpickles a torch.save file (zip or legacy format); tensors become SourceTensors, OrderedDicts Maps, and objects of
 * classes other than tensors and containers inert PickleObjects (see pickle.ts).
 */
export function readTorchFile(bytes: Uint8Array, source: string): PickleValue {
  if (!looksLikeZip(bytes)) {
    if (bytes.length >= 2 && bytes[0] === 0x80) return readLegacyTorchFile(bytes, source);
    throw new ImportError(`${source}: not a torch.save file (found bytes ${[...bytes.subarray(0, 4)].map((b) => b.toString(16).padStart(2, '0')).join(' ')}, expected a zip archive, 50 4b 03 04, or a legacy pickle, 80 ..)`);
  }
  const zip = openZip(bytes, source);
  const pkls = [...zip.entries.keys()].filter((n) => /^[^/]+\/data\.pkl$/.test(n));
  if (pkls.length !== 1) {
    const ts = [...zip.entries.keys()].some((n) => /\/constants\.pkl$/.test(n) || /\/code\//.test(n));
    throw new ImportError(
      `${source}: found ${pkls.length} '<archive>/data.pkl' entries, expected exactly 1` +
        (ts ? ' (this is a TorchScript archive from torch.jit.save; save the model.state_dict() with torch.save instead)' : ''),
    );
  }
  const prefix = pkls[0]!.slice(0, -'data.pkl'.length);
  const order = zip.entries.get(`${prefix}byteorder`);
  if (order && new TextDecoder().decode(zip.read(order.name)).trim() !== 'little')
    throw new ImportError(`${source}: ${prefix}byteorder is not 'little', expected a little-endian archive`);
  return unpickleTorch(zip, prefix, source);
}

function unpickleTorch(zip: ZipArchive, prefix: string, source: string): PickleValue {
  const { globals, persistentLoad } = torchUnpickling(source, (key) => zip.read(`${prefix}data/${key}`));
  return unpickle(zip.read(`${prefix}data.pkl`), { globals, persistentLoad, source: `${source} (${prefix}data.pkl)` });
}

const LEGACY_MAGIC = 0x1950a86a20f9469cfc6cn;

function readLegacyTorchFile(bytes: Uint8Array, source: string): PickleValue {
  const plain = { globals: new Map<string, (a: PickleValue[]) => PickleValue>(), source: `${source} (legacy torch.save header)` };
  const magic = unpickleAt(bytes, 0, plain);
  if (magic.value !== LEGACY_MAGIC)
    throw new ImportError(`${source}: a pickle but not a torch.save file (its first value is ${describe(magic.value)}, expected torch's magic number)`);
  const version = unpickleAt(bytes, magic.end, plain);
  if (version.value !== 1001) throw new ImportError(`${source}: legacy torch.save protocol ${describe(version.value)}, expected 1001`);
  const sysInfo = unpickleAt(bytes, version.end, plain);
  if (sysInfo.value instanceof Map && sysInfo.value.get('little_endian') === false)
    throw new ImportError(`${source}: written on a big-endian machine, expected little-endian`);
  // The storages follow the object and its key list, so a first pass finds where the object ends.
  const skim = torchUnpickling(source, () => new Uint8Array(0));
  const objectStart = sysInfo.end;
  const objectEnd = unpickleAt(bytes, objectStart, { ...skim, source }).end;
  const keys = unpickleAt(bytes, objectEnd, { ...plain, source: `${source} (legacy storage keys)` });
  if (!Array.isArray(keys.value)) throw new ImportError(`${source}: legacy storage key list is ${describe(keys.value)}, expected a list`);
  const dtypes = skim.seen;
  const data = new Map<string, Uint8Array>();
  let at = keys.end;
  for (const k of keys.value) {
    const key = String(k);
    if (at + 8 > bytes.length) throw new ImportError(`${source}: storage '${key}' is cut off at byte ${at} (truncated file)`);
    const numel = Number(new DataView(bytes.buffer, bytes.byteOffset + at, 8).getBigInt64(0, true));
    const size = numel * ELEMENT_BYTES[dtypes.get(key) ?? 'uint8'];
    if (at + 8 + size > bytes.length)
      throw new ImportError(`${source}: storage '${key}' needs ${size} bytes at byte ${at + 8}, the file ends at ${bytes.length} (truncated file)`);
    data.set(key, bytes.subarray(at + 8, at + 8 + size));
    at += 8 + size;
  }
  const real = torchUnpickling(source, (key) => {
    const d = data.get(key);
    if (!d) throw new ImportError(`${source}: storage '${key}' is not in the legacy storage list`);
    return d;
  });
  return unpickleAt(bytes, objectStart, { ...real, source }).value;
}

/** The globals a torch.save pickle needs, and its storage resolution through `storageBytes(key)`. */
function torchUnpickling(source: string, storageBytes: (key: string) => Uint8Array) {
  const storages = new Map<string, Storage>();
  const seen = new Map<string, SourceDtype>();
  const fail = (m: string): never => {
    throw new ImportError(`${source}: ${m}`);
  };
  const persistentLoad = (pid: PickleValue): PickleValue => {
    if (!Array.isArray(pid) || pid[0] !== 'storage' || pid.length < 5) return fail(`persistent id ${describe(pid)}, expected ('storage', type, key, location, numel)`);
    const type = globalOf(pid[1]);
    const key = String(pid[2]);
    const typeName = type?.startsWith('torch.') ? type.slice(6) : undefined;
    const dtype = typeName ? STORAGE_DTYPES[typeName] : undefined;
    if (!dtype) return fail(`storage '${key}' has type ${type ?? describe(pid[1])}, expected one of torch.${Object.keys(STORAGE_DTYPES).join(', torch.')}`);
    if (pid.length > 5 && pid[5] !== null) return fail(`storage '${key}' is a legacy storage view, which is not supported`);
    seen.set(key, dtype);
    let st = storages.get(key);
    if (!st) {
      st = { dtype, bytes: storageBytes(key), key };
      storages.set(key, st);
    }
    return st as unknown as PickleValue;
  };
  const rebuild = (args: PickleValue[]): PickleValue => {
    const st = args[0] as unknown as Storage;
    if (!st || typeof st !== 'object' || !('bytes' in st)) return fail(`_rebuild_tensor_v2 got ${describe(args[0])}, expected a storage`);
    const offset = args[1];
    if (typeof offset !== 'number') return fail(`_rebuild_tensor_v2 storage offset is ${describe(offset)}, expected an integer`);
    const shape = intList(args[2]!, 'tensor size', fail);
    const stride = intList(args[3]!, 'tensor stride', fail);
    return new SourceTensor(st.dtype, shape, st.bytes, offset, stride, `${source} storage ${st.key}`) as unknown as PickleValue;
  };
  const globals = new Map<string, (args: PickleValue[]) => PickleValue>([
    ['torch._utils._rebuild_tensor_v2', rebuild],
    ['torch._utils._rebuild_tensor', rebuild],
    // nn.Parameter(data, requires_grad, hooks): the data is the tensor
    ['torch._utils._rebuild_parameter', (a) => a[0]!],
    ['torch._utils._rebuild_parameter_with_state', (a) => a[0]!],
    ['collections.OrderedDict', (a) => new Map(Array.isArray(a[0]) ? (a[0] as PickleValue[][]).map((kv) => [kv[0]!, kv[1]!]) : [])],
    ['builtins.dict', () => new Map()],
    ['builtins.list', (a) => (Array.isArray(a[0]) ? [...(a[0] as PickleValue[])] : [])],
    ['builtins.tuple', (a) => (Array.isArray(a[0]) ? [...(a[0] as PickleValue[])] : [])],
    ['builtins.set', (a) => new Set(Array.isArray(a[0]) ? (a[0] as PickleValue[]) : [])],
  ]);
  return { globals, persistentLoad, seen };
}
