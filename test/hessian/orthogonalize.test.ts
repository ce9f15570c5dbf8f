// orthogonalize (src/hessian/vector.ts): classical Gram–Schmidt with the DGKS repeat, on the addon's threaded pass.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { loadAddon } from '../../src/backend/native/addon.ts';
import { dot, normalize, orthogonalize, setNativeGramSchmidt } from '../../src/hessian/vector.ts';
import { Rng, normalVector } from '../../src/util/random.ts';

/** k orthonormal vectors of length n (Gram–Schmidt on Gaussian draws, in plain loops). */
function orthonormalBasis(n: number, k: number, seed: number): Float64Array[] {
  const rng = new Rng(seed);
  const out: Float64Array[] = [];
  for (let j = 0; j < k; j++) {
    const v = normalVector(rng, n);
    for (let r = 0; r < 2; r++) for (const q of out) { const c = dot(v, q); for (let i = 0; i < n; i++) v[i]! -= c * q[i]!; }
    out.push(normalize(v));
  }
  return out;
}

for (const native of [true, false])
  test(`orthogonalize (${native ? "the addon's pass" : 'JavaScript'}): the result is orthogonal to the basis to working precision, also when v lies almost in its span`, async () => {
    const was = setNativeGramSchmidt(native);
    try {
      const n = 20000; // several of the addon's chunks, and a ragged last one
      const basis = orthonormalBasis(n, 12, 1);
      const rng = new Rng(2);
      // (a) a generic vector; (b) one with a component outside the span 1e-9 of its size: one pass leaves it skewed
      const generic = normalVector(rng, n);
      const outside = normalVector(rng, n);
      const nearly = new Float64Array(n);
      basis.forEach((q, j) => { for (let i = 0; i < n; i++) nearly[i]! += (j + 1) * q[i]!; });
      for (let i = 0; i < n; i++) nearly[i]! += 1e-9 * outside[i]!;
      for (const [name, v] of [['generic', generic], ['nearly in the span', nearly]] as const) {
        const w = orthogonalize(Float64Array.from(v), basis);
        const wn = Math.sqrt(dot(w, w));
        for (const q of basis) assert.ok(Math.abs(dot(w, q)) < 1e-13 * wn, `${name}: |q·w| ${Math.abs(dot(w, q))} for ‖w‖ ${wn}`);
        // nothing of v outside the span was lost: w·v = ‖w‖² (to the rounding of a dot product with v)
        const vn = Math.sqrt(dot(v, v));
        assert.ok(Math.abs(dot(w, v) - wn * wn) < 1e-6 * wn * wn + 1e-12 * wn * vn, `${name}: w·v ${dot(w, v)} vs ‖w‖² ${wn * wn}`);
      }
    } finally {
      setNativeGramSchmidt(was);
    }
  });

test("orthogonalize: the addon's pass equals JavaScript's arithmetic to rounding and does not depend on the thread count", { skip: loadAddon().addon === null ? 'native addon not built' : false }, async () => {
  const native = loadAddon().addon!;
  const n = 50001;
  const basis = orthonormalBasis(n, 5, 3);
  const v = normalVector(new Rng(4), n);
  const threads = native.threads();
  try {
    native.setThreads(1);
    const one = Float64Array.from(v);
    const [b1, a1] = native.gramSchmidtPass(one, basis);
    native.setThreads(2);
    const two = Float64Array.from(v);
    const [b2, a2] = native.gramSchmidtPass(two, basis);
    assert.deepEqual(two, one);
    assert.equal(b2, b1);
    assert.equal(a2, a1);
    // the same pass in plain loops
    const plain = Float64Array.from(v);
    const c = basis.map((q) => dot(v, q));
    basis.forEach((q, j) => { for (let i = 0; i < n; i++) plain[i]! -= c[j]! * q[i]!; });
    let worst = 0;
    for (let i = 0; i < n; i++) worst = Math.max(worst, Math.abs(plain[i]! - one[i]!));
    assert.ok(worst < 1e-13, `largest difference ${worst}`);
    assert.ok(Math.abs(b1 - dot(v, v)) < 1e-10 * b1 && Math.abs(a1 - dot(plain, plain)) < 1e-10 * a1, `norms ${b1} ${a1}`);
    assert.throws(() => native.gramSchmidtPass(v, [new Float64Array(3)]), /length differs/);
    assert.throws(() => native.gramSchmidtPass(v, [new Float32Array(n) as unknown as Float64Array]), /must be a Float64Array/);
  } finally {
    native.setThreads(threads);
  }
});
