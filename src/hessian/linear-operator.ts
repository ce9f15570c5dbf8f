// Hessian algorithms see only this: a symmetric linear operator, like scipy's LinearOperator.
export interface LinearOperator {
  dim: number;
  matvec(v: Float64Array): Promise<Float64Array>;
}
