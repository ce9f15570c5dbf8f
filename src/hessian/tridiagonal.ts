// Eigendecomposition of the symmetric tridiagonal matrix that Lanczos produces, with ml-matrix.
import { EigenvalueDecomposition, Matrix } from 'ml-matrix';

export interface TridiagonalEigen {
  /** Ritz values, ascending. */
  values: number[];
  /** vectors[i] is the unit eigenvector of T for values[i] (length m). */
  vectors: Float64Array[];
}

/** T = tridiag(beta, alpha, beta), alpha of length m, beta of length m - 1. */
export function tridiagonalEigen(alpha: readonly number[], beta: readonly number[]): TridiagonalEigen {
  const m = alpha.length;
  if (m === 0) return { values: [], vectors: [] };
  if (beta.length !== m - 1) throw new Error(`tridiagonalEigen: beta must have length ${m - 1}, got ${beta.length}`);
  const t = Matrix.zeros(m, m);
  for (let i = 0; i < m; i++) {
    t.set(i, i, alpha[i]!);
    if (i + 1 < m) {
      t.set(i, i + 1, beta[i]!);
      t.set(i + 1, i, beta[i]!);
    }
  }
  const evd = new EigenvalueDecomposition(t, { assumeSymmetric: true });
  const raw = evd.realEigenvalues;
  const v = evd.eigenvectorMatrix;
  const order = raw.map((_, i) => i).sort((a, b) => raw[a]! - raw[b]!);
  return {
    values: order.map((i) => raw[i]!),
    vectors: order.map((i) => Float64Array.from(v.getColumn(i))),
  };
}
