// The training step's gradients (src/backend/recorded-graph.ts valueAndGradients): the values of tf.variableGrads to
// the bit, with each adjoint and each saved tensor freed once the backward pass no longer needs it.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import '../support/presets.ts';
import { tf } from '../../src/backend/tf.ts';
import { initBackend } from '../../src/backend/select.ts';
import { tryRegisterNativeBackend } from '../../src/backend/native/index.ts';
import { valueAndGradients } from '../../src/backend/recorded-graph.ts';
import { createModel } from '../../src/models/index.ts';
import { labelOrSoftCrossEntropy } from '../../src/train/losses.ts';
import { randomiseHead } from '../support/away-from-init.ts';

const reg = tryRegisterNativeBackend();

for (const backend of ['cpu', 'native'] as const) {
  const skip = backend === 'native' && !reg.registered ? `native backend unavailable: ${reg.reason}` : false;
  for (const preset of ['vit-tiny-test', 'resnet-tiny-test', 'mixer-tiny-test', 'mobilevit-tiny-test']) {
    test(`${backend} ${preset}: training-mode loss and gradients equal tf.variableGrads bit for bit`, { skip }, async () => {
      await initBackend({ backend, quiet: true });
      const model = createModel(preset, { seed: 5 });
      randomiseHead(model, 32); // with mixer's zero head every gradient upstream of it would be zero
      const size = model.config.imageSize;
      const x = tf.randomNormal([4, size, size, 3], 0, 1, 'float32', 6) as tf.Tensor4D;
      const y = tf.tensor1d([0, 1, 2, 1], 'int32');
      const vars = [...model.params.values()];
      // the same seed for dropout / stochastic depth, and running statistics left alone, so both passes see one model
      const loss = (): tf.Scalar => labelOrSoftCrossEntropy(model.forward(x, { training: true, updateStats: false, seed: 3 }), y);
      const before = tf.memory().numTensors;
      const ref = tf.variableGrads(loss, vars as tf.Variable[]);
      const ours = valueAndGradients(vars, loss);
      assert.equal(ours.value.dataSync()[0], ref.value.dataSync()[0], 'loss');
      let compared = 0;
      vars.forEach((v, i) => {
        const g = ours.grads[i];
        const r = ref.grads[v.name];
        assert.equal(g === null, r === undefined, `${v.name}: reached by both or by neither`);
        if (g && r) {
          assert.deepEqual(Array.from(g.dataSync()), Array.from(r.dataSync()), v.name);
          compared++;
        }
      });
      assert.ok(compared > 0);
      tf.dispose([ours.value, ref.value, ...ours.grads.filter((g): g is tf.Tensor => g !== null), ...Object.values(ref.grads)]);
      assert.equal(tf.memory().numTensors, before, 'nothing left behind');
      model.dispose();
      tf.dispose([x, y]);
    });
  }
}

test('a parameter the loss does not reach gets null, not zeros', async () => {
  await initBackend({ backend: 'cpu', quiet: true });
  const a = tf.variable(tf.tensor1d([1, 2, 3]));
  const unused = tf.variable(tf.tensor1d([4]));
  const { value, grads } = valueAndGradients([a, unused], () => tf.sum(tf.square(a)));
  assert.equal(value.dataSync()[0], 14);
  assert.deepEqual(Array.from(grads[0]!.dataSync()), [2, 4, 6]);
  assert.equal(grads[1], null);
  tf.dispose([value, grads[0]!, a, unused]);
});

test('the backward pass frees saved tensors and adjoints as it goes', async () => {
  await initBackend({ backend: 'cpu', quiet: true });
  const n = 10_000;
  const depth = 40;
  const x = tf.variable(tf.randomNormal([n], 0, 1, 'float32', 8));
  // the probe's gradient runs last in the backward pass: by then each tanh's saved output should be gone. Counted in
  // data buffers (numBytes counts a buffer once per handle, and a saved tensor is a handle of its own).
  const buffers = (): number => tf.memory().numDataBuffers;
  let atProbe = Number.NaN;
  const probe = tf.customGrad((...args: (tf.Tensor | tf.GradSaveFunc)[]) => ({
    value: tf.clone(args[0] as tf.Tensor),
    gradFunc: (dy: tf.Tensor | tf.Tensor[]) => {
      atProbe = buffers();
      return tf.clone(dy as tf.Tensor);
    },
  }));
  const start = buffers();
  const { value, grads } = valueAndGradients([x], () => {
    let y = probe(x) as tf.Tensor;
    for (let i = 0; i < depth; i++) y = tf.tanh(y);
    return tf.sum(y);
  });
  // holding every save (or every adjoint) until the end would be depth buffers or more
  assert.ok(atProbe - start < depth / 4, `${atProbe - start} buffers alive at the end of the pass (${depth} tanh saves)`);
  tf.dispose([value, grads[0]!, x]);
});
