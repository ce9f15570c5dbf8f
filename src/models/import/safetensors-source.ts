// A safetensors file (timm >= 0.9's and Hugging Face's weights) read as source tensors of every element type
// safetensors defines that a weight file holds (F64, F32, F16, BF16, I64, I32, I16, I8, U8, BOOL; e.g. BatchNorm's
// I64 num_batches_tracked), as views into the file's bytes: nothing is copied until a tensor's values are read.
// Every header field is checked before a view is made (hostile headers end in an ImportError naming the file).
import { ImportError } from './import-error.ts';
import { SourceTensor, contiguousStrides, ELEMENT_BYTES, type SourceDtype } from './source-tensor.ts';

const DTYPES: Readonly<Record<string, SourceDtype>> = {
  F64: 'float64', F32: 'float32', F16: 'float16', BF16: 'bfloat16', I64: 'int64', I32: 'int32', I16: 'int16', I8: 'int8', U8: 'uint8', BOOL: 'bool',
};

/** The header length field says at most this many bytes (safetensors' own limit is 100 MB). */
const MAX_HEADER = 100 * 1024 * 1024;

/** The tensors of a safetensors file by name; `file` names it in errors. */
export function readSafetensorsSource(bytes: Uint8Array, file: string): Map<string, SourceTensor> {
  const fail = (what: string): never => {
    throw new ImportError(`${file}: ${what}`);
  };
  if (bytes.length < 8) fail(`${bytes.length} bytes, expected a safetensors file (an 8-byte header length, then a JSON header)`);
  const headerLength = new DataView(bytes.buffer, bytes.byteOffset, 8).getBigUint64(0, true);
  if (headerLength > BigInt(Math.min(MAX_HEADER, bytes.length - 8)))
    fail(`the safetensors header length is ${headerLength} bytes, the file has ${bytes.length - 8} after it (truncated or not safetensors)`);
  const n = Number(headerLength);
  let header: unknown;
  try {
    header = JSON.parse(new TextDecoder('utf-8', { fatal: true }).decode(bytes.subarray(8, 8 + n)));
  } catch (err) {
    return fail(`the safetensors header is not UTF-8 JSON (${(err as Error).message})`);
  }
  if (typeof header !== 'object' || header === null || Array.isArray(header)) return fail(`the safetensors header is ${JSON.stringify(header)?.slice(0, 80)}, expected a JSON object`);
  const data = bytes.subarray(8 + n);
  const out = new Map<string, SourceTensor>();
  for (const [name, entry] of Object.entries(header as Record<string, unknown>)) {
    if (name === '__metadata__') continue;
    const bad = (field: string, expected: string): never =>
      fail(`tensor '${name}': '${field}' is ${JSON.stringify((entry as Record<string, unknown> | null)?.[field] ?? entry)?.slice(0, 80)}, expected ${expected}`);
    if (typeof entry !== 'object' || entry === null || Array.isArray(entry)) bad('entry', '{ dtype, shape, data_offsets }');
    const e = entry as Record<string, unknown>;
    const dtype = typeof e.dtype === 'string' ? DTYPES[e.dtype] : undefined;
    if (!dtype) bad('dtype', `one of ${Object.keys(DTYPES).join(', ')}`);
    const shape = e.shape;
    if (!Array.isArray(shape) || shape.length > 8 || shape.some((d) => typeof d !== 'number' || !Number.isSafeInteger(d) || d < 0))
      bad('shape', 'a list of at most 8 non-negative integers');
    const off = e.data_offsets;
    if (!Array.isArray(off) || off.length !== 2 || off.some((o) => typeof o !== 'number' || !Number.isSafeInteger(o)) || !(0 <= off[0] && off[0] <= off[1] && off[1] <= data.length))
      bad('data_offsets', `[begin, end] with 0 <= begin <= end <= ${data.length} (the bytes after the header)`);
    const eb = ELEMENT_BYTES[dtype!];
    let count = 1;
    for (const d of shape as number[]) {
      count *= d;
      if (count * eb > data.length) bad('shape', `at most ${data.length} bytes of ${e.dtype} values`);
    }
    const [begin, end] = off as [number, number];
    if (end - begin !== count * eb) bad('data_offsets', `${count * eb} bytes (${count} ${e.dtype} values of shape [${(shape as number[]).join(', ')}])`);
    out.set(name, new SourceTensor(dtype!, shape as number[], data.subarray(begin, end), 0, contiguousStrides(shape as number[]), `${file} tensor '${name}'`));
  }
  return out;
}
