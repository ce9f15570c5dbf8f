// Just enough PNG decoding for tests: IHDR (size, colour type) and the pixels of 8-bit RGB/RGBA images.
import { inflateSync } from 'node:zlib';

export interface PngInfo { width: number; height: number; bitDepth: number; colorType: number }

export function pngInfo(buf: Uint8Array): PngInfo {
  const sig = [137, 80, 78, 71, 13, 10, 26, 10];
  if (buf.length < 33 || sig.some((b, i) => buf[i] !== b)) throw new Error('not a PNG (bad signature)');
  const dv = new DataView(buf.buffer, buf.byteOffset, buf.byteLength);
  const type = String.fromCharCode(buf[12]!, buf[13]!, buf[14]!, buf[15]!);
  if (type !== 'IHDR') throw new Error(`first PNG chunk is ${type}, expected IHDR`);
  return { width: dv.getUint32(16), height: dv.getUint32(20), bitDepth: buf[24]!, colorType: buf[25]! };
}

/** RGBA pixels of an 8-bit, non-interlaced RGB (2) or RGBA (6) PNG. */
export function decodePng(buf: Uint8Array): { width: number; height: number; rgba: Uint8Array } {
  const info = pngInfo(buf);
  if (info.bitDepth !== 8 || (info.colorType !== 2 && info.colorType !== 6)) throw new Error(`unsupported PNG: bit depth ${info.bitDepth}, colour type ${info.colorType}`);
  const dv = new DataView(buf.buffer, buf.byteOffset, buf.byteLength);
  const idat: Uint8Array[] = [];
  for (let off = 8; off < buf.length; ) {
    const len = dv.getUint32(off);
    const type = String.fromCharCode(buf[off + 4]!, buf[off + 5]!, buf[off + 6]!, buf[off + 7]!);
    if (type === 'IDAT') idat.push(buf.subarray(off + 8, off + 8 + len));
    if (type === 'IEND') break;
    off += 12 + len;
  }
  const raw = inflateSync(Buffer.concat(idat));
  const bpp = info.colorType === 6 ? 4 : 3;
  const stride = info.width * bpp;
  const out = new Uint8Array(info.width * info.height * 4);
  let prev = new Uint8Array(stride);
  for (let y = 0; y < info.height; y++) {
    const filter = raw[y * (stride + 1)]!;
    const line = raw.subarray(y * (stride + 1) + 1, (y + 1) * (stride + 1));
    const cur = new Uint8Array(stride);
    for (let x = 0; x < stride; x++) {
      const a = x >= bpp ? cur[x - bpp]! : 0, b = prev[x]!, c = x >= bpp ? prev[x - bpp]! : 0;
      let p: number;
      switch (filter) {
        case 0: p = 0; break;
        case 1: p = a; break;
        case 2: p = b; break;
        case 3: p = (a + b) >> 1; break;
        case 4: { const pa = Math.abs(b - c), pb = Math.abs(a - c), pc = Math.abs(a + b - 2 * c); p = pa <= pb && pa <= pc ? a : pb <= pc ? b : c; break; }
        default: throw new Error(`bad PNG filter ${filter} on row ${y}`);
      }
      cur[x] = (line[x]! + p) & 0xff;
    }
    for (let x = 0; x < info.width; x++) {
      out[(y * info.width + x) * 4] = cur[x * bpp]!;
      out[(y * info.width + x) * 4 + 1] = cur[x * bpp + 1]!;
      out[(y * info.width + x) * 4 + 2] = cur[x * bpp + 2]!;
      out[(y * info.width + x) * 4 + 3] = bpp === 4 ? cur[x * bpp + 3]! : 255;
    }
    prev = cur;
  }
  return { width: info.width, height: info.height, rgba: out };
}
