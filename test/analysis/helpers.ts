// Independent float64 reference implementations for the analysis tests (no tensors).

/** Naive 2D DFT of one real or complex H x W map, row-major; returns [re, im]. */
export function naiveDft2(re: ArrayLike<number>, im: ArrayLike<number> | null, h: number, w: number): [Float64Array, Float64Array] {
  const outRe = new Float64Array(h * w);
  const outIm = new Float64Array(h * w);
  for (let u = 0; u < h; u++) {
    for (let v = 0; v < w; v++) {
      let sr = 0;
      let si = 0;
      for (let y = 0; y < h; y++) {
        for (let x = 0; x < w; x++) {
          const a = -2 * Math.PI * ((u * y) / h + (v * x) / w);
          const xr = re[y * w + x]!;
          const xi = im ? im[y * w + x]! : 0;
          sr += xr * Math.cos(a) - xi * Math.sin(a);
          si += xr * Math.sin(a) + xi * Math.cos(a);
        }
      }
      outRe[u * w + v] = sr;
      outIm[u * w + v] = si;
    }
  }
  return [outRe, outIm];
}

/** Seeded uniform numbers in [-1, 1) (a tiny LCG, independent of the toolkit's Rng). */
export function lcg(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    return (s / 4294967296) * 2 - 1;
  };
}

/** Circular 2D convolution of an H x W map with a k x k kernel (k odd), row-major. */
export function circularConv(x: ArrayLike<number>, h: number, w: number, kernel: number[][]): Float64Array {
  const k = kernel.length;
  const r = (k - 1) / 2;
  const out = new Float64Array(h * w);
  for (let i = 0; i < h; i++) {
    for (let j = 0; j < w; j++) {
      let s = 0;
      for (let a = 0; a < k; a++) {
        for (let b = 0; b < k; b++) s += kernel[a]![b]! * x[((i + a - r + h) % h) * w + ((j + b - r + w) % w)]!;
      }
      out[i * w + j] = s;
    }
  }
  return out;
}
