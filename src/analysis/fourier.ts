// Fourier analysis of feature maps (Park & Kim 2022, Fig. 2 and Fig. 8): the centred log amplitude
// of the 2D DFT of each channel, averaged over batch and channels, and its half-diagonal relative
// to frequency 0 ("relative log amplitude"). MSAs lower the high-frequency end (low-pass), Convs raise it.
import { tf } from '../backend/tf.ts';
import { dft2d, nhwcToMaps } from './dft.ts';

/** Added to |F| before the logarithm, as the authors do. */
export const LOG_AMPLITUDE_EPS = 1e-6;

/** Maps per chunk are bounded so that B*C*H*W of a large feature map never sits in memory four times over. */
const MAX_CHUNK_ELEMENTS = 1 << 22;

function checkFeatureMap(fn: string, x: tf.Tensor): asserts x is tf.Tensor4D {
  if (x.rank !== 4) throw new Error(`${fn}: feature map must be NHWC [B, H, W, C], got shape [${x.shape.join(', ')}]`);
  if (x.shape.some((d) => d === 0)) throw new Error(`${fn}: feature map is empty, shape [${x.shape.join(', ')}]`);
}

/**
 * [B, H, W, C] -> [H, W] tensor of log(|F(x)| + 1e-6), averaged over batch and channels, frequency 0 at [0, 0]
 * (not centred; centredLogAmplitude does that on the values read). The caller disposes it.
 */
export function meanLogAmplitudeTensor(featureMap: tf.Tensor4D): tf.Tensor2D {
  checkFeatureMap('fourierLogAmplitude', featureMap);
  const [, h, w] = featureMap.shape;
  return tf.tidy(() => {
    const maps = nhwcToMaps(featureMap);
    const n = maps.shape[0];
    const chunk = Math.max(1, Math.floor(MAX_CHUNK_ELEMENTS / (h * w)));
    let acc: tf.Tensor = tf.zeros([h, w]);
    for (let start = 0; start < n; start += chunk) {
      const size = Math.min(chunk, n - start);
      const part = tf.tidy(() => {
        const slice = tf.slice(maps, [start, 0, 0], [size, h, w]) as tf.Tensor3D;
        const f = dft2d(slice);
        const amplitude = tf.sqrt(tf.add(tf.square(f.re), tf.square(f.im)));
        return tf.sum(tf.log(tf.add(amplitude, LOG_AMPLITUDE_EPS)), 0);
      });
      const next = tf.add(acc, part);
      acc.dispose();
      part.dispose();
      acc = next;
    }
    return tf.div(acc, n) as tf.Tensor2D;
  });
}

/** Row-major H x W values with frequency 0 at [0, 0] -> rows rolled by (floor(H/2), floor(W/2)), frequency 0 in the centre. */
export function centredLogAmplitude(flat: ArrayLike<number>, h: number, w: number): number[][] {
  const ch = Math.floor(h / 2);
  const cw = Math.floor(w / 2);
  const out: number[][] = [];
  for (let i = 0; i < h; i++) {
    const row: number[] = new Array(w);
    // roll: out[i] = in[(i - shift) mod n], so in[0] (frequency 0) lands at index shift.
    const si = (i - ch + h) % h;
    for (let j = 0; j < w; j++) row[j] = flat[si * w + ((j - cw + w) % w)]!;
    out.push(row);
  }
  return out;
}

/**
 * [B, H, W, C] -> H x W array of log(|F(x)| + 1e-6), averaged over batch and channels, rolled by
 * (floor(H/2), floor(W/2)) so that frequency 0 sits at [floor(H/2)][floor(W/2)]. One asynchronous read.
 */
export async function fourierLogAmplitude(featureMap: tf.Tensor4D): Promise<number[][]> {
  const sum = meanLogAmplitudeTensor(featureMap);
  try {
    return centredLogAmplitude(await sum.data(), featureMap.shape[1], featureMap.shape[2]);
  } finally {
    sum.dispose();
  }
}

/**
 * Which half-diagonal is taken. 'authors' (fourier_analysis.ipynb): `diag[H/2 : H]`, frequencies 0 ... (1 - 2/H) pi,
 * which the authors plot on 0 ... 1 (so their "pi" point is (1 - 2/H) pi: pi/2 on 4 x 4 maps). 'nyquist': one
 * point more, the Nyquist bin, which is at pi for even H.
 */
export type FourierDiagonal = 'authors' | 'nyquist';

/** Entries of the half-diagonal of an H x H map. */
function diagonalLength(h: number, diagonal: FourierDiagonal): number {
  const c = Math.floor(h / 2);
  return diagonal === 'nyquist' ? c + 1 : h - c;
}

/** Half-diagonal of a centred H x H log-amplitude map from frequency 0 outwards, minus its value at 0. */
export function relativeFromLogAmplitude(amplitude: number[][], diagonal: FourierDiagonal = 'nyquist'): number[] {
  const h = amplitude.length;
  const w = amplitude[0]?.length ?? 0;
  if (h !== w) throw new Error(`relativeLogAmplitude: the diagonal needs a square map, got ${h} x ${w}`);
  const c = Math.floor(h / 2);
  const zero = amplitude[c]![c]!;
  const out: number[] = [];
  // 'nyquist': k = floor(H/2) wraps to index 0, the Nyquist frequency (pi) for even H.
  for (let k = 0; k < diagonalLength(h, diagonal); k++) out.push(amplitude[(c + k) % h]![(c + k) % h]! - zero);
  return out;
}

/**
 * Relative log amplitude: the diagonal of the centred log amplitude from frequency 0 outwards,
 * minus its value at 0; entry k at frequency 2k/H (units of pi). 'nyquist' (default here): floor(H/2)+1
 * entries, the last at pi for even H. 'authors': indices H/2 ... H-1, up to (1 - 2/H) pi.
 */
export async function relativeLogAmplitude(featureMap: tf.Tensor4D, diagonal: FourierDiagonal = 'nyquist'): Promise<number[]> {
  checkFeatureMap('relativeLogAmplitude', featureMap);
  return relativeFromLogAmplitude(await fourierLogAmplitude(featureMap), diagonal);
}

/** Frequencies (units of pi) of the entries of `relativeLogAmplitude` for an H x H map: 2k/H. */
export function relativeFrequencies(h: number, diagonal: FourierDiagonal = 'nyquist'): number[] {
  return Array.from({ length: diagonalLength(h, diagonal) }, (_, k) => (2 * k) / h);
}

/**
 * Where a figure draws the entries: the authors spread them evenly over 0 ... 1 (np.linspace(0, 1, n)),
 * so their last point sits at "pi" whatever its frequency; 'nyquist' draws them at their frequencies.
 */
export function plotFrequencies(h: number, diagonal: FourierDiagonal): number[] {
  if (diagonal === 'nyquist') return relativeFrequencies(h, diagonal);
  const n = diagonalLength(h, diagonal);
  return Array.from({ length: n }, (_, k) => (n > 1 ? k / (n - 1) : 0));
}
