// A read-only zip reader, enough for the archives torch.save writes (PKWARE APPNOTE 6.3): the central
// directory at the end of the file (and its zip64 forms for archives or entries past 4 GiB), entries
// stored (method 0, what torch.save writes) or deflated (method 8, what re-zipping tools write), each
// checked against its CRC-32. Errors name the archive and the entry.
import { ImportError } from './import-error.ts';
import { inflateRawSync } from 'node:zlib';

export interface ZipEntry {
  name: string;
  method: number;
  crc32: number;
  compressedSize: number;
  size: number;
  localHeaderOffset: number;
}

export interface ZipArchive {
  /** Entries by name, in central-directory order. */
  entries: ReadonlyMap<string, ZipEntry>;
  /** The uncompressed bytes of an entry (a view into the archive for stored entries). */
  read(name: string): Uint8Array;
}

const SIG_EOCD = 0x06054b50;
const SIG_ZIP64_LOCATOR = 0x07064b50;
const SIG_ZIP64_EOCD = 0x06064b50;
const SIG_CENTRAL = 0x02014b50;
const SIG_LOCAL = 0x04034b50;

let crcTable: Uint32Array | null = null;
/** CRC-32 (IEEE 802.3, the zip checksum). */
export function crc32(bytes: Uint8Array): number {
  if (!crcTable) {
    crcTable = new Uint32Array(256);
    for (let n = 0; n < 256; n++) {
      let c = n;
      for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
      crcTable[n] = c >>> 0;
    }
  }
  const t = crcTable;
  let c = 0xffffffff;
  for (let i = 0; i < bytes.length; i++) c = t[(c ^ bytes[i]!) & 0xff]! ^ (c >>> 8);
  return (c ^ 0xffffffff) >>> 0;
}

/** True when the bytes start like a zip archive (a local file header). */
export function looksLikeZip(bytes: Uint8Array): boolean {
  return bytes.length >= 4 && bytes[0] === 0x50 && bytes[1] === 0x4b && bytes[2] === 0x03 && bytes[3] === 0x04;
}

function u64(view: DataView, at: number, source: string, what: string): number {
  const v = view.getBigUint64(at, true);
  if (v > BigInt(Number.MAX_SAFE_INTEGER)) throw new ImportError(`${source}: zip ${what} ${v} is beyond what this reader handles`);
  return Number(v);
}

/** Parses the archive's directory; `source` names the file in errors. */
export function openZip(bytes: Uint8Array, source: string): ZipArchive {
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const truncated = (what: string) =>
    new ImportError(`${source}: truncated or damaged zip archive (${what}); expected a complete file as torch.save or zip writes it`);
  // The end-of-central-directory record: 22 bytes plus a comment of at most 65535 bytes.
  let eocd = -1;
  for (let i = bytes.length - 22; i >= Math.max(0, bytes.length - 22 - 0xffff); i--) {
    if (view.getUint32(i, true) === SIG_EOCD) {
      eocd = i;
      break;
    }
  }
  if (eocd < 0) throw truncated('no end-of-central-directory record');
  let count = view.getUint16(eocd + 10, true);
  let cdSize = view.getUint32(eocd + 12, true);
  let cdOffset = view.getUint32(eocd + 16, true);
  if (count === 0xffff || cdSize === 0xffffffff || cdOffset === 0xffffffff) {
    const loc = eocd - 20;
    if (loc < 0 || view.getUint32(loc, true) !== SIG_ZIP64_LOCATOR) throw truncated('zip64 fields without a zip64 locator');
    const z = u64(view, loc + 8, source, 'zip64 record offset');
    if (z + 56 > bytes.length || view.getUint32(z, true) !== SIG_ZIP64_EOCD) throw truncated('no zip64 end-of-central-directory record');
    count = u64(view, z + 32, source, 'entry count');
    cdSize = u64(view, z + 40, source, 'central directory size');
    cdOffset = u64(view, z + 48, source, 'central directory offset');
  }
  if (cdOffset + cdSize > bytes.length) throw truncated(`central directory at ${cdOffset}+${cdSize} past the end at ${bytes.length}`);
  const entries = new Map<string, ZipEntry>();
  const decoder = new TextDecoder();
  let p = cdOffset;
  for (let i = 0; i < count; i++) {
    if (p + 46 > bytes.length || view.getUint32(p, true) !== SIG_CENTRAL) throw truncated(`central directory entry ${i} missing`);
    const method = view.getUint16(p + 10, true);
    const crc = view.getUint32(p + 16, true);
    let compressedSize = view.getUint32(p + 20, true);
    let size = view.getUint32(p + 24, true);
    const nameLen = view.getUint16(p + 28, true);
    const extraLen = view.getUint16(p + 30, true);
    const commentLen = view.getUint16(p + 32, true);
    let localHeaderOffset = view.getUint32(p + 42, true);
    const name = decoder.decode(bytes.subarray(p + 46, p + 46 + nameLen));
    // zip64 extended information: the 8-byte values of the fields that hold 0xffffffff, in this order
    let e = p + 46 + nameLen;
    const extraEnd = e + extraLen;
    while (e + 4 <= extraEnd) {
      const id = view.getUint16(e, true);
      const len = view.getUint16(e + 2, true);
      if (id === 0x0001) {
        let q = e + 4;
        if (size === 0xffffffff) (size = u64(view, q, source, `size of '${name}'`)), (q += 8);
        if (compressedSize === 0xffffffff) (compressedSize = u64(view, q, source, `size of '${name}'`)), (q += 8);
        if (localHeaderOffset === 0xffffffff) localHeaderOffset = u64(view, q, source, `offset of '${name}'`);
      }
      e += 4 + len;
    }
    entries.set(name, { name, method, crc32: crc, compressedSize, size, localHeaderOffset });
    p = extraEnd + commentLen;
  }
  return {
    entries,
    read(name: string): Uint8Array {
      const entry = entries.get(name);
      if (!entry) throw new ImportError(`${source}: zip archive has no entry '${name}'`);
      const at = entry.localHeaderOffset;
      if (at + 30 > bytes.length || view.getUint32(at, true) !== SIG_LOCAL) throw truncated(`local header of '${name}' missing`);
      const start = at + 30 + view.getUint16(at + 26, true) + view.getUint16(at + 28, true);
      const end = start + entry.compressedSize;
      if (end > bytes.length) throw truncated(`entry '${name}' ends at ${end}, past the end of the file at ${bytes.length}`);
      const raw = bytes.subarray(start, end);
      let data: Uint8Array;
      if (entry.method === 0) data = raw;
      else if (entry.method === 8) {
        try {
          const b = inflateRawSync(raw);
          data = new Uint8Array(b.buffer, b.byteOffset, b.byteLength);
        } catch (err) {
          throw new ImportError(`${source}: zip entry '${name}' does not inflate (${(err as Error).message})`);
        }
      } else throw new ImportError(`${source}: zip entry '${name}' uses compression method ${entry.method}, expected 0 (stored) or 8 (deflate)`);
      if (data.length !== entry.size) throw new ImportError(`${source}: zip entry '${name}' has ${data.length} bytes, its directory says ${entry.size}`);
      if (crc32(data) !== entry.crc32) throw new ImportError(`${source}: zip entry '${name}' fails its CRC-32 check (damaged file)`);
      return data;
    },
  };
}
