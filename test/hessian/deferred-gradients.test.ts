// Hessian-vector products with the parameter gradients of the first backward pass deferred
// (src/backend/deferred-parameter-gradients.ts) equal the products without, to the bit, on real model families;
// the deferred kernels replace exactly the weight and filter gradients; training gradients are untouched.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import '../support/presets.ts';
import { tf } from '../../src/backend/tf.ts';
import { initBackend } from '../../src/backend/select.ts';
import { tryRegisterNativeBackend } from '../../src/backend/native/index.ts';
import { DEFERRED_CONV_FILTER, DEFERRED_DEPTHWISE_FILTER, DEFERRED_MATMUL, setParameterGradientDeferral, withDeferredParameterGradients } from '../../src/backend/deferred-parameter-gradients.ts';
import { createModel } from '../../src/models/index.ts';
import { modelHessianOperator } from '../../src/hessian/model-operator.ts';
import { Rng, normalVector } from '../../src/util/random.ts';
import { randomiseHead } from '../support/away-from-init.ts';

const reg = tryRegisterNativeBackend();

async function kernelsOf(f: () => Promise<unknown>): Promise<string[]> {
  const names: string[] = [];
  const info = await tf.profile(async () => {
    await f();
  });
  for (const k of info.kernels) names.push(k.name);
  return names;
}

for (const backend of ['cpu', 'native'] as const) {
  const skip = backend === 'native' && !reg.registered ? `native backend unavailable: ${reg.reason}` : false;
  for (const preset of ['vit-tiny-test', 'resnet-tiny-test', 'swin-tiny-test', 'alternet-tiny-test', 'mobilevit-tiny-test', 'pit-tiny-test', 'mixer-tiny-test']) {
    test(`${backend} ${preset}: products with deferred parameter gradients equal those without, bit for bit`, { skip }, async () => {
      await initBackend({ backend, quiet: true });
      const model = createModel(preset, { seed: 3 });
      randomiseHead(model, 30);
      const rng = new Rng(4);
      const size = model.config.imageSize;
      const x = tf.randomNormal([3, size, size, 3], 0, 1, 'float32', 5) as tf.Tensor4D;
      const y = tf.tensor1d([1, 0, 2], 'int32');
      // every product runs its first backward pass (no recorded graph), so each one shows the stand-ins
      const op = modelHessianOperator(model, [{ x, y }], { reuseGraph: false });
      const v = normalVector(rng, op.dim);
      let deferredKernels = 0;
      const on = await op.matvec(v);
      const names = await kernelsOf(() => op.matvec(v));
      const standIns = new Set([DEFERRED_MATMUL, DEFERRED_CONV_FILTER, DEFERRED_DEPTHWISE_FILTER]);
      deferredKernels = names.filter((n) => standIns.has(n)).length;
      // MobileViT's inverted residuals: every depthwise filter's gradient is deferred
      if (preset.startsWith('mobilevit')) assert.ok(names.includes(DEFERRED_DEPTHWISE_FILTER), 'depthwise filter gradients deferred');
      const prev = setParameterGradientDeferral(false);
      let off: Float64Array;
      let plainNames: string[];
      try {
        off = await op.matvec(v);
        plainNames = await kernelsOf(() => op.matvec(v));
      } finally {
        setParameterGradientDeferral(prev);
      }
      assert.ok(deferredKernels > 0, 'some parameter gradients were deferred');
      assert.equal(names.length, plainNames.length, 'one stand-in per replaced kernel');
      const heavy = (ns: string[]) => ns.filter((n) => n === 'BatchMatMul' || n === 'Conv2DBackpropFilter' || n === 'DepthwiseConv2dNativeBackpropFilter').length;
      assert.equal(heavy(plainNames) - heavy(names), deferredKernels, 'each stand-in replaced a product or filter gradient');
      assert.deepEqual(Array.from(on), Array.from(off), 'same product');
      model.dispose();
      tf.dispose([x, y]);
    });
  }
}

test('outside the deferral, and for tensors that are not the given parameters, gradients are computed', async () => {
  await initBackend({ backend: 'cpu', quiet: true });
  const w = tf.tensor2d([[1, 2], [3, 4]]);
  const a = tf.tensor2d([[0.5, -1], [2, 1]]);
  const loss = (p: tf.Tensor, q: tf.Tensor) => tf.sum(tf.matMul(q, p));
  const plain = tf.grads(loss)([w, a]);
  const inside = withDeferredParameterGradients([w], () => tf.grads(loss)([w, a]));
  assert.deepEqual(await inside[1]!.array(), await plain[1]!.array(), 'a (not deferred) has its real gradient');
  assert.deepEqual(await inside[0]!.array(), [[0, 0], [0, 0]], "w's gradient is the stand-in's zeros");
  const after = tf.grads(loss)([w, a]);
  assert.deepEqual(await after[0]!.array(), await plain[0]!.array(), 'deferral ends with the call');
  tf.dispose([w, a, ...plain, ...inside, ...after]);
});
