// A discrete Fourier transform built from matrix products, so it runs on every tensor backend
// (the wasm backend has no FFT kernel, and the native one may not have one either). For the map
// sizes of CIFAR models (32 x 32 and below) an O(n^2) DFT per axis is as fast as an FFT would be.
import { tf } from '../backend/tf.ts';

/** A complex tensor as two real tensors of the same shape. */
export interface ComplexPair {
  re: tf.Tensor;
  im: tf.Tensor;
}

/**
 * Real and imaginary parts of the n x n DFT matrix: D[j][k] = exp(-2 pi i j k / n) forward,
 * exp(+2 pi i j k / n) / n inverse. Angles are reduced modulo n in integers before the
 * trigonometry, so entries are exact to float32 rounding for any n.
 */
export function dftMatrix(n: number, inverse = false): { re: Float32Array; im: Float32Array } {
  if (!Number.isInteger(n) || n < 1) throw new Error(`dftMatrix: size must be a positive integer, got ${n}`);
  const re = new Float32Array(n * n);
  const im = new Float32Array(n * n);
  const sign = inverse ? 1 : -1;
  const scale = inverse ? 1 / n : 1;
  for (let j = 0; j < n; j++) {
    for (let k = 0; k < n; k++) {
      const angle = (2 * Math.PI * ((j * k) % n)) / n;
      re[j * n + k] = scale * Math.cos(angle);
      im[j * n + k] = scale * sign * Math.sin(angle);
    }
  }
  return { re, im };
}

/** DFT along the last axis of x (complex; `im` null for a real input). Shapes are kept. */
export function dftLastAxis(re: tf.Tensor, im: tf.Tensor | null, inverse = false): ComplexPair {
  return tf.tidy(() => {
    const shape = re.shape;
    const n = shape[shape.length - 1]!;
    const m = dftMatrix(n, inverse);
    const dRe = tf.tensor2d(m.re, [n, n]);
    const dIm = tf.tensor2d(m.im, [n, n]);
    const xRe = tf.reshape(re, [-1, n]) as tf.Tensor2D;
    // y[k] = sum_j x[j] D[j][k]: a right product with the (symmetric) DFT matrix.
    let yRe = tf.matMul(xRe, dRe);
    let yIm = tf.matMul(xRe, dIm);
    if (im !== null) {
      const xIm = tf.reshape(im, [-1, n]) as tf.Tensor2D;
      yRe = tf.sub(yRe, tf.matMul(xIm, dIm));
      yIm = tf.add(yIm, tf.matMul(xIm, dRe));
    }
    return { re: tf.reshape(yRe, shape), im: tf.reshape(yIm, shape) };
  });
}

/** 2D DFT over the last two axes of a [N, H, W] tensor (complex; `im` null for real input). */
export function dft2d(re: tf.Tensor3D, im: tf.Tensor3D | null = null, inverse = false): { re: tf.Tensor3D; im: tf.Tensor3D } {
  if (re.rank !== 3) throw new Error(`dft2d: expected a [N, H, W] tensor, got shape [${re.shape.join(', ')}]`);
  return tf.tidy(() => {
    const alongW = dftLastAxis(re, im, inverse);
    const tRe = tf.transpose(alongW.re, [0, 2, 1]);
    const tIm = tf.transpose(alongW.im, [0, 2, 1]);
    const alongH = dftLastAxis(tRe, tIm, inverse);
    return {
      re: tf.transpose(alongH.re, [0, 2, 1]) as tf.Tensor3D,
      im: tf.transpose(alongH.im, [0, 2, 1]) as tf.Tensor3D,
    };
  });
}

/** NHWC [B, H, W, C] -> [B * C, H, W]: one 2D map per image and channel. */
export function nhwcToMaps(x: tf.Tensor4D): tf.Tensor3D {
  return tf.tidy(() => {
    const [b, h, w, c] = x.shape;
    return tf.reshape(tf.transpose(x, [0, 3, 1, 2]), [b * c, h, w]) as tf.Tensor3D;
  });
}

/** [B * C, H, W] -> NHWC [B, H, W, C]. */
export function mapsToNhwc(x: tf.Tensor3D, batch: number, channels: number): tf.Tensor4D {
  return tf.tidy(() => {
    const [, h, w] = x.shape;
    return tf.transpose(tf.reshape(x, [batch, channels, h, w]), [0, 2, 3, 1]) as tf.Tensor4D;
  });
}

/** Signed integer frequency of DFT bin k of an n-point transform: 0, 1, ..., then negative; n/2 counts as +n/2. */
export function signedBin(k: number, n: number): number {
  return k <= n / 2 ? k : k - n;
}
