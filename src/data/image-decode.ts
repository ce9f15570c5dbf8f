// Decoding one image file (JPEG, PNG, WebP) to 8-bit RGB with sharp (libvips), converted as Pillow's
// `Image.open(f).convert('RGB')` does — timm's loader, torchvision's ImageFolder and the authors' notebooks all
// read images that way — so that a folder gives the model the bytes it would get in PyTorch:
// - grey (L, 1-bit, palette) → the grey value in R, G and B; palette → its colours;
// - an alpha channel (RGBA, LA, palette transparency) is dropped, NOT composited onto a background;
// - CMYK (JPEG) → Pillow's naive formula per channel, 255 - (c + k) with rounding (no ICC profile);
// - 16-bit PNG: RGB(A) and grey+alpha keep the high byte; plain 16-bit grey is clipped at 255 (Pillow opens it
//   as mode "I" and its I → RGB conversion clips, so most of such an image is white — as in timm);
// - embedded ICC profiles are ignored and the EXIF orientation is NOT applied (Pillow does neither by itself);
// - a truncated or corrupt file, or another format, is a DataError naming the file (Pillow raises too).
import { promises as fs } from 'node:fs';
import sharp, { type Metadata, type Sharp } from 'sharp';
import { DataError } from './errors.ts';

/** The formats read; others (GIF, TIFF, SVG, ...) are refused by name. */
export const IMAGE_FORMATS = ['jpeg', 'png', 'webp'] as const;
/** File name extensions that an image folder lists (case-insensitive). */
export const IMAGE_EXTENSIONS: readonly string[] = ['.jpg', '.jpeg', '.png', '.webp'];

export interface RgbImage {
  width: number;
  height: number;
  /** width * height * 3 bytes, rows top to bottom, RGB interleaved. */
  data: Uint8Array;
}

const EXPECTED = `a readable ${IMAGE_FORMATS.map((f) => f.toUpperCase()).join(', ')} image`;

/** Pillow's MULDIV255: round(a * b / 255) in integers. */
function mulDiv255(a: number, b: number): number {
  const t = a * b + 128;
  return ((t >> 8) + t) >> 8;
}

function cmykToRgb(cmyk: Uint8Array, pixels: number): Uint8Array {
  const out = new Uint8Array(pixels * 3);
  for (let p = 0; p < pixels; p++) {
    const nk = 255 - cmyk[p * 4 + 3]!;
    for (let c = 0; c < 3; c++) {
      const v = nk - mulDiv255(cmyk[p * 4 + c]!, nk);
      out[p * 3 + c] = v < 0 ? 0 : v > 255 ? 255 : v;
    }
  }
  return out;
}

/** Decodes `bytes` (the contents of `file`, named in errors) to RGB as Pillow's convert('RGB'). */
export async function decodeImageBytes(bytes: Uint8Array, file: string): Promise<RgbImage> {
  // ignoreIcc: Pillow does not apply embedded profiles; failOn 'error': a truncated or corrupt file fails, as in Pillow.
  const open = (): Sharp => sharp(bytes, { ignoreIcc: true, failOn: 'error', limitInputPixels: 2 ** 28 });
  let meta: Metadata;
  try {
    meta = await open().metadata();
  } catch (err) {
    throw new DataError(file, `no decodable image (${firstLine(err)})`, EXPECTED, { cause: err });
  }
  if (!(IMAGE_FORMATS as readonly string[]).includes(meta.format ?? ''))
    throw new DataError(file, `a ${String(meta.format).toUpperCase()} image`, EXPECTED);
  try {
    if (meta.space === 'cmyk') {
      const { data, info } = await open().pipelineColourspace('cmyk').toColourspace('cmyk').raw().toBuffer({ resolveWithObject: true });
      if (info.channels !== 4) throw new Error(`CMYK decoded to ${info.channels} channels`);
      return { width: info.width, height: info.height, data: cmykToRgb(new Uint8Array(data.buffer, data.byteOffset, data.length), info.width * info.height) };
    }
    if (meta.depth === 'ushort') return await decode16(open, meta);
    const { data, info } = await open().removeAlpha().toColourspace('srgb').raw().toBuffer({ resolveWithObject: true });
    if (info.channels !== 3) throw new Error(`decoded to ${info.channels} channels`);
    return { width: info.width, height: info.height, data: new Uint8Array(data.buffer, data.byteOffset, data.length) };
  } catch (err) {
    if (err instanceof DataError) throw err;
    throw new DataError(file, `an image that cannot be decoded (${firstLine(err)})`, EXPECTED, { cause: err });
  }
}

/** 16-bit images: the high byte, except plain grey, which Pillow clips at 255 (see the header). */
async function decode16(open: () => Sharp, meta: Metadata): Promise<RgbImage> {
  const grey = meta.space === 'grey16' || meta.space === 'b-w';
  const space = grey ? 'grey16' : 'rgb16';
  const { data, info } = await open().pipelineColourspace(space).toColourspace(space).raw({ depth: 'ushort' }).toBuffer({ resolveWithObject: true });
  const values = new Uint16Array(data.buffer, data.byteOffset, data.length / 2);
  const pixels = info.width * info.height;
  const ch = info.channels;
  const out = new Uint8Array(pixels * 3);
  const clipGrey = grey && !meta.hasAlpha;
  for (let p = 0; p < pixels; p++) {
    for (let c = 0; c < 3; c++) {
      const v = values[p * ch + (grey ? 0 : c)]!;
      out[p * 3 + c] = clipGrey ? Math.min(v, 255) : v >> 8;
    }
  }
  return { width: info.width, height: info.height, data: out };
}

/** Reads and decodes an image file (see decodeImageBytes). */
export async function decodeImageFile(file: string): Promise<RgbImage> {
  let bytes: Uint8Array;
  try {
    bytes = await fs.readFile(file);
  } catch (err) {
    throw new DataError(file, `a file that cannot be read (${(err as NodeJS.ErrnoException).code ?? firstLine(err)})`, EXPECTED, { cause: err });
  }
  if (bytes.length === 0) throw new DataError(file, 'an empty file (0 bytes)', EXPECTED);
  return decodeImageBytes(bytes, file);
}

function firstLine(err: unknown): string {
  return String((err as Error)?.message ?? err).split('\n')[0]!.trim();
}
