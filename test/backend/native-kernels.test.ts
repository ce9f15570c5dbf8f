// Every kernel the native backend overrides, and its registered gradient, against the cpu backend on randomised
// inputs: broadcasting, size-1 and empty dimensions, transposed operands, strides and paddings, large inputs that
// take the threaded paths. Tolerance: max |native - cpu| <= tol * max(1, max |cpu|), tol = 1e-4 for sgemm-based
// kernels (different summation order), 2e-5 elsewhere; bool and int32 outputs must match exactly.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { tf } from '../../src/backend/tf.ts';
import { tryRegisterNativeBackend, nativeKernelNames } from '../../src/backend/native/index.ts';
import { Rng } from '../../src/util/random.ts';
import { initBackend } from '../../src/backend/select.ts';

const reg = tryRegisterNativeBackend();
const skip = reg.registered ? false : `native backend unavailable: ${reg.reason} (build it with npm run build:native)`;

type DType = 'float32' | 'int32' | 'bool';
interface Input {
  shape: number[];
  dtype?: DType;
  /** uniform in [lo, hi) instead of N(0, 1) */
  range?: [number, number];
  /** integers in [0, n) (int32 inputs) */
  ints?: number;
  values?: number[];
  /** no gradient wanted for this input */
  constant?: boolean;
}
interface Case {
  name: string;
  inputs: Input[];
  f: (...xs: tf.Tensor[]) => tf.Tensor | tf.Tensor[];
  grad?: boolean;
  tol?: number;
  /** what cpu computes instead of f (where tfjs's cpu kernel itself is wrong) */
  ref?: (...xs: tf.Tensor[]) => tf.Tensor | tf.Tensor[];
}

const rng = new Rng(20240611);
const MATMUL_TOL = 1e-4;
const TOL = 2e-5;

function makeData(inp: Input): number[] {
  if (inp.values) return inp.values;
  const n = inp.shape.reduce((a, b) => a * b, 1);
  const out: number[] = [];
  for (let i = 0; i < n; ++i) {
    if (inp.dtype === 'bool') out.push(rng.uniform() < 0.5 ? 1 : 0);
    else if (inp.dtype === 'int32') out.push(rng.int(inp.ints ?? 10));
    else if (inp.range) out.push(inp.range[0] + (inp.range[1] - inp.range[0]) * rng.uniform());
    else out.push(rng.normal());
  }
  return out;
}

interface Result {
  outs: { shape: number[]; dtype: string; values: number[] }[];
  kernels: string[];
}

async function runOn(backend: string, c: Case, data: number[][], weights: number[][] | null): Promise<Result> {
  await tf.setBackend(backend);
  let outs: Result['outs'] = [];
  const prof = await tf.profile(() => {
    outs = tf.tidy(() => {
      const xs = c.inputs.map((inp, i) => tf.tensor(data[i], inp.shape, inp.dtype ?? 'float32'));
      const r = c.f(...xs);
      const ys = Array.isArray(r) ? r : [r];
      const result = ys.map((y) => ({ shape: y.shape, dtype: y.dtype, values: Array.from(y.dataSync()) }));
      if (c.grad && weights) {
        const idx = c.inputs.map((inp, i) => ((inp.dtype ?? 'float32') === 'float32' && !inp.constant ? i : -1)).filter((i) => i >= 0);
        const g = tf.grads((...vars: tf.Tensor[]) => {
          const all = xs.slice();
          idx.forEach((k, j) => (all[k] = vars[j]));
          const rr = c.f(...all);
          const yy = Array.isArray(rr) ? rr : [rr];
          return tf.addN(yy.map((y, j) => tf.sum(tf.mul(y, tf.tensor(weights[j], y.shape)))));
        });
        for (const gi of g(idx.map((k) => xs[k]))) result.push({ shape: gi.shape, dtype: gi.dtype, values: Array.from(gi.dataSync()) });
      }
      return result;
    });
  });
  return { outs, kernels: prof.kernelNames };
}

const seenKernels = new Set<string>();

async function check(c: Case): Promise<void> {
  const data = c.inputs.map(makeData);
  // output shapes first (cpu), then fixed random weights for the gradient's loss
  const cpuCase = c.ref ? { ...c, f: c.ref } : c;
  const probe = await runOn('cpu', { ...cpuCase, grad: false }, data, null);
  const weights = probe.outs.map((o) => o.values.map(() => rng.normal()));
  const ref = await runOn('cpu', cpuCase, data, weights);
  const got = await runOn('native', c, data, weights);
  got.kernels.forEach((k) => seenKernels.add(k));
  assert.equal(got.outs.length, ref.outs.length, `${c.name}: number of outputs`);
  const tol = c.tol ?? TOL;
  got.outs.forEach((o, i) => {
    const r = ref.outs[i];
    const what = `${c.name}: ${i < probe.outs.length ? `output ${i}` : `gradient ${i - probe.outs.length}`}`;
    assert.deepEqual(o.shape, r.shape, `${what} shape`);
    assert.equal(o.dtype, r.dtype, `${what} dtype`);
    if (o.dtype !== 'float32') {
      assert.deepEqual(o.values, r.values, `${what} values`);
      return;
    }
    let scale = 1, maxDiff = 0, at = -1;
    for (const v of r.values) if (Number.isFinite(v)) scale = Math.max(scale, Math.abs(v));
    for (let k = 0; k < r.values.length; ++k) {
      const a = o.values[k], b = r.values[k];
      if (Number.isNaN(b) || !Number.isFinite(b)) {
        assert.ok(Object.is(a, b) || (Number.isNaN(a) && Number.isNaN(b)), `${what}[${k}]: ${a} vs cpu ${b}`);
        continue;
      }
      const d = Math.abs(a - b);
      if (!(d <= maxDiff)) [maxDiff, at] = [d, k];
    }
    assert.ok(maxDiff <= tol * scale, `${what}: max |native - cpu| = ${maxDiff} at ${at} (native ${o.values[at]}, cpu ${r.values[at]}), allowed ${tol * scale}`);
  });
}

const f = (shape: number[], extra: Partial<Input> = {}): Input => ({ shape, ...extra });

const cases: Case[] = [];
const add = (c: Case) => cases.push(c);

// ---- matmul ----
for (const [ta, tb] of [[false, false], [true, false], [false, true], [true, true]] as const) {
  add({ name: `matMul ta=${ta} tb=${tb}`, inputs: [f(ta ? [5, 3] : [3, 5]), f(tb ? [4, 5] : [5, 4])], f: (a, b) => tf.matMul(a, b, ta, tb), grad: true, tol: MATMUL_TOL });
  add({ name: `batched matMul ta=${ta} tb=${tb} large`, inputs: [f(ta ? [4, 32, 65] : [4, 65, 32]), f(tb ? [4, 33, 32] : [4, 32, 33])], f: (a, b) => tf.matMul(a, b, ta, tb), grad: true, tol: MATMUL_TOL });
}
// tfjs's cpu BatchMatMul mis-handles batch broadcasting on both sides ([2,1] x [1,4] gives 72 values for 144):
// the reference broadcasts explicitly
add({
  name: 'matMul broadcast batch [2,1,3,5]x[1,4,5,6]', inputs: [f([2, 1, 3, 5]), f([1, 4, 5, 6])], f: (a, b) => tf.matMul(a, b),
  ref: (a, b) => tf.matMul(tf.mul(a, tf.ones([2, 4, 3, 5])), tf.mul(b, tf.ones([2, 4, 5, 6]))), tol: MATMUL_TOL, // (tfjs's gradient rejects this case)
});
// (tfjs's BatchMatMul gradient does not reduce broadcast batch dimensions: outputs only)
add({ name: 'matMul broadcast batch [2,4,3,5]x[1,4,5,6]', inputs: [f([2, 4, 3, 5]), f([1, 4, 5, 6])], f: (a, b) => tf.matMul(a, b), tol: MATMUL_TOL });
add({ name: 'matMul broadcast rank [3,4,5]x[5,2]', inputs: [f([3, 4, 5]), f([5, 2])], f: (a, b) => tf.matMul(a, b), tol: MATMUL_TOL });
add({ name: 'matMul large threaded (split rows)', inputs: [f([150, 64]), f([64, 40])], f: (a, b) => tf.matMul(a, b), grad: true, tol: MATMUL_TOL });
add({ name: 'matMul wide (split cols)', inputs: [f([8, 100]), f([100, 300])], f: (a, b) => tf.matMul(a, b), grad: true, tol: MATMUL_TOL });
add({ name: 'matMul empty M', inputs: [f([0, 5]), f([5, 3])], f: (a, b) => tf.matMul(a, b) });
add({ name: 'matMul empty K', inputs: [f([3, 0]), f([0, 4])], f: (a, b) => tf.matMul(a, b) });
for (const activation of ['linear', 'relu', 'relu6', 'elu', 'leakyrelu', 'sigmoid'] as const) {
  add({
    name: `fused matMul bias ${activation}`,
    inputs: [f([14, 9]), f([9, 11]), f([11])],
    f: (a, b, bias) => tf.fused.matMul({ a, b, bias, activation, leakyreluAlpha: 0.1 }),
    grad: activation !== 'relu6' && activation !== 'elu' && activation !== 'leakyrelu' && activation !== 'sigmoid',
    tol: MATMUL_TOL,
  });
}
add({ name: 'fused matMul broadcast batch', inputs: [f([2, 7, 9]), f([9, 11]), f([11])], f: (a, b, bias) => tf.fused.matMul({ a, b, bias, activation: 'relu' }), tol: MATMUL_TOL });
add({ name: 'fused matMul transposed, scalar bias, relu', inputs: [f([9, 7]), f([11, 9]), f([])], f: (a, b, bias) => tf.fused.matMul({ a, b, bias, transposeA: true, transposeB: true, activation: 'relu' }), grad: true, tol: MATMUL_TOL });

// ---- convolutions ----
type Pad = 'same' | 'valid' | number | [[number, number], [number, number], [number, number], [number, number]];
const convCases: { x: number[]; w: number[]; s: number | [number, number]; p: Pad; d?: number; grad?: boolean }[] = [
  { x: [2, 9, 9, 3], w: [3, 3, 3, 5], s: 1, p: 'same' },
  { x: [2, 9, 9, 3], w: [3, 3, 3, 5], s: 2, p: 'same' },
  { x: [2, 9, 8, 3], w: [3, 3, 3, 5], s: [2, 1], p: 'valid' },
  { x: [1, 10, 11, 4], w: [2, 3, 4, 3], s: 3, p: 'same' },
  { x: [2, 7, 7, 2], w: [3, 3, 2, 4], s: 1, p: [[0, 0], [1, 2], [2, 0], [0, 0]] },
  { x: [2, 7, 7, 2], w: [3, 3, 2, 4], s: 2, p: 1 },
  { x: [3, 6, 6, 8], w: [1, 1, 8, 5], s: 1, p: 'valid' },
  { x: [3, 6, 6, 8], w: [1, 1, 8, 5], s: 2, p: 'same' },
  { x: [1, 9, 9, 3], w: [3, 3, 3, 2], s: 1, p: 'same', d: 2, grad: false },
  { x: [1, 4, 4, 3], w: [5, 5, 3, 2], s: 1, p: 'valid' }, // filter larger than input: empty output
  { x: [1, 16, 16, 64], w: [3, 3, 64, 4], s: 1, p: 'same' }, // several im2col chunks: threaded
  { x: [2, 32, 32, 3], w: [3, 3, 3, 4], s: 1, p: 'same' },
  // stride 1: the input gradient flips the filter in 32 x 32 tiles; both channel counts span tiles with tails
  { x: [2, 4, 4, 40], w: [3, 3, 40, 36], s: 1, p: 'same' },
  // output channels a multiple of 16: the direct (no im2col) kernels, with channel tails and partial pixel blocks
  { x: [2, 9, 9, 3], w: [3, 3, 3, 16], s: 1, p: 'same' },
  { x: [2, 8, 7, 13], w: [3, 3, 13, 32], s: 2, p: 'same' },
  { x: [1, 7, 7, 16], w: [3, 3, 16, 64], s: 1, p: [[0, 0], [1, 2], [2, 0], [0, 0]] },
  { x: [1, 5, 6, 17], w: [2, 3, 17, 48], s: [2, 1], p: 'valid' },
  { x: [2, 6, 6, 32], w: [3, 3, 32, 16], s: 1, p: 'same' },
  { x: [1, 9, 9, 5], w: [3, 3, 5, 16], s: 1, p: 'same', d: 2, grad: false },
];
for (const c of convCases) {
  add({
    name: `conv2d x${JSON.stringify(c.x)} w${JSON.stringify(c.w)} s${JSON.stringify(c.s)} p${JSON.stringify(c.p)} d${c.d ?? 1}`,
    inputs: [f(c.x), f(c.w)],
    f: (x, w) => tf.conv2d(x as tf.Tensor4D, w as tf.Tensor4D, c.s, c.p, 'NHWC', c.d ?? 1),
    grad: c.grad ?? true,
    tol: MATMUL_TOL,
  });
}
// ---- depthwise conv (bit-identical to cpu: test/backend/depthwise-native.test.ts) ----
for (const c of [
  { x: [2, 7, 6, 5], w: [3, 3, 5, 2], s: 2, p: [[0, 0], [1, 1], [1, 1], [0, 0]] as [number, number][] },
  { x: [1, 8, 9, 3], w: [3, 3, 3, 1], s: 1, p: 'same' as const },
]) {
  add({
    name: `depthwiseConv2d x${JSON.stringify(c.x)} w${JSON.stringify(c.w)} s${c.s} p${JSON.stringify(c.p)}`,
    inputs: [f(c.x), f(c.w)],
    f: (x, w) => tf.depthwiseConv2d(x as tf.Tensor4D, w as tf.Tensor4D, c.s, c.p as 'same'),
    grad: true,
  });
}
add({
  name: 'fused conv2d bias relu',
  inputs: [f([2, 8, 8, 4]), f([3, 3, 4, 6]), f([6])],
  f: (x, filter, bias) => tf.fused.conv2d({ x: x as tf.Tensor4D, filter: filter as tf.Tensor4D, strides: 1, pad: 'same', bias, activation: 'relu' }),
  grad: true,
  tol: MATMUL_TOL,
});
add({
  name: 'fused conv2d bias relu, 32 output channels',
  inputs: [f([2, 8, 8, 4]), f([3, 3, 4, 32]), f([32])],
  f: (x, filter, bias) => tf.fused.conv2d({ x: x as tf.Tensor4D, filter: filter as tf.Tensor4D, strides: 1, pad: 'same', bias, activation: 'relu' }),
  grad: true,
  tol: MATMUL_TOL,
});
add({
  name: 'fused conv2d bias leakyrelu stride 2',
  inputs: [f([2, 8, 8, 4]), f([3, 3, 4, 6]), f([6])],
  f: (x, filter, bias) => tf.fused.conv2d({ x: x as tf.Tensor4D, filter: filter as tf.Tensor4D, strides: 2, pad: 'valid', bias, activation: 'leakyrelu', leakyreluAlpha: 0.3 }),
  tol: MATMUL_TOL,
});

// ---- broadcasting binary ops ----
const shapePairs: [number[], number[]][] = [
  [[2, 3, 4], [2, 3, 4]],
  [[2, 3, 4], [4]],
  [[2, 1, 4], [1, 3, 1]],
  [[5], []],
  [[], [3, 2]],
  [[3, 1], [1, 1]],
  [[3, 0, 2], [2]],
  [[4, 40, 160], [4, 1, 160]],
  [[160, 250], [160, 1]],
];
const binaries: [string, (a: tf.Tensor, b: tf.Tensor) => tf.Tensor, [number, number]?][] = [
  ['add', tf.add], ['sub', tf.sub], ['mul', tf.mul], ['div', tf.div, [0.5, 2]], ['maximum', tf.maximum], ['minimum', tf.minimum],
  ['pow', tf.pow, [0.5, 2]], ['squaredDifference', tf.squaredDifference],
];
for (const [name, op, range] of binaries) {
  for (const [sa, sb] of shapePairs) {
    // tfjs's Maximum/Minimum/SquaredDifference gradients do not reduce broadcast dimensions
    const gradOk = ['add', 'sub', 'mul', 'div', 'pow'].includes(name) || JSON.stringify(sa) === JSON.stringify(sb);
    add({ name: `${name} ${JSON.stringify(sa)} ${JSON.stringify(sb)}`, inputs: [f(sa, { range }), f(sb, { range })], f: op, grad: gradOk });
  }
}
const comparisons: [string, (a: tf.Tensor, b: tf.Tensor) => tf.Tensor][] = [
  ['equal', tf.equal], ['notEqual', tf.notEqual], ['less', tf.less], ['lessEqual', tf.lessEqual], ['greater', tf.greater], ['greaterEqual', tf.greaterEqual],
];
for (const [name, op] of comparisons) {
  for (const [sa, sb] of [[[3, 4], [4]], [[2, 1, 5], [1, 3, 1]], [[0, 2], [2]]] as [number[], number[]][]) {
    add({ name: `${name} ${JSON.stringify(sa)} ${JSON.stringify(sb)}`, inputs: [f(sa, { values: makeData(f(sa)).map((v) => Math.round(v)) }), f(sb, { values: makeData(f(sb)).map((v) => Math.round(v)) })], f: op });
  }
}
add({ name: 'int32 add falls back to cpu', inputs: [f([3, 4], { dtype: 'int32' }), f([4], { dtype: 'int32' })], f: tf.add });

// ---- unary ops ----
const unaries: [string, (x: tf.Tensor) => tf.Tensor, [number, number]?, boolean?][] = [
  ['exp', tf.exp], ['log', tf.log, [0.1, 5]], ['sqrt', tf.sqrt, [0.1, 5]], ['rsqrt', tf.rsqrt, [0.1, 5]], ['square', tf.square], ['neg', tf.neg],
  ['relu', tf.relu], ['relu6', (x) => tf.relu6(tf.mul(x, 4)), undefined, true], ['erf', tf.erf], ['tanh', tf.tanh], ['sigmoid', tf.sigmoid], ['abs', tf.abs],
  ['reciprocal', tf.reciprocal, [0.5, 3]], ['elu', tf.elu], ['leakyRelu', (x) => tf.leakyRelu(x, 0.3)], ['sin', tf.sin], ['cos', tf.cos],
  ['floor', tf.floor, undefined, false], ['ceil', tf.ceil, undefined, false], ['sign', tf.sign, undefined, false], ['log1p', tf.log1p, [-0.5, 3]],
  ['expm1', tf.expm1], ['clipByValue', (x) => tf.clipByValue(x, -0.5, 0.7)], ['softplus', tf.softplus], ['step', (x) => tf.step(x, 0.2), undefined, false],
];
for (const [name, op, range, grad] of unaries) {
  add({ name: `${name} small`, inputs: [f([3, 5], { range })], f: op, grad: grad ?? true });
  add({ name: `${name} large`, inputs: [f([70, 300], { range: range ?? [-6, 6] })], f: op, grad: grad ?? true });
}
add({ name: 'exp extremes', inputs: [f([8], { values: [-200, -87.5, -20, 0, 1e-8, 20, 88, 200] })], f: tf.exp });
add({ name: 'unary empty', inputs: [f([0, 3])], f: tf.exp });

// ---- reductions ----
const reduceShapes: [number[], number | number[] | null][] = [
  [[4, 5, 6], null], [[4, 5, 6], 0], [[4, 5, 6], -1], [[4, 5, 6], [0, 2]], [[4, 5, 6], [1, 2]], [[4, 1, 6], 1],
  [[2, 3, 4, 5], [0, 1, 2]], [[2, 3, 4, 5], [0, 3]], [[300, 160], 0], [[300, 160], 1], [[1, 70000], 1], [[3, 24000], 0],
];
const reducers: [string, (x: tf.Tensor, axis: number | number[] | null, keep: boolean) => tf.Tensor, boolean][] = [
  ['sum', (x, a, k) => tf.sum(x, a ?? undefined, k), true],
  ['mean', (x, a, k) => tf.mean(x, a ?? undefined, k), true],
  ['max', (x, a, k) => tf.max(x, a ?? undefined, k), true],
  ['min', (x, a, k) => tf.min(x, a ?? undefined, k), true],
  ['prod', (x, a, k) => tf.prod(x, a ?? undefined, k), false],
];
for (const [name, op, grad] of reducers) {
  for (const [shape, axis] of reduceShapes) {
    if (name === 'prod' && shape.reduce((a, b) => a * b, 1) > 1000) continue;
    const keep = Array.isArray(axis);
    add({ name: `${name} ${JSON.stringify(shape)} axis=${JSON.stringify(axis)} keepDims=${keep}`, inputs: [f(shape, name === 'prod' ? { range: [0.8, 1.25] } : {})], f: (x) => op(x, axis, keep), grad });
  }
}
for (const [shape, axis] of [[[4, 5, 6], 0], [[4, 5, 6], 1], [[4, 5, 6], -1], [[200, 300], 1]] as [number[], number][]) {
  add({ name: `argMax ${JSON.stringify(shape)} ${axis}`, inputs: [f(shape)], f: (x) => tf.argMax(x, axis) });
  add({ name: `argMin ${JSON.stringify(shape)} ${axis}`, inputs: [f(shape)], f: (x) => tf.argMin(x, axis) });
}
add({ name: 'moments (layer-norm statistics)', inputs: [f([4, 65, 96])], f: (x) => { const m = tf.moments(x, -1, true); return [m.mean, m.variance]; }, grad: true });

// ---- softmax ----
for (const shape of [[4, 7], [2, 3, 65], [1, 1], [400, 100]]) {
  add({ name: `softmax ${JSON.stringify(shape)}`, inputs: [f(shape, { range: [-8, 8] })], f: (x) => tf.softmax(x), grad: true });
  add({ name: `logSoftmax ${JSON.stringify(shape)}`, inputs: [f(shape, { range: [-8, 8] })], f: (x) => tf.logSoftmax(x), grad: true });
  // tf.logSoftmax is a composite and cpu has no LogSoftmax kernel: the native kernel against the composite
  add({ name: `LogSoftmax kernel ${JSON.stringify(shape)}`, inputs: [f(shape, { range: [-8, 8] })], f: (logits) => tf.engine().runKernel('LogSoftmax', { logits }, { axis: -1 }) as tf.Tensor, ref: (x) => tf.logSoftmax(x) });
}

// ---- copies ----
for (const [shape, perm] of [[[2, 3, 4, 5], [0, 2, 1, 3]], [[2, 3, 4, 5], [3, 2, 1, 0]], [[2, 3, 4, 5], [0, 1, 3, 2]], [[64, 48], [1, 0]], [[4, 65, 3, 64], [0, 2, 1, 3]], [[3, 1, 4], [1, 2, 0]], [[0, 3], [1, 0]]] as [number[], number[]][]) {
  add({ name: `transpose ${JSON.stringify(shape)} ${JSON.stringify(perm)}`, inputs: [f(shape)], f: (x) => tf.transpose(x, perm), grad: true });
}
add({ name: 'transpose int32', inputs: [f([3, 4, 5], { dtype: 'int32' })], f: (x) => tf.transpose(x, [2, 0, 1]) });
add({ name: 'transpose bool', inputs: [f([3, 4, 5], { dtype: 'bool' })], f: (x) => tf.transpose(x, [1, 2, 0]) });
add({ name: 'slice contiguous', inputs: [f([6, 4, 5])], f: (x) => tf.slice(x, [1, 0, 0], [3, 4, 5]), grad: true });
add({ name: 'slice strided', inputs: [f([6, 4, 5])], f: (x) => tf.slice(x, [1, 1, 2], [3, -1, 2]), grad: true });
add({ name: 'slice cls token', inputs: [f([8, 65, 32])], f: (x) => tf.slice(x, [0, 0, 0], [-1, 1, -1]), grad: true });
add({ name: 'slice empty', inputs: [f([6, 4])], f: (x) => tf.slice(x, [2, 1], [0, 2]) });
add({ name: 'pad', inputs: [f([2, 3, 4])], f: (x) => tf.pad(x, [[1, 0], [0, 2], [3, 1]], 0.5), grad: true });
add({ name: 'pad channels (ResNet option A)', inputs: [f([4, 8, 8, 16])], f: (x) => tf.pad(x, [[0, 0], [0, 0], [0, 0], [8, 8]]), grad: true });
add({ name: 'pad int32', inputs: [f([2, 3], { dtype: 'int32' })], f: (x) => tf.pad(x, [[1, 1], [0, 2]], 7) });
add({ name: 'concat axis 0', inputs: [f([2, 3]), f([4, 3]), f([0, 3])], f: (a, b, c) => tf.concat([a, b, c], 0), grad: true });
add({ name: 'concat axis 1', inputs: [f([8, 1, 32]), f([8, 64, 32])], f: (a, b) => tf.concat([a, b], 1), grad: true });
add({ name: 'concat last axis', inputs: [f([3, 2, 5]), f([3, 2, 1]), f([3, 2, 4])], f: (a, b, c) => tf.concat([a, b, c], -1), grad: true });
add({ name: 'concat bool', inputs: [f([3, 2], { dtype: 'bool' }), f([3, 1], { dtype: 'bool' })], f: (a, b) => tf.concat([a, b], 1) });
add({ name: 'split sizes', inputs: [f([4, 10, 3])], f: (x) => tf.split(x, [2, 5, 3], 1), grad: true });
add({ name: 'split equal last axis', inputs: [f([4, 2, 9])], f: (x) => tf.split(x, 3, -1), grad: true });
add({ name: 'tile', inputs: [f([2, 3])], f: (x) => tf.tile(x, [2, 3]), grad: true });
add({ name: 'tile cls token over batch', inputs: [f([1, 1, 16])], f: (x) => tf.tile(x, [8, 1, 1]), grad: true });
add({ name: 'tile int32', inputs: [f([2, 1, 3], { dtype: 'int32' })], f: (x) => tf.tile(x, [1, 4, 2]) });
add({ name: 'stack axis 1', inputs: [f([3, 4]), f([3, 4]), f([3, 4])], f: (a, b, c) => tf.stack([a, b, c], 1), grad: true });
add({ name: 'unstack axis 2', inputs: [f([3, 4, 2])], f: (x) => tf.unstack(x, 2), grad: true });
add({ name: 'gather axis 0', inputs: [f([7, 5]), f([6], { dtype: 'int32', ints: 7 })], f: (x, i) => tf.gather(x, i, 0), grad: true });
add({ name: 'gather axis 1 2-D indices', inputs: [f([3, 7, 4]), f([2, 3], { dtype: 'int32', ints: 7 })], f: (x, i) => tf.gather(x, i, 1), grad: true });
add({ name: 'gather int32 values', inputs: [f([10], { dtype: 'int32', ints: 100 }), f([4], { dtype: 'int32', ints: 10 })], f: (x, i) => tf.gather(x, i) });
add({ name: 'where same shape', inputs: [f([4, 5], { dtype: 'bool' }), f([4, 5]), f([4, 5])], f: (c, a, b) => tf.where(c, a, b), grad: true });
add({ name: 'oneHot', inputs: [f([5, 2], { dtype: 'int32', ints: 12 })], f: (i) => tf.oneHot(i, 10, 0.9, 0.01) });
add({ name: 'addN', inputs: [f([30, 600]), f([30, 600]), f([30, 600])], f: (a, b, c) => tf.addN([a, b, c]), grad: true });
add({ name: 'batchNorm per channel', inputs: [f([4, 6, 6, 5]), f([5]), f([5], { range: [0.5, 2] }), f([5]), f([5])], f: (x, m, v, o, s) => tf.batchNorm(x, m, v, o, s, 1e-3), grad: true });
add({ name: 'batchNorm no offset/scale, large', inputs: [f([32, 16, 16, 16]), f([16]), f([16], { range: [0.5, 2] })], f: (x, m, v) => tf.batchNorm(x, m, v, undefined, undefined, 1e-5) }); // (tfjs cannot differentiate without offset/scale)

// ---- a residual block and an attention block end to end ----
add({
  name: 'attention block',
  inputs: [f([4, 17, 24]), f([24, 72]), f([72])],
  f: (x, w, b) => {
    const qkv = tf.reshape(tf.add(tf.matMul(tf.reshape(x, [-1, 24]), w), b), [4, 17, 3, 3, 8]);
    const t = tf.transpose(qkv, [2, 0, 3, 1, 4]);
    const [q, k, v] = tf.unstack(t, 0);
    const att = tf.softmax(tf.mul(tf.matMul(q, k, false, true), 0.35));
    return tf.reshape(tf.transpose(tf.matMul(att, v), [0, 2, 1, 3]), [4, 17, 24]);
  },
  grad: true,
  tol: MATMUL_TOL,
});

test('native kernels match cpu (outputs and gradients)', { skip }, async () => {
  await initBackend({ backend: 'native', quiet: true });
  try {
    for (const c of cases) {
      const t0 = performance.now();
      try {
        await check(c);
      } catch (err) {
        (err as Error).message = `${c.name}: ${(err as Error).message}`;
        throw err;
      }
      if (process.env.VITSCOPE_TEST_TIMES) console.log(`${(performance.now() - t0).toFixed(0).padStart(6)} ms  ${c.name}`);
    }
  } finally {
    await tf.setBackend('native');
  }
  // the fused kernels are tested against their composites in native-fused.test.ts
  const fusedNames = new Set(nativeKernelNames().filter((k) => k.startsWith('Vitscope')));
  const missing = nativeKernelNames().filter((k) => !fusedNames.has(k) && !seenKernels.has(k));
  assert.deepEqual(missing, [], `overridden kernels that no case exercised: ${missing.join(', ')}`);
});

test('native kernel registry: every cpu kernel is available on native', { skip }, () => {
  const native = new Set(tf.getKernelsForBackend('native').map((k) => k.kernelName));
  const absent = tf.getKernelsForBackend('cpu').map((k) => k.kernelName).filter((k) => !native.has(k));
  assert.deepEqual(absent, []);
  assert.ok(reg.threads >= 1);
  assert.deepEqual(tryRegisterNativeBackend(), reg, 'registration is idempotent');
});
