// Micro-benchmarks: sgemm and ResNet-20-shaped conv2d throughput on the current backend.
import { tf } from '../src/backend/tf.ts';
import { emit, round, timeIt } from './timing.ts';

export interface MicroOptions {
  backend: string;
  quick: boolean;
  slow: boolean; // a JS/WASM backend: fewer repetitions
}

const sync = async (t: tf.Tensor) => {
  await t.data();
  t.dispose();
};

export async function runMicro(o: MicroOptions): Promise<void> {
  const reps = o.slow ? { warmup: 1, minReps: 1, maxReps: 3, minSeconds: 0.5 } : { warmup: 2, minReps: 3, maxReps: 50, minSeconds: 1 };
  const B = o.quick ? 2 : 32;
  const gemms: [string, number, number, number][] = o.quick
    ? [['128x128x128', 128, 128, 128], [`vit-qkv [${B}*65,192]x[192,576]`, B * 65, 192, 576]]
    : [
        ['512x512x512', 512, 512, 512],
        ['1024x1024x1024', 1024, 1024, 1024],
        [`vit-qkv [${B}*65,192]x[192,576]`, B * 65, 192, 576],
      ];
  for (const [shape, m, k, n] of gemms) {
    const a = tf.randomNormal([m, k]);
    const b = tf.randomNormal([k, n]);
    const s = await timeIt(() => sync(tf.matMul(a, b)), reps);
    emit({ bench: 'sgemm', shape, backend: o.backend, gflops: round((2 * m * k * n) / s / 1e9, 3), ms: round(s * 1e3, 3) });
    a.dispose();
    b.dispose();
  }
  // ResNet-20 3x3 convolutions (NHWC, 'same'), one per stage, and the stride-2 stage entries.
  const convs: [number, number, number, number][] = [
    [32, 16, 16, 1],
    [32, 16, 32, 2],
    [16, 32, 32, 1],
    [8, 64, 64, 1],
  ];
  for (const [hw, cin, cout, stride] of convs) {
    const x = tf.randomNormal([B, hw, hw, cin]) as tf.Tensor4D;
    const w = tf.randomNormal([3, 3, cin, cout]) as tf.Tensor4D;
    const s = await timeIt(() => sync(tf.conv2d(x, w, stride, 'same')), reps);
    const out = Math.ceil(hw / stride);
    const flops = 2 * B * out * out * cout * 9 * cin;
    emit({ bench: 'conv2d', shape: `[${B},${hw},${hw},${cin}]*[3,3,${cin},${cout}]/s${stride}`, backend: o.backend, gflops: round(flops / s / 1e9, 3), ms: round(s * 1e3, 3) });
    x.dispose();
    w.dispose();
  }
}
