// Reads what torch.save writes (PyTorch >= 1.6, the zip format): `<archive>/data.pkl` is a pickle
// whose tensors are `torch._utils._rebuild_tensor_v2(storage, offset, size, stride, ...)` calls and
// whose storages are persistent ids ('storage', torch.<Type>Storage, key, location, numel) naming the
// raw little-endian bytes in `<archive>/data/<key>`. Tensors come back as SourceTensors that gather
// their strided values only when asked, so optimizer state beside the weights costs nothing.
import { ImportError } from './import-error.ts';
import { openZip, looksLikeZip, type ZipArchive } from './zip.ts';
import { unpickle, describe, globalOf, type PickleValue } from './pickle.ts';
import { SourceTensor, type SourceDtype } from './source-tensor.ts';

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
 * Unpickles a torch.save zip archive; tensors become SourceTensors, OrderedDicts Maps, and objects of
 * classes other than tensors and containers inert PickleObjects (see pickle.ts).
 */
export function readTorchFile(bytes: Uint8Array, source: string): PickleValue {
  if (!looksLikeZip(bytes)) {
    if (bytes.length >= 2 && bytes[0] === 0x80)
      throw new ImportError(
        `${source}: a legacy (pre-1.6, non-zip) torch.save file, which this reader does not support; expected the zip format: ` +
          `re-save it with torch >= 1.6: torch.save(torch.load(path), path2)`,
      );
    throw new ImportError(`${source}: not a torch.save zip archive (found bytes ${[...bytes.subarray(0, 4)].map((b) => b.toString(16).padStart(2, '0')).join(' ')}, expected 50 4b 03 04)`);
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
  const storages = new Map<string, Storage>();
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
    let st = storages.get(key);
    if (!st) {
      st = { dtype, bytes: zip.read(`${prefix}data/${key}`), key };
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
  return unpickle(zip.read(`${prefix}data.pkl`), { globals, persistentLoad, source: `${source} (${prefix}data.pkl)` });
}
