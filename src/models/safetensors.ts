// The safetensors format (huggingface/safetensors): an 8-byte little-endian header length, a JSON
// header { name: { dtype, shape, data_offsets: [begin, end] }, __metadata__?: { string: string } },
// then the raw little-endian tensor bytes (offsets relative to the end of the header). The header
// is padded with spaces so the data starts 8-byte aligned. PyTorch users read these files with
// `safetensors.torch.load_file`.
import * as os from 'node:os';

export type SafeDtype = 'F32' | 'F64' | 'I32' | 'U8';

export interface SafeTensor {
  dtype: SafeDtype;
  shape: number[];
  data: Float32Array | Float64Array | Int32Array | Uint8Array;
}

const BYTES: Record<SafeDtype, number> = { F32: 4, F64: 8, I32: 4, U8: 1 };

function checkHost(): void {
  if (os.endianness() !== 'LE') throw new Error('safetensors: this implementation needs a little-endian host');
}

/** Serialises tensors (in the given order) and string metadata. */
export function encodeSafetensors(tensors: ReadonlyMap<string, SafeTensor>, metadata?: Record<string, string>): Uint8Array {
  checkHost();
  const header: Record<string, unknown> = {};
  if (metadata && Object.keys(metadata).length > 0) header.__metadata__ = metadata;
  let offset = 0;
  for (const [name, t] of tensors) {
    if (name === '__metadata__') throw new Error(`safetensors: '__metadata__' cannot name a tensor`);
    const n = t.shape.reduce((a, b) => a * b, 1);
    if (n !== t.data.length) throw new Error(`safetensors: tensor '${name}' has ${t.data.length} values for shape [${t.shape}]`);
    const bytes = n * BYTES[t.dtype];
    header[name] = { dtype: t.dtype, shape: t.shape, data_offsets: [offset, offset + bytes] };
    offset += bytes;
  }
  let json = JSON.stringify(header);
  const enc = new TextEncoder();
  let headerBytes = enc.encode(json);
  const pad = (8 - (headerBytes.length % 8)) % 8;
  if (pad > 0) {
    json += ' '.repeat(pad);
    headerBytes = enc.encode(json);
  }
  const out = new Uint8Array(8 + headerBytes.length + offset);
  new DataView(out.buffer).setBigUint64(0, BigInt(headerBytes.length), true);
  out.set(headerBytes, 8);
  let pos = 8 + headerBytes.length;
  for (const t of tensors.values()) {
    const b = new Uint8Array(t.data.buffer, t.data.byteOffset, t.data.byteLength);
    out.set(b, pos);
    pos += b.length;
  }
  return out;
}

export interface DecodedSafetensors {
  tensors: Map<string, SafeTensor>;
  metadata: Record<string, string>;
}

/** Parses a safetensors file's bytes; `source` names the file in errors. */
export function decodeSafetensors(bytes: Uint8Array, source: string): DecodedSafetensors {
  checkHost();
  if (bytes.length < 8) throw new Error(`${source}: not a safetensors file (${bytes.length} bytes, expected at least 8)`);
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const len = Number(view.getBigUint64(0, true));
  if (len > bytes.length - 8) throw new Error(`${source}: header length ${len} exceeds the file size ${bytes.length}`);
  let header: Record<string, unknown>;
  try {
    header = JSON.parse(new TextDecoder().decode(bytes.subarray(8, 8 + len))) as Record<string, unknown>;
  } catch (err) {
    throw new Error(`${source}: header is not valid JSON (${(err as Error).message})`);
  }
  if (typeof header !== 'object' || header === null || Array.isArray(header))
    throw new Error(`${source}: header is ${JSON.stringify(header)}, expected a JSON object of tensors`);
  const dataStart = 8 + len;
  const dataLen = bytes.length - dataStart;
  const tensors = new Map<string, SafeTensor>();
  let metadata: Record<string, string> = {};
  for (const [name, entry] of Object.entries(header)) {
    if (name === '__metadata__') {
      metadata = entry as Record<string, string>;
      continue;
    }
    if (typeof entry !== 'object' || entry === null || Array.isArray(entry))
      throw new Error(`${source}: tensor '${name}' is ${JSON.stringify(entry)}, expected { dtype, shape, data_offsets }`);
    const e = entry as { dtype?: unknown; shape?: unknown; data_offsets?: unknown };
    if (typeof e.dtype !== 'string' || !(e.dtype in BYTES))
      throw new Error(`${source}: tensor '${name}' has dtype ${JSON.stringify(e.dtype)}, expected one of ${Object.keys(BYTES).join(', ')}`);
    const dtype = e.dtype as SafeDtype;
    if (!Array.isArray(e.shape) || e.shape.some((d) => !Number.isInteger(d) || d < 0))
      throw new Error(`${source}: tensor '${name}' has shape ${JSON.stringify(e.shape)}, expected a list of non-negative integers`);
    const shape = e.shape as number[];
    const off = e.data_offsets as [number, number];
    const n = shape.reduce((a, b) => a * b, 1);
    if (!Array.isArray(off) || off.length !== 2 || off[1] - off[0] !== n * BYTES[dtype] || off[0] < 0 || off[1] > dataLen)
      throw new Error(`${source}: tensor '${name}' has data_offsets ${JSON.stringify(off)}, expected ${n * BYTES[dtype]} bytes within ${dataLen}`);
    // copy: the data may not be aligned for a typed-array view
    const raw = bytes.slice(dataStart + off[0], dataStart + off[1]).buffer;
    const data =
      dtype === 'F32' ? new Float32Array(raw) : dtype === 'F64' ? new Float64Array(raw) : dtype === 'I32' ? new Int32Array(raw) : new Uint8Array(raw);
    tensors.set(name, { dtype, shape, data });
  }
  return { tensors, metadata };
}
