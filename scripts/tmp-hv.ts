import { tf } from '../src/backend/tf.ts';
import { initBackend } from '../src/backend/select.ts';
import { createModel } from '../src/models/index.ts';
import { readIntoFloat64, tensorsFromFloat64 } from '../src/backend/host-vectors.ts';
import { normalVector, Rng } from '../src/util/random.ts';
await initBackend({});
const m = createModel(process.argv[2] ?? 'swin-ti', { seed: 0 });
const shapes = [...m.params.values()].map((p) => [...p.shape]);
const dim = shapes.reduce((a: number, s: number[]) => a + s.reduce((x, y) => x * y, 1), 0);
const v = normalVector(new Rng(0), dim);
const out = new Float64Array(dim);
for (let r = 0; r < 4; r++) {
  const t0 = performance.now();
  const ts = tensorsFromFloat64(v, shapes);
  const t1 = performance.now();
  await readIntoFloat64(ts, out);
  const t2 = performance.now();
  tf.dispose(ts);
  console.log(`dim ${dim} tensors ${(t1 - t0).toFixed(1)} ms, read ${(t2 - t1).toFixed(1)} ms, tensors ${shapes.length}`);
}
