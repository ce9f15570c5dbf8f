// A LinearOperator backed by an explicit symmetric matrix (tests, small problems), and the reverse:
// forming the dense matrix of an operator column by column.
import type { LinearOperator } from './linear-operator.ts';

/** Row-major symmetric matrix as an operator; counts products. */
export function denseOperator(rows: readonly (ArrayLike<number>)[]): LinearOperator & { products: number } {
  const n = rows.length;
  const a = new Float64Array(n * n);
  for (let i = 0; i < n; i++) {
    const r = rows[i]!;
    if (r.length !== n) throw new Error(`denseOperator: row ${i} has length ${r.length}, expected ${n}`);
    for (let j = 0; j < n; j++) a[i * n + j] = r[j]!;
  }
  const op = {
    dim: n,
    products: 0,
    async matvec(v: Float64Array): Promise<Float64Array> {
      if (v.length !== n) throw new Error(`denseOperator: vector length ${v.length}, expected ${n}`);
      op.products++;
      const out = new Float64Array(n);
      for (let i = 0; i < n; i++) {
        let s = 0;
        const o = i * n;
        for (let j = 0; j < n; j++) s += a[o + j]! * v[j]!;
        out[i] = s;
      }
      return out;
    },
  };
  return op;
}

/** The dense matrix of an operator, one column per unit vector (dim products). */
export async function toDense(op: LinearOperator, onColumn?: (j: number, n: number) => void): Promise<Float64Array[]> {
  const cols: Float64Array[] = [];
  for (let j = 0; j < op.dim; j++) {
    const e = new Float64Array(op.dim);
    e[j] = 1;
    cols.push(Float64Array.from(await op.matvec(e)));
    onColumn?.(j + 1, op.dim);
  }
  // rows[i][j] = cols[j][i]
  return Array.from({ length: op.dim }, (_, i) => Float64Array.from(cols, (c) => c[i]!));
}

/** max |A - Aᵀ| / max |A|. */
export function asymmetry(rows: readonly Float64Array[]): number {
  let d = 0;
  let m = 0;
  for (let i = 0; i < rows.length; i++) {
    for (let j = 0; j < rows.length; j++) {
      d = Math.max(d, Math.abs(rows[i]![j]! - rows[j]![i]!));
      m = Math.max(m, Math.abs(rows[i]![j]!));
    }
  }
  return m === 0 ? 0 : d / m;
}
