// Loads the compiled N-API addon (native/build/Release/vitscope_native.node) and describes its functions.
import { createRequire } from 'node:module';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { fileURLToPath } from 'node:url';

type F32 = Float32Array;
export type CpuLevel = 'avx512' | 'avx2' | 'generic';
export type GemmChoice = 'auto' | 'blas' | 'own';
const CPU_LEVELS: readonly string[] = ['avx512', 'avx2', 'generic'];
const GEMM_CHOICES: readonly string[] = ['auto', 'blas', 'own'];
type Typed = Float32Array | Int32Array | Uint8Array;

/** The functions exported by native/src/*.cc (see each file's comment for argument order). */
export interface NativeAddon {
  version: number;
  /** The SIMD level the kernels use now and the highest this CPU supports (cpu.cc). */
  cpu(): { level: CpuLevel; detected: CpuLevel };
  /** Lowers (or restores) the SIMD level; throws above what the CPU supports. Returns the level in use. */
  setCpu(level: CpuLevel): CpuLevel;
  /** Which sgemm runs: the chosen policy and the one active at the current CPU level (gemm.cc). */
  gemm(): { choice: GemmChoice; active: 'own' | 'blas' };
  setGemm(choice: GemmChoice): 'own' | 'blas';
  /** Core clock in Hz, timed over a chain of dependent adds (0 where not measurable). */
  measureClockHz(): number;
  /** Vector FMA instructions per second on one thread at the current level (0 at 'generic'). */
  measureFmaRate(): number;
  threads(): number;
  setThreads(n: number): number;
  matmul(a: F32, b: F32, out: F32, m: number, n: number, k: number, transA: boolean, transB: boolean,
    aIdx: Int32Array, bIdx: Int32Array, bias: F32 | null, biasSize: number, act: number, alpha: number): void;
  conv2d(x: F32, w: F32, out: F32, geom: number[], bias: F32 | null, biasSize: number, act: number, alpha: number): void;
  conv2dBackpropInput(dy: F32, w: F32, dx: F32, geom: number[]): void;
  conv2dBackpropFilter(x: F32, dy: F32, dw: F32, geom: number[]): void;
  /** Depthwise conv (depthwise.cc): filter [fh, fw, C, M], geom as conv2d's with Cout = C * M. */
  depthwiseConv2d(x: F32, w: F32, out: F32, geom: number[]): void;
  /** Its input gradient (dilation 1); geom describes the forward conv. */
  depthwiseBackpropInput(dy: F32, w: F32, dx: F32, geom: number[]): void;
  /** Its filter gradient (dilation 1); geom describes the forward conv. */
  depthwiseBackpropFilter(x: F32, dy: F32, dw: F32, geom: number[]): void;
  binary(op: number, a: F32, b: F32, out: F32 | Uint8Array, shape: number[], aStrides: number[], bStrides: number[]): void;
  unary(op: number, x: F32, out: F32, n: number, p1: number, p2: number): void;
  select(cond: Uint8Array, a: Typed, b: Typed, out: Typed, n: number, inner: number): void;
  addN(xs: F32[], out: F32, n: number): void;
  reduce(op: number, x: F32, out: F32 | Int32Array, outer: number, r: number, inner: number): void;
  /** Σ x² over every entry of the arrays, accumulated in float64 in fixed chunks (reduce.cc). */
  sumOfSquares(arrays: readonly F32[]): number;
  softmax(x: F32, out: F32, rows: number, cols: number, log: boolean): void;
  /** dx = y (dy - sum(dy y)) per row of a [rows, cols] layout (softmax's gradient). */
  softmaxGrad(y: F32, dy: F32, dx: F32, rows: number, cols: number): void;
  /** softmaxGrad's input adjoints given a (dx's): gdy = y (a - r), gy = a (dy - s) - r dy; s = sum(dy y), r = sum(a y) per row. */
  softmaxGradGrad(y: F32, dy: F32, a: F32, gy: F32, gdy: F32, rows: number, cols: number): void;
  stridedCopy(src: Typed, dst: Typed, shape: number[], srcStrides: number[], dstStrides: number[], srcOff: number, dstOff: number): void;
  /** One classical Gram–Schmidt pass v -= Q (Qᵀ v) (ortho.cc); returns [‖v‖² before, ‖v‖² after]. */
  gramSchmidtPass(v: Float64Array, basis: readonly Float64Array[]): [number, number];
  /** dst[dstOff + i] = src[srcOff + i], i < n, between a Float32Array and a Float64Array (either way). */
  convertCopy(src: Float32Array | Float64Array, dst: Float32Array | Float64Array, n: number, srcOff: number, dstOff: number): void;
  gather(src: Typed, idx: Int32Array, dst: Typed, outer: number, axisLen: number, nIdx: number, inner: number): number;
  oneHot(idx: Int32Array, out: F32, depth: number, on: number, off: number): void;
  layerNorm(x: F32, gamma: F32, beta: F32, y: F32, rows: number, cols: number, eps: number): void;
  layerNormGrad(x: F32, gamma: F32, dy: F32, dx: F32, dgamma: F32, dbeta: F32, rows: number, cols: number, eps: number): void;
  /** LayerNormGrad's input adjoints [gx, ggamma, gdy] given a (of dx), ag (of dgamma), ab (of dbeta); null ag / ab: zero. */
  layerNormGradGrad(x: F32, gamma: F32, dy: F32, a: F32, ag: F32 | null, ab: F32 | null, gx: F32, ggamma: F32, gdy: F32,
    rows: number, cols: number, eps: number): void;
  gelu(x: F32, y: F32, n: number): void;
  geluGrad(x: F32, dy: F32, dx: F32, n: number): void;
  silu(x: F32, y: F32, n: number): void;
  siluGrad(x: F32, dy: F32, dx: F32, n: number): void;
  /** geluGrad's input adjoints given a (dx's), one pass: gx = a dy gelu''(x), gdy = a gelu'(x) (= geluGrad(x, a) exactly). */
  geluGradGrad(x: F32, dy: F32, a: F32, gx: F32, gdy: F32, n: number): void;
  /** siluGrad's input adjoints given a, one pass: gx = a dy silu''(x), gdy = a silu'(x) (= siluGrad(x, a) exactly). */
  siluGradGrad(x: F32, dy: F32, a: F32, gx: F32, gdy: F32, n: number): void;
  batchNormTrain(x: F32, gamma: F32, beta: F32, y: F32, mean: F32, variance: F32, rows: number, c: number, eps: number): void;
  batchNormTrainGrad(x: F32, gamma: F32, dy: F32, mean: F32, variance: F32, dx: F32, dgamma: F32, dbeta: F32, rows: number,
    c: number, eps: number): void;
  /** batchNormTrain with y = relu(y), written in the same pass. */
  batchNormReluTrain(x: F32, gamma: F32, beta: F32, y: F32, mean: F32, variance: F32, rows: number, c: number, eps: number): void;
  /** batchNormTrainGrad of dy * step(y), y being batchNormReluTrain's output: the mask applied as dy is read. */
  batchNormReluTrainGrad(x: F32, gamma: F32, y: F32, dy: F32, mean: F32, variance: F32, dx: F32, dgamma: F32, dbeta: F32,
    rows: number, c: number, eps: number): void;
  adamw(p: F32, g: F32, m: F32, v: F32, pOut: F32, mOut: F32, vOut: F32, n: number, beta1: number, beta2: number, eps: number,
    stepSize: number, bc2Sqrt: number, decay: number): void;
  batchNorm(x: F32, mean: F32, variance: F32, offset: F32 | null, scale: F32 | null, y: F32, n: number, c: number,
    meanSize: number, varSize: number, offSize: number, scaleSize: number, eps: number): void;
  /** y = x * scale + shift per channel of a [rows, c] layout (no shift: y = x * scale). */
  channelAffine(x: F32, scale: F32, shift: F32 | null, y: F32, rows: number, c: number): void;
  /** dscale = sum over rows of dy * x, dshift = sum over rows of dy, per channel of a [rows, c] layout. */
  channelAffineGrad(dy: F32, x: F32, dscale: F32, dshift: F32, rows: number, c: number): void;
}

export const ADDON_PATH = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../../native/build/Release/vitscope_native.node');

let cached: { addon: NativeAddon | null; reason?: string } | null = null;

/** The addon, or null with the reason it could not be loaded. */
export function loadAddon(): { addon: NativeAddon | null; reason?: string } {
  if (cached) return cached;
  if (!fs.existsSync(ADDON_PATH)) {
    cached = { addon: null, reason: 'native addon not built (native/build/Release/vitscope_native.node missing)' };
    return cached;
  }
  const problem = environmentProblem();
  if (problem) {
    cached = { addon: null, reason: problem };
    return cached;
  }
  try {
    const require = createRequire(import.meta.url);
    cached = { addon: require(ADDON_PATH) as NativeAddon };
  } catch (err) {
    cached = { addon: null, reason: `native addon failed to load from ${ADDON_PATH}: ${(err as Error).message}` };
  }
  return cached;
}

/**
 * Why the addon must not be loaded here, or null: a bad VITSCOPE_CPU / VITSCOPE_GEMM value, or an x86-64 CPU without
 * AVX2+FMA (the addon's baseline is x86-64-v3; loading it there would die with an illegal instruction).
 */
function environmentProblem(): string | null {
  const cpu = process.env.VITSCOPE_CPU;
  if (cpu && !CPU_LEVELS.includes(cpu)) return `environment variable VITSCOPE_CPU: expected one of ${CPU_LEVELS.join(', ')}, found '${cpu}'`;
  const gemm = process.env.VITSCOPE_GEMM;
  if (gemm && !GEMM_CHOICES.includes(gemm)) return `environment variable VITSCOPE_GEMM: expected one of ${GEMM_CHOICES.join(', ')}, found '${gemm}'`;
  if (process.arch === 'x64' && process.platform === 'linux') {
    let cpuinfo = '';
    try {
      cpuinfo = fs.readFileSync('/proc/cpuinfo', 'utf8');
    } catch {
      return null; // cannot tell: let the load decide
    }
    const flags = /^flags\s*:(.*)$/m.exec(cpuinfo)?.[1]?.split(/\s+/) ?? [];
    if (flags.length > 0 && !(flags.includes('avx2') && flags.includes('fma')))
      return 'this CPU lacks AVX2/FMA (flags in /proc/cpuinfo); the native addon is built for x86-64-v3 and would not run';
  }
  return null;
}

/** The loaded addon; throws if it is not available (kernels are only registered when it is). */
export function addon(): NativeAddon {
  const { addon: a, reason } = loadAddon();
  if (!a) throw new Error(reason);
  return a;
}
