// Float64 vector helpers shared by the Hessian algorithms (Lanczos, power iteration, SLQ, Hutchinson).
// All algorithms work on plain Float64Arrays so that they are independent of tensors and models.
import { loadAddon } from '../backend/native/addon.ts';

export function dot(a: Float64Array, b: Float64Array): number {
  if (a.length !== b.length) throw new Error(`dot: length mismatch ${a.length} vs ${b.length}`);
  let s = 0;
  for (let i = 0; i < a.length; i++) s += a[i]! * b[i]!;
  return s;
}

export function norm(a: Float64Array): number {
  return Math.sqrt(dot(a, a));
}

/** y += alpha * x, in place; returns y. */
export function axpy(alpha: number, x: Float64Array, y: Float64Array): Float64Array {
  if (x.length !== y.length) throw new Error(`axpy: length mismatch ${x.length} vs ${y.length}`);
  for (let i = 0; i < y.length; i++) y[i]! += alpha * x[i]!;
  return y;
}

/** x / ||x|| as a new array; throws on a zero vector. */
export function normalize(x: Float64Array): Float64Array {
  return normalizeInPlace(Float64Array.from(x));
}

/** x / ||x|| in place (multiplication by 1 / ||x||); returns x. Throws on a zero vector. */
export function normalizeInPlace(x: Float64Array): Float64Array {
  const n = norm(x);
  if (!(n > 0) || !Number.isFinite(n)) throw new Error(`normalize: vector norm is ${n}`);
  const a = 1 / n;
  for (let i = 0; i < x.length; i++) x[i] = a * x[i]!;
  return x;
}

/**
 * An operator's product as an array the caller may overwrite: the product itself (the operator's output vector or
 * a new one), or a copy if the operator handed back its input.
 */
export function ownedProduct(product: Float64Array, input: Float64Array): Float64Array {
  return product.buffer === input.buffer ? Float64Array.from(product) : product;
}

/** One classical Gram–Schmidt pass v -= Q (Qᵀ v), in place: [‖v‖² before, ‖v‖² after]. */
type GramSchmidtPass = (v: Float64Array, basis: readonly Float64Array[]) => [number, number];

/** The pass in JavaScript: the coefficients in one sweep, then one subtraction sweep. */
function gramSchmidtPassJs(v: Float64Array, basis: readonly Float64Array[]): [number, number] {
  const before = dot(v, v);
  const c = basis.map((q) => dot(v, q));
  basis.forEach((q, j) => axpy(-c[j]!, q, v));
  return [before, dot(v, v)];
}

let pass: GramSchmidtPass | null = null;
let nativeAllowed = true;

/** The addon's threaded pass where it loads (vit-ti's size, 15 vectors: ~10× faster), else JavaScript's. */
function gramSchmidtPass(): GramSchmidtPass {
  if (pass === null) {
    const native = nativeAllowed ? loadAddon().addon : null;
    pass = native ? (v, basis) => native.gramSchmidtPass(v, basis) : gramSchmidtPassJs;
  }
  return pass;
}

/** Allows (default) or forbids the addon's pass, for tests and benchmarks of the JavaScript one. Returns the previous setting. */
export function setNativeGramSchmidt(enabled: boolean): boolean {
  const was = nativeAllowed;
  nativeAllowed = enabled;
  pass = null;
  return was;
}

/**
 * Removes the components of `v` along the orthonormal `basis`, in place: classical Gram–Schmidt, repeated once when
 * the first pass cancelled more than 1 − 1/√2 of the norm (the DGKS criterion; "twice is enough": the repeat keeps
 * the result orthogonal to working precision, and Lanczos' residuals, already free of their large components,
 * rarely need it).
 */
export function orthogonalize(v: Float64Array, basis: readonly Float64Array[]): Float64Array {
  if (basis.length === 0) return v;
  for (const q of basis) if (q.length !== v.length) throw new Error(`orthogonalize: basis vector of length ${q.length}, expected ${v.length}`);
  const run = gramSchmidtPass();
  const [before, after] = run(v, basis);
  if (after < 0.5 * before) run(v, basis);
  return v;
}

/** Checks an operator's output: right length, finite entries. */
export function checkMatvecResult(out: Float64Array, dim: number, who: string): Float64Array {
  if (!(out instanceof Float64Array) || out.length !== dim) {
    throw new Error(`${who}: matvec returned ${out instanceof Float64Array ? `length ${out.length}` : typeof out}, expected a Float64Array of length ${dim}`);
  }
  for (let i = 0; i < out.length; i++) {
    if (!Number.isFinite(out[i]!)) throw new Error(`${who}: matvec returned a non-finite entry ${out[i]} at index ${i}`);
  }
  return out;
}
