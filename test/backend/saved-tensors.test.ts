// Saved tensors for the backward pass (src/backend/gradients/saved-tensors.ts): handles on the same data where no
// further differentiation can need a link to the original, tfjs-core's recorded clones where one can. Gradients of
// first, second and third order equal tfjs-core's to the bit; no tensors leak; no Identity dispatches in a step.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { tf } from '../../src/backend/tf.ts';
import { initBackend } from '../../src/backend/select.ts';
import { tryRegisterNativeBackend } from '../../src/backend/native/index.ts';
import { setLightSavedTensors } from '../../src/backend/gradients/saved-tensors.ts';

const reg = tryRegisterNativeBackend();

function f(x: tf.Tensor, w: tf.Tensor): tf.Scalar {
  const h = tf.tanh(tf.matMul(x, w));
  return tf.sum(tf.mul(tf.exp(tf.mul(h, 0.5)), tf.square(h)));
}

async function orders(x: tf.Tensor, w: tf.Tensor, v: tf.Tensor): Promise<number[][]> {
  const g1 = tf.grad((z: tf.Tensor) => f(x, z));
  const g2 = tf.grad((z: tf.Tensor) => tf.sum(tf.mul(g1(z), v)));
  const g3 = tf.grad((z: tf.Tensor) => tf.sum(tf.mul(g2(z), v)));
  const out = [g1(w), g2(w), g3(w)];
  const values = await Promise.all(out.map(async (t) => Array.from(await t.data())));
  tf.dispose(out);
  return values;
}

for (const backend of ['cpu', 'native'] as const) {
  const skip = backend === 'native' && !reg.registered ? `native backend unavailable: ${reg.reason}` : false;
  test(`${backend}: gradients of order 1-3 equal tfjs-core's saves bit for bit, without leaks`, { skip }, async () => {
    await initBackend({ backend, quiet: true });
    const x = tf.randomNormal([5, 4], 0, 1, 'float32', 1);
    const w = tf.randomNormal([4, 3], 0, 1, 'float32', 2);
    const v = tf.randomNormal([4, 3], 0, 1, 'float32', 3);
    const before = tf.memory().numTensors;
    const lightValues = await orders(x, w, v);
    assert.equal(tf.memory().numTensors, before, 'no tensors leak with light saves');
    const prev = setLightSavedTensors(false);
    let cloneValues: number[][];
    try {
      cloneValues = await orders(x, w, v);
    } finally {
      setLightSavedTensors(prev);
    }
    assert.deepEqual(lightValues, cloneValues);
    assert.ok(lightValues[2]!.some((a) => a !== 0), 'the third derivative is not trivially zero');
    tf.dispose([x, w, v]);
  });

  test(`${backend}: a first-order gradient dispatches no Identity kernels for its saves`, { skip }, async () => {
    await initBackend({ backend, quiet: true });
    const x = tf.randomNormal([5, 4], 0, 1, 'float32', 1);
    const w = tf.randomNormal([4, 3], 0, 1, 'float32', 2);
    const kernels = async () => (await tf.profile(() => { tf.grad((z: tf.Tensor) => f(x, z))(w).dispose(); })).kernels.map((k) => k.name);
    const light = await kernels();
    const prev = setLightSavedTensors(false);
    let cloned: string[];
    try {
      cloned = await kernels();
    } finally {
      setLightSavedTensors(prev);
    }
    assert.equal(light.filter((n) => n === 'Identity').length, 0, light.join(', '));
    assert.ok(cloned.filter((n) => n === 'Identity').length > 0, 'tfjs-core clones through Identity');
    tf.dispose([x, w]);
  });
}
