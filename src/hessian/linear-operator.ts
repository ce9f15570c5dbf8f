// Hessian algorithms see only this: a symmetric linear operator, like scipy's LinearOperator.
export interface LinearOperator {
  dim: number;
  /**
   * A·v. With `out` (length dim, not aliasing v), an operator may write the product there and return it, so that
   * iterations can reuse one buffer instead of allocating a vector per product; callers always use the returned
   * array, which is `out` or a new one.
   */
  matvec(v: Float64Array, out?: Float64Array): Promise<Float64Array>;
}
