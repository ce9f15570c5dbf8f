// Resizing 8-bit RGB images exactly as Pillow's Image.resize does (libImaging/Resample.c), so that pixels fed to
// a model match those of torchvision/timm transforms and of the authors' notebooks to the byte: a separable
// convolution whose kernel support is widened by the downscaling factor (antialiasing), coefficients normalised
// then rounded to 22-bit fixed point, a horizontal pass then a vertical pass, each rounded and clipped to 0..255.
// (libvips' resize, sharp's, shrinks by box filtering first and gives different bytes.)

export type Interpolation = 'bicubic' | 'bilinear' | 'nearest';

/** Pillow's PRECISION_BITS for 8-bit images: 32 - 8 - 2. */
const PRECISION_BITS = 22;
const ONE = 2 ** PRECISION_BITS;
const HALF = 2 ** (PRECISION_BITS - 1);

interface Filter {
  support: number;
  weight(x: number): number;
}

const FILTERS: Record<Exclude<Interpolation, 'nearest'>, Filter> = {
  // Keys' cubic with a = -0.5 (Pillow's bicubic_filter).
  bicubic: {
    support: 2,
    weight(x) {
      const a = -0.5;
      const t = Math.abs(x);
      if (t < 1) return ((a + 2) * t - (a + 3)) * t * t + 1;
      if (t < 2) return (((t - 5) * t + 8) * t - 4) * a;
      return 0;
    },
  },
  bilinear: {
    support: 1,
    weight(x) {
      const t = Math.abs(x);
      return t < 1 ? 1 - t : 0;
    },
  },
};

/** Per output index: first input index, tap count and fixed-point weights (Pillow's precompute_coeffs + normalize_coeffs_8bpc). */
interface Coefficients {
  start: Int32Array;
  taps: Int32Array;
  kernelSize: number;
  weights: Float64Array;
}

function coefficients(inSize: number, outSize: number, filter: Filter): Coefficients {
  const scale = inSize / outSize;
  const filterScale = Math.max(scale, 1);
  const support = filter.support * filterScale;
  const kernelSize = Math.ceil(support) * 2 + 1;
  const start = new Int32Array(outSize);
  const taps = new Int32Array(outSize);
  const weights = new Float64Array(outSize * kernelSize);
  const pre = new Float64Array(kernelSize);
  for (let xx = 0; xx < outSize; xx++) {
    const center = (xx + 0.5) * scale;
    // C's (int) truncates toward zero: Math.trunc, as Pillow rounds these bounds.
    const xmin = Math.max(Math.trunc(center - support + 0.5), 0);
    const xmax = Math.min(Math.trunc(center + support + 0.5), inSize) - xmin;
    let sum = 0;
    for (let x = 0; x < xmax; x++) {
      const w = filter.weight((x + xmin - center + 0.5) / filterScale);
      pre[x] = w;
      sum += w;
    }
    for (let x = 0; x < xmax; x++) {
      const w = sum !== 0 ? pre[x]! / sum : pre[x]!;
      weights[xx * kernelSize + x] = w < 0 ? Math.trunc(-0.5 + w * ONE) : Math.trunc(0.5 + w * ONE);
    }
    start[xx] = xmin;
    taps[xx] = xmax;
  }
  return { start, taps, kernelSize, weights };
}

function clip8(v: number): number {
  if (v >= ONE * 256) return 255;
  if (v <= 0) return 0;
  return Math.floor(v / ONE);
}

/**
 * Resizes interleaved 8-bit images (`channels` per pixel, rows of `width`) to outWidth x outHeight as
 * Pillow's `Image.resize((outWidth, outHeight), resample)` does for mode RGB (bit-identical output).
 */
export function pilResize(
  src: Uint8Array,
  width: number,
  height: number,
  channels: number,
  outWidth: number,
  outHeight: number,
  interpolation: Interpolation,
): Uint8Array {
  if (!(Number.isInteger(outWidth) && Number.isInteger(outHeight) && outWidth >= 1 && outHeight >= 1))
    throw new RangeError(`pilResize: output size ${outWidth} x ${outHeight} is not positive integers`);
  if (src.length !== width * height * channels) throw new RangeError(`pilResize: ${src.length} bytes do not hold a ${width} x ${height} x ${channels} image`);
  if (interpolation === 'nearest') return nearest(src, width, height, channels, outWidth, outHeight);
  const filter = FILTERS[interpolation];
  let image = src;
  let w = width;
  if (outWidth !== width) {
    const c = coefficients(width, outWidth, filter);
    const out = new Uint8Array(outWidth * height * channels);
    for (let y = 0; y < height; y++) {
      const row = y * width * channels;
      for (let xx = 0; xx < outWidth; xx++) {
        const x0 = c.start[xx]!;
        const n = c.taps[xx]!;
        const k = xx * c.kernelSize;
        for (let ch = 0; ch < channels; ch++) {
          let s = HALF;
          for (let t = 0; t < n; t++) s += image[row + (x0 + t) * channels + ch]! * c.weights[k + t]!;
          out[(y * outWidth + xx) * channels + ch] = clip8(s);
        }
      }
    }
    image = out;
    w = outWidth;
  }
  if (outHeight !== height) {
    const c = coefficients(height, outHeight, filter);
    const out = new Uint8Array(w * outHeight * channels);
    const stride = w * channels;
    for (let yy = 0; yy < outHeight; yy++) {
      const y0 = c.start[yy]!;
      const n = c.taps[yy]!;
      const k = yy * c.kernelSize;
      for (let i = 0; i < stride; i++) {
        let s = HALF;
        for (let t = 0; t < n; t++) s += image[(y0 + t) * stride + i]! * c.weights[k + t]!;
        out[yy * stride + i] = clip8(s);
      }
    }
    image = out;
  }
  return image === src ? src.slice() : image;
}

/** Pillow's NEAREST resize (an affine scale): output pixel x takes input floor((x + 0.5) * in / out). */
function nearest(src: Uint8Array, width: number, height: number, channels: number, outWidth: number, outHeight: number): Uint8Array {
  const out = new Uint8Array(outWidth * outHeight * channels);
  const xs = Int32Array.from({ length: outWidth }, (_, x) => Math.min(width - 1, Math.floor(((x + 0.5) * width) / outWidth)));
  for (let y = 0; y < outHeight; y++) {
    const sy = Math.min(height - 1, Math.floor(((y + 0.5) * height) / outHeight));
    for (let x = 0; x < outWidth; x++) {
      const s = (sy * width + xs[x]!) * channels;
      const d = (y * outWidth + x) * channels;
      for (let c = 0; c < channels; c++) out[d + c] = src[s + c]!;
    }
  }
  return out;
}
