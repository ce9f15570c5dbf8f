// Float64 vector helpers shared by the Hessian algorithms (Lanczos, power iteration, SLQ, Hutchinson).
// All algorithms work on plain Float64Arrays so that they are independent of tensors and models.

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

/**
 * Removes the components of `v` along the orthonormal `basis`, in place (classical Gram–Schmidt,
 * applied twice: "twice is enough" keeps the result orthogonal to working precision).
 */
export function orthogonalize(v: Float64Array, basis: readonly Float64Array[]): Float64Array {
  for (let pass = 0; pass < 2; pass++) {
    for (const q of basis) axpy(-dot(v, q), q, v);
  }
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
