// Second derivatives on every available backend ('cpu' and, when its addon is built, 'native'):
// each gradient registered by src/backend/gradients is checked against central finite differences, and so
// is a Hessian-vector product of a small conv / pool / attention network.
//
// Reference values are accumulated in float64 in JS from float32 kernel outputs. Tolerances:
// - gradients of linear / bilinear gradient kernels (conv and pool backprops): the central difference of
//   a function that is at most quadratic along the direction is exact, so eps = 0.5 and the error is
//   float32 rounding only: |analytic - FD| <= 1e-4 * (|FD| + scale);
// - smooth ops (exp, softmax, sigmoid, tanh, pow, log-softmax): FD of the float32 gradient with eps = 1e-2,
//   truncation O(eps^2) ~ 1e-4 and rounding ~ 1e-7 / eps ~ 1e-5 relative: tolerance 2e-3 relative to ||FD||;
// - the network HVP: FD of the float32 gradient with eps in {1e-3, 3e-4, 1e-4} (small enough that no ReLU /
//   max-pool kink is crossed), the best of the three within 2e-3 relative to ||Hv|| (measured: ~6e-5).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { initBackend } from '../../src/backend/select.ts';
import { tf } from '../../src/backend/tf.ts';
import { Rng } from '../../src/util/random.ts';
import { layerNorm, gelu, silu } from '../../src/backend/fused-ops.ts';
import { SECOND_ORDER_GRADIENTS, registerSecondOrderGradients, twiceDifferentiableLogSoftmax } from '../../src/backend/gradients/index.ts';
import { crossEntropy } from '../../src/train/losses.ts';

// ---------------------------------------------------------------------------------------------------------
// helpers

function randn(rng: Rng, shape: number[], scale = 1): tf.Tensor {
  const n = shape.reduce((a, b) => a * b, 1);
  const v = new Float32Array(n);
  for (let i = 0; i < n; i++) {
    // Box-Muller from two uniforms in (0, 1]
    const u1 = (rng.nextUint32() + 1) / 4294967297;
    const u2 = rng.nextUint32() / 4294967296;
    v[i] = scale * Math.sqrt(-2 * Math.log(u1)) * Math.cos(2 * Math.PI * u2);
  }
  return tf.tensor(v, shape, 'float32');
}

/** float64 inner product of two float32 tensors' values. */
function dot64(a: tf.Tensor, b: tf.Tensor): number {
  const x = a.dataSync();
  const y = b.dataSync();
  assert.equal(x.length, y.length);
  let s = 0;
  for (let i = 0; i < x.length; i++) s += x[i]! * y[i]!;
  return s;
}

function norm64(values: ArrayLike<number>): number {
  let s = 0;
  for (let i = 0; i < values.length; i++) s += values[i]! * values[i]!;
  return Math.sqrt(s);
}

/**
 * Checks <grad F(xs), us> (analytic, via tf.grads, i.e. via the registered gradient of whatever kernel
 * `out` runs) against the central difference of F(xs) = <w, out(xs)> accumulated in float64.
 */
function checkDirectional(
  name: string,
  out: (...xs: tf.Tensor[]) => tf.Tensor,
  xs: tf.Tensor[],
  rng: Rng,
  opts: { eps: number; rtol: number },
): void {
  tf.tidy(() => {
    const y0 = out(...xs);
    const w = randn(rng, y0.shape);
    const us = xs.map((x) => randn(rng, x.shape));
    const grads = tf.grads((...args: tf.Tensor[]) => tf.sum(tf.mul(w, out(...args))))(xs);
    let analytic = 0;
    grads.forEach((g, i) => (analytic += dot64(g, us[i]!)));
    const shifted = (sign: number) => dot64(w, out(...xs.map((x, i) => tf.add(x, tf.mul(us[i]!, sign * opts.eps)))));
    const fd = (shifted(1) - shifted(-1)) / (2 * opts.eps);
    const scale = Math.sqrt(grads.reduce((s, g, i) => s + dot64(g, g) * dot64(us[i]!, us[i]!) / us[i]!.size, 0));
    const err = Math.abs(analytic - fd);
    assert.ok(
      err <= opts.rtol * (Math.abs(fd) + scale),
      `${name}: directional derivative ${analytic} vs finite difference ${fd} (|err| ${err.toExponential(2)}, scale ${scale.toExponential(2)})`,
    );
  });
}

/**
 * Hessian-vector product of f at x along v by double backprop, against the central difference of the
 * (first-order, float32) gradient, differenced in float64. Returns the relative error.
 */
function hvpError(
  f: (x: tf.Tensor) => tf.Scalar,
  x: tf.Tensor,
  v: tf.Tensor,
  eps: number,
  segments: number[] = [x.size],
): { err: number; norm: number } {
  return tf.tidy(() => {
    const hv = tf.grad((z: tf.Tensor) => tf.sum(tf.mul(tf.grad(f)(z), v)))(x).dataSync();
    const gPlus = tf.grad(f)(tf.add(x, tf.mul(v, eps))).dataSync();
    const gMinus = tf.grad(f)(tf.sub(x, tf.mul(v, eps))).dataSync();
    const fd = new Float64Array(hv.length);
    const diff = new Float64Array(hv.length);
    for (let i = 0; i < hv.length; i++) {
      fd[i] = (gPlus[i]! - gMinus[i]!) / (2 * eps);
      diff[i] = hv[i]! - fd[i]!;
    }
    const norm = norm64(fd);
    // worst relative error over the segments (parameter groups), each relative to its own norm but
    // never to less than 1e-2 of the whole, so that a small block's error is not hidden by a big one
    let err = 0;
    let start = 0;
    for (const size of segments) {
      const seg = (a: Float64Array) => a.subarray(start, start + size);
      err = Math.max(err, norm64(seg(diff)) / Math.max(norm64(seg(fd)), 1e-2 * norm, 1e-12));
      start += size;
    }
    return { err, norm };
  });
}

function runKernel(name: string, inputs: Record<string, tf.Tensor>, attrs: object): tf.Tensor {
  return tf.engine().runKernel(name, inputs as tf.NamedTensorMap, attrs as unknown as tf.NamedAttrMap) as tf.Tensor;
}

// ---------------------------------------------------------------------------------------------------------
// backends

async function availableBackends(): Promise<string[]> {
  const found: string[] = [];
  for (const name of ['cpu', 'native'] as const) {
    try {
      await initBackend({ backend: name, quiet: true });
      found.push(name);
    } catch {
      // not built here: the native addon is optional
    }
  }
  return found;
}

const backends = await availableBackends();

test('registration is idempotent and covers the gradient kernels', () => {
  const names = registerSecondOrderGradients();
  assert.deepEqual(registerSecondOrderGradients(), names);
  for (const k of ['Conv2DBackpropFilter', 'DepthwiseConv2dNativeBackpropInput', 'DepthwiseConv2dNativeBackpropFilter', 'MaxPoolGrad', 'AvgPoolGrad', 'Equal']) {
    assert.ok(names.includes(k), `${k} registered`);
    assert.ok(tf.getGradient(k) != null, `${k} gradient is looked up by the engine`);
  }
  for (const config of SECOND_ORDER_GRADIENTS) assert.equal(tf.getGradient(config.kernelName), config);
});

for (const backend of backends) {
  const linear = { eps: 0.5, rtol: 1e-4 };
  const smooth = { eps: 1e-2, rtol: 2e-3 };

  test(`[${backend}] Conv2DBackpropFilter gradient (strides 1/2, same/valid)`, async () => {
    await tf.setBackend(backend);
    const rng = new Rng(11);
    for (const stride of [1, 2]) {
      for (const pad of ['same', 'valid'] as const) {
        const x = randn(rng, [2, 7, 7, 3]);
        const filterShape: [number, number, number, number] = [3, 3, 3, 4];
        const yShape = tf.conv2d(x as tf.Tensor4D, tf.zeros(filterShape) as tf.Tensor4D, stride, pad).shape;
        const dy = randn(rng, yShape);
        checkDirectional(
          `conv2DBackpropFilter s${stride} ${pad}`,
          (a, b) => runKernel('Conv2DBackpropFilter', { x: a, dy: b }, { strides: stride, pad, dataFormat: 'NHWC', filterShape }),
          [x, dy],
          rng,
          linear,
        );
      }
    }
  });

  test(`[${backend}] Conv2DBackpropInput gradient (strides 1/2, same/valid)`, async () => {
    await tf.setBackend(backend);
    const rng = new Rng(12);
    for (const stride of [1, 2]) {
      for (const pad of ['same', 'valid'] as const) {
        const inputShape: [number, number, number, number] = [2, 8, 8, 3];
        const w = randn(rng, [3, 3, 3, 4]);
        const dy = randn(rng, tf.conv2d(tf.zeros(inputShape) as tf.Tensor4D, w as tf.Tensor4D, stride, pad).shape);
        checkDirectional(
          `conv2DBackpropInput s${stride} ${pad}`,
          (a, b) => runKernel('Conv2DBackpropInput', { dy: a, filter: b }, { strides: stride, pad, dataFormat: 'NHWC', inputShape }),
          [dy, w],
          rng,
          linear,
        );
      }
    }
  });

  test(`[${backend}] depthwise conv backprop gradients`, async () => {
    await tf.setBackend(backend);
    const rng = new Rng(13);
    for (const stride of [1, 2]) {
      for (const pad of ['same', 'valid'] as const) {
        const x = randn(rng, [2, 7, 7, 3]);
        const filterShape: [number, number, number, number] = [3, 3, 3, 2];
        const w = randn(rng, filterShape);
        const dy = randn(rng, tf.depthwiseConv2d(x as tf.Tensor4D, w as tf.Tensor4D, stride, pad).shape);
        const attrs = { strides: stride, pad, dilations: 1 };
        checkDirectional(`depthwiseBackpropFilter s${stride} ${pad}`, (a, b) => runKernel('DepthwiseConv2dNativeBackpropFilter', { x: a, dy: b }, { ...attrs, filterShape }), [x, dy], rng, linear);
        checkDirectional(`depthwiseBackpropInput s${stride} ${pad}`, (a, b) => runKernel('DepthwiseConv2dNativeBackpropInput', { dy: a, filter: b }, { ...attrs, inputShape: x.shape }), [dy, w], rng, linear);
      }
    }
  });

  test(`[${backend}] MaxPoolGrad gradient (overlapping windows via arg-max, tiling windows via mask)`, async () => {
    await tf.setBackend(backend);
    const rng = new Rng(14);
    const cases: [number, number, 'same' | 'valid'][] = [[2, 2, 'valid'], [2, 2, 'same'], [3, 2, 'same'], [3, 1, 'valid'], [3, 2, 'valid']];
    for (const [size, stride, pad] of cases) {
      const x = randn(rng, [2, 8, 8, 3]);
      const y = tf.maxPool(x as tf.Tensor4D, size, stride, pad);
      const dy = randn(rng, y.shape);
      const attrs = { filterSize: size, strides: stride, pad };
      if (size !== stride && tf.getKernel('MaxPoolWithArgmax', backend) == null) continue; // reported in the error message path
      // in dy (x, y held fixed), and in all three (the x, y derivative is zero away from ties)
      checkDirectional(`maxPoolGrad f${size} s${stride} ${pad} (dy)`, (a) => runKernel('MaxPoolGrad', { dy: a, input: x, output: y }, attrs), [dy], rng, linear);
      checkDirectional(
        `maxPoolGrad f${size} s${stride} ${pad} (dy, x, y)`,
        (a, b, c) => runKernel('MaxPoolGrad', { dy: a, input: b, output: c }, attrs),
        [dy, x, y],
        rng,
        { eps: 1e-4, rtol: 1e-3 },
      );
    }
  });

  test(`[${backend}] AvgPoolGrad gradient (same/valid)`, async () => {
    await tf.setBackend(backend);
    const rng = new Rng(15);
    for (const [size, stride, pad] of [[2, 2, 'valid'], [3, 2, 'same'], [3, 1, 'same'], [3, 2, 'valid']] as [number, number, 'same' | 'valid'][]) {
      const x = randn(rng, [2, 7, 7, 3]);
      const dy = randn(rng, tf.avgPool(x as tf.Tensor4D, size, stride, pad).shape);
      checkDirectional(`avgPoolGrad f${size} s${stride} ${pad}`, (a) => runKernel('AvgPoolGrad', { dy: a, input: x }, { filterSize: size, strides: stride, pad }), [dy], rng, linear);
    }
  });

  test(`[${backend}] second derivatives of exp, softmax, sigmoid, tanh, pow, max, maximum, where`, async () => {
    await tf.setBackend(backend);
    const rng = new Rng(16);
    const x = randn(rng, [3, 5], 0.7);
    const w = randn(rng, [3, 5]);
    const pos = tf.add(tf.abs(randn(rng, [3, 5])), 0.5);
    const cases: [string, (z: tf.Tensor) => tf.Scalar, tf.Tensor][] = [
      ['exp', (z) => tf.sum(tf.mul(w, tf.exp(z))), x],
      ['softmax', (z) => tf.sum(tf.mul(w, tf.softmax(z))), x],
      ['sigmoid', (z) => tf.sum(tf.mul(w, tf.sigmoid(z))), x],
      ['tanh', (z) => tf.sum(tf.mul(w, tf.tanh(z))), x],
      ['pow (base)', (z) => tf.sum(tf.mul(w, tf.pow(z, 3))), x],
      ['pow (exponent)', (z) => tf.sum(tf.mul(w, tf.pow(pos, z))), x],
      ['max', (z) => tf.sum(tf.square(tf.max(z, 1))), x],
      ['maximum', (z) => tf.sum(tf.mul(w, tf.square(tf.maximum(z, 0.1)))), x],
      ['squaredDifference (broadcast)', (z) => tf.sum(tf.mul(w, tf.square(tf.squaredDifference(z, tf.mean(z, 1, true))))), x],
      ['moments', (z) => { const { mean, variance } = tf.moments(z, 1, true); return tf.sum(tf.mul(w, tf.div(tf.sub(z, mean), tf.sqrt(tf.add(variance, 1e-5))))); }, x],
      ['layerNorm', (z) => tf.sum(tf.mul(w, layerNorm(z, tf.ones([5]), tf.zeros([5])))), x],
      ['gelu', (z) => tf.sum(tf.mul(w, gelu(z))), x],
      ['silu', (z) => tf.sum(tf.mul(w, silu(z))), x],
      ['batchNorm', (z) => tf.sum(tf.mul(w, tf.batchNorm(z, tf.mean(z, 0), tf.add(tf.mean(tf.square(z), 0), 0.5), tf.zeros([5]), tf.ones([5]), 1e-3))), x],
      ['where', (z) => tf.sum(tf.mul(w, tf.where(tf.greater(z, 0), tf.square(z), tf.exp(z)))), x],
      ['log-softmax (twice differentiable)', (z) => tf.sum(tf.mul(w, twiceDifferentiableLogSoftmax(z))), x],
    ];
    for (const [name, f, at] of cases) {
      const v = randn(rng, at.shape);
      const { err } = hvpError(f, at, v, smooth.eps);
      assert.ok(err < smooth.rtol, `${name}: relative HVP error ${err.toExponential(2)} >= ${smooth.rtol}`);
    }
  });

  test(`[${backend}] LogSoftmax kernel gradient, where the backend registers the kernel`, async (t) => {
    await tf.setBackend(backend);
    if (tf.getKernel('LogSoftmax', backend) == null) {
      t.skip(`backend '${backend}' has no LogSoftmax kernel (tf.logSoftmax does not use it)`);
      return;
    }
    const rng = new Rng(17);
    const x = randn(rng, [3, 6]);
    const w = randn(rng, [3, 6]);
    const { err } = hvpError((z) => tf.sum(tf.mul(w, runKernel('LogSoftmax', { logits: z }, { axis: 1 }))), x, randn(rng, x.shape), 1e-2);
    assert.ok(err < 2e-3, `relative HVP error ${err.toExponential(2)}`);
  });

  test(`[${backend}] Tile gradient (one reshape and sum, any rank) and a cross-entropy HVP without per-class slices`, async () => {
    await tf.setBackend(backend);
    const rng = new Rng(23);
    const cases: [number[], number[]][] = [[[3, 1, 2], [2, 4, 3]], [[2, 5], [1, 3]], [[4], [3]], [[2, 1, 3, 1, 2], [1, 2, 2, 3, 1]], [[2, 3], [1, 1]]];
    for (const [shape, reps] of cases) {
      checkDirectional(`tile ${shape} x ${reps}`, (z) => tf.tile(z, reps), [randn(rng, shape)], rng, linear);
      const w = randn(rng, shape.map((s, d) => s * reps[d]!));
      const { err } = hvpError((z) => tf.sum(tf.mul(w, tf.square(tf.tile(z, reps)))), randn(rng, shape), randn(rng, shape), smooth.eps);
      assert.ok(err < smooth.rtol, `tile ${shape} x ${reps}: relative HVP error ${err.toExponential(2)}`);
    }
    const logits = randn(rng, [6, 40]);
    const labels = tf.tensor1d([0, 3, 39, 7, 7, 12], 'int32');
    const v = randn(rng, [6, 40]);
    const hv = () => tf.grad((z: tf.Tensor) => tf.sum(tf.mul(tf.grad((q: tf.Tensor) => crossEntropy(q as tf.Tensor2D, labels))(z), v)))(logits);
    const names = (await tf.profile(() => { hv().dispose(); })).kernels.map((k) => k.name);
    assert.ok(names.filter((n) => n === 'Slice').length < 5, `cross-entropy HVP ran ${names.filter((n) => n === 'Slice').length} Slice kernels`);
    // the gradient of a broadcast (a keepDims mean over three axes, as BatchNorm's composite takes) keeps x's rank:
    // no tensor beyond rank 4 (WebGPU's shaders stop at rank 6)
    const x4 = randn(rng, [2, 3, 4, 5]);
    const kernels = (await tf.profile(() => {
      tf.grad((z: tf.Tensor) => tf.sum(tf.square(tf.grad((q: tf.Tensor) => tf.sum(tf.square(tf.mean(q, [0, 1, 2], true))))(z))))(x4).dispose();
    })).kernels;
    const ranks = kernels.flatMap((k) => [...k.inputShapes, ...k.outputShapes].map((sh) => sh.length));
    assert.ok(Math.max(...ranks) <= 4, `a broadcast's second derivative reached rank ${Math.max(...ranks)}`);
    x4.dispose();
  });

  test(`[${backend}] Mean and Multiply gradients (broadcast, any axes) to second order, without ones tensors or float32 casts`, async () => {
    await tf.setBackend(backend);
    const rng = new Rng(29);
    const cases: [number[], number[]][] = [[[2, 3, 4, 5], [1, 2]], [[6, 7], [0]], [[3, 4], [0, 1]], [[5], [0]]];
    for (const [shape, axes] of cases) {
      checkDirectional(`mean ${shape} over ${axes}`, (z) => tf.mean(z, axes), [randn(rng, shape)], rng, linear);
      const { err } = hvpError((z) => tf.sum(tf.square(tf.mean(tf.square(z), axes))), randn(rng, shape), randn(rng, shape), smooth.eps);
      assert.ok(err < smooth.rtol, `mean ${shape} over ${axes}: relative HVP error ${err.toExponential(2)}`);
    }
    for (const [sa, sb] of [[[3, 4], [3, 4]], [[2, 3, 4], [4]], [[3, 1], [1, 5]]] as [number[], number[]][]) {
      checkDirectional(`mul ${sa} * ${sb}`, (a, b) => tf.mul(a!, b!), [randn(rng, sa), randn(rng, sb)], rng, smooth);
      const b = randn(rng, sb);
      const { err } = hvpError((z) => tf.sum(tf.square(tf.mul(tf.mul(z, b), z))), randn(rng, sa), randn(rng, sa), smooth.eps);
      assert.ok(err < smooth.rtol, `mul ${sa} * ${sb}: relative HVP error ${err.toExponential(2)}`);
    }
    const x = randn(rng, [4, 6, 6, 8]);
    const y = randn(rng, [4, 6, 6, 8]);
    const names = (await tf.profile(() => {
      tf.grad((z: tf.Tensor) => tf.sum(tf.mul(tf.mean(tf.mul(z, y), [1, 2]), 3)))(x).dispose();
    })).kernels.map((k) => k.name);
    // forward z*y and m*3; backward (m*3)' and (z*y)' — no product with a ones tensor in Mean's gradient
    assert.equal(names.filter((n) => n === 'Multiply').length, 4, `gradient ran ${names.join(', ')}`);
    assert.ok(!names.includes('Cast') && names.includes('Tile'), `gradient ran ${names.join(', ')}`);
    tf.dispose([x, y]);
  });

  test(`[${backend}] ReLU gradient equals dy * step(x) bit for bit (NaN, zero, negative x), one kernel where fused, twice differentiable`, async () => {
    await tf.setBackend(backend);
    const rng = new Rng(19);
    const n = 4099; // not a multiple of any vector width
    const xv = randn(rng, [n]).dataSync().slice();
    xv[0] = 0; xv[1] = -0; xv[2] = NaN; xv[3] = -1e-30; xv[4] = 1e-30;
    const x = tf.tensor(xv, [n]);
    const dyv = randn(rng, [n]).dataSync().slice();
    dyv[5] = NaN; dyv[6] = Infinity; // with x <= 0 these give NaN, as the product does
    xv[5] = -1; xv[6] = -2;
    const x2 = tf.tensor(xv, [n]);
    const dy = tf.tensor(dyv, [n]);
    const grad = tf.grad((z: tf.Tensor) => tf.sum(tf.mul(tf.relu(z), dy)));
    const ref = tf.mul(dy, tf.step(x2)).dataSync();
    const got = grad(x2).dataSync();
    for (let i = 0; i < n; i++) assert.ok(Object.is(got[i], ref[i]) || (got[i] === 0 && ref[i] === 0), `x=${xv[i]} dy=${dyv[i]}: ${got[i]} vs ${ref[i]}`);
    const names = (await tf.profile(() => { grad(x).dispose(); })).kernelNames;
    if (tf.getKernel('VitscopeReluGrad', backend) != null) {
      assert.ok(names.includes('VitscopeReluGrad') && !names.includes('Step'), `${backend}: ReLU gradient ran ${names.join(',')}`);
    } else {
      assert.ok(names.includes('Step'), `${backend}: ReLU gradient ran ${names.join(',')}`);
    }
    // second order through the gradient's dy (which depends on z here), then a third through the second
    const w = randn(rng, [6, 7]);
    const z0 = randn(rng, [6, 7]);
    const f = (z: tf.Tensor): tf.Scalar => tf.sum(tf.mul(w, tf.square(tf.relu(tf.add(tf.mul(z, z), tf.sub(z, 0.3))))));
    const { err } = hvpError(f, z0, randn(rng, [6, 7]), 1e-3);
    assert.ok(err < 2e-3, `relu: relative HVP error ${err.toExponential(2)}`);
    const u = randn(rng, [6, 7]);
    const third = (z: tf.Tensor) => tf.sum(tf.mul(tf.grad((y: tf.Tensor) => tf.sum(tf.mul(tf.grad(f)(y), u)))(z), u)) as tf.Scalar;
    const { err: err3 } = hvpError((z) => tf.sum(tf.mul(tf.grad(f)(z), u)) as tf.Scalar, z0, u, 1e-3);
    assert.ok(err3 < 2e-3 && Number.isFinite(third(z0).dataSync()[0]!), `relu: third-order relative error ${err3.toExponential(2)}`);
  });

  test(`[${backend}] Hessian-vector product of a conv / pool / attention network`, async () => {
    await tf.setBackend(backend);
    const rng = new Rng(18);
    const B = 2;
    const C = 4; // channels = token width
    const heads = 2;
    const classes = 5;
    const shapes: Record<string, number[]> = {
      conv1: [3, 3, 3, C], bn1g: [C], bn1b: [C], conv2: [3, 3, C, C], dw: [3, 3, C, 1],
      cls: [1, 1, C], pos: [1, 5, C], ln1g: [C], ln1b: [C], qkv: [C, 3 * C], proj: [C, C],
      ln2g: [C], ln2b: [C], fc1: [C, 2 * C], fc2: [2 * C, C], head: [C, classes], headB: [classes],
    };
    const names = Object.keys(shapes);
    const sizes = names.map((n) => shapes[n]!.reduce((a, b) => a * b, 1));
    const total = sizes.reduce((a, b) => a + b, 0);
    const images = randn(rng, [B, 8, 8, 3]);
    const labels = tf.tensor1d([1, 3], 'int32');
    const table = randn(rng, [classes, C], 0.1);

    const unpack = (flat: tf.Tensor) => {
      const parts = tf.split(flat, sizes);
      return Object.fromEntries(names.map((n, i) => [n, tf.reshape(parts[i]!, shapes[n]!)])) as Record<string, tf.Tensor>;
    };
    const loss = (flat: tf.Tensor): tf.Scalar => {
      const p = unpack(flat);
      // conv (stride 1, same) -> batch norm from tf.moments -> relu -> conv (stride 2, valid) -> max pool -> avg pool
      let h = tf.conv2d(images as tf.Tensor4D, p.conv1 as tf.Tensor4D, 1, 'same');
      const { mean, variance } = tf.moments(h, [0, 1, 2], true);
      h = tf.add(tf.mul(tf.div(tf.sub(h, mean), tf.sqrt(tf.add(variance, 1e-5))), p.bn1g!), p.bn1b!);
      h = tf.relu(h);
      h = tf.conv2d(h as tf.Tensor4D, p.conv2 as tf.Tensor4D, 2, 'valid'); // 8 -> 3
      h = tf.pad(h, [[0, 0], [1, 0], [1, 0], [0, 0]]); // 3 -> 4
      h = tf.depthwiseConv2d(h as tf.Tensor4D, p.dw as tf.Tensor4D, 1, 'same');
      const hm = tf.maxPool(h as tf.Tensor4D, 2, 1, 'same');
      const ha = tf.avgPool(h as tf.Tensor4D, 2, 2, 'valid'); // 4 -> 2
      // tokens: 2x2 patches of (avg pool + max pool corner) plus a class token and a gathered label embedding
      let tokens = tf.reshape(tf.add(ha, tf.slice(hm, [0, 0, 0, 0], [B, 2, 2, C])), [B, 4, C]);
      tokens = tf.concat([tf.tile(p.cls!, [B, 1, 1]), tokens], 1);
      tokens = tf.add(tokens, p.pos!);
      tokens = tf.add(tokens, tf.expandDims(tf.gather(table, labels), 1)); // gather (not differentiated through)
      // attention block
      const n = 5;
      const a = layerNorm(tokens, p.ln1g!, p.ln1b!);
      const qkv = tf.reshape(tf.matMul(tf.reshape(a, [B * n, C]), p.qkv!), [B, n, 3, heads, C / heads]);
      const qkvT = tf.transpose(qkv, [2, 0, 3, 1, 4]); // [3, B, heads, n, d]
      const [q, k, v] = tf.unstack(qkvT).map((t) => tf.reshape(t, [B * heads, n, C / heads]));
      const att = tf.softmax(tf.mul(tf.matMul(q!, k!, false, true), 1 / Math.sqrt(C / heads)));
      let o = tf.matMul(att, v!); // [B*heads, n, d]
      o = tf.reshape(tf.transpose(tf.reshape(o, [B, heads, n, C / heads]), [0, 2, 1, 3]), [B * n, C]);
      tokens = tf.add(tokens, tf.reshape(tf.matMul(o, p.proj!, false, false), [B, n, C]));
      // MLP block with erf GELU; a transposed matMul for good measure
      const m = tf.reshape(layerNorm(tokens, p.ln2g!, p.ln2b!), [B * n, C]);
      const hidden = gelu(tf.matMul(m, p.fc1!));
      tokens = tf.add(tokens, tf.reshape(tf.matMul(hidden, tf.transpose(p.fc2!), false, true), [B, n, C]));
      // head on the class token and the mean of the others; selected with where
      const clsTok = tf.squeeze(tf.slice(tokens, [0, 0, 0], [B, 1, C]), [1]);
      const avgTok = tf.mean(tf.slice(tokens, [0, 1, 0], [B, 4, C]), 1);
      const pick = tf.cast(tf.oneHot(tf.tensor1d([0, 1], 'int32'), 2), 'bool');
      const feat = tf.where(tf.reshape(tf.slice(pick, [0, 0], [B, 1]), [B, 1]), clsTok, avgTok);
      const logits = tf.add(tf.matMul(feat, p.head!), p.headB!);
      const logProbs = twiceDifferentiableLogSoftmax(logits);
      const targets = tf.cast(tf.oneHot(labels, classes), 'float32');
      return tf.neg(tf.mean(tf.sum(tf.mul(targets, logProbs), -1))) as tf.Scalar;
    };
    const theta = tf.mul(randn(rng, [total]), 0.5);
    const v = randn(rng, [total]);
    // A too large eps crosses ReLU / max-pool kinks (errors ~0.6 at eps 3e-3 here), a too small one
    // amplifies float32 rounding of the gradient: take the best of three.
    const tries = [1e-3, 3e-4, 1e-4].map((eps) => ({ eps, ...hvpError(loss, theta, v, eps, sizes) }));
    const best = tries.reduce((a, b) => (b.err < a.err ? b : a));
    assert.ok(best.norm > 1e-3, `Hv is not trivially zero (|Hv| = ${best.norm})`);
    assert.ok(best.err < 2e-3, `relative HVP error ${tries.map((t) => `${t.err.toExponential(2)} at eps ${t.eps}`).join(', ')}`);
  });

  test(
    `[${backend}] crossEntropy from src/train/losses.ts has the right Hessian`,
    async () => {
      await tf.setBackend(backend);
      const rng = new Rng(19);
      const logits = randn(rng, [4, 6]);
      const labels = tf.tensor1d([0, 5, 2, 2], 'int32');
      const { err } = hvpError((z) => crossEntropy(z as tf.Tensor2D, labels), logits, randn(rng, logits.shape), 1e-2);
      assert.ok(err < 2e-3, `relative HVP error ${err.toExponential(2)}`);
    },
  );
}
