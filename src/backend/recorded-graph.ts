// A recorded computation that can be backpropagated through many times, with new output adjoints each time
// (PyTorch's `autograd.grad(..., retain_graph=True)`; tfjs-core's `grads` frees its tape after one backward pass).
// An exact Hessian-vector product differentiates <∇L(θ), v>: the forward pass and the first backward pass that
// build ∇L(θ) are the same for every v at a fixed θ, only the last backward pass (from the adjoints v) differs.
// Recording the first two once and replaying the last per product saves about a third of each product's work
// (matrix products per linear layer: 1 forward + 1 first backward of 8), as PyHessian does for one batch.
// The backward pass walks the tape exactly as tfjs-core's engine does (same node order, same accumulation), so
// the products are the same to the bit.
import { tf } from './tf.ts';

interface TapeNode {
  id: number;
  kernelName: string;
  inputs: Record<string, tf.Tensor>;
  outputs: tf.Tensor[];
  saved?: tf.Tensor[];
  gradient?: (dys: (tf.Tensor | null)[]) => Record<string, () => tf.Tensor>;
}

interface EngineInternals {
  state: { gradientDepth: number; activeTape: TapeNode[] | null };
  startTape(): void;
  endTape(): void;
  scopedRun<T>(start: () => void, end: () => void, f: () => T): T;
  tidy<T extends tf.TensorContainer>(name: string, f: () => T): T;
}

export interface RecordedGraph {
  /** The recorded outputs (kept until dispose). */
  readonly outputs: readonly tf.Tensor[];
  /**
   * Bytes of the distinct data buffers the graph holds (saved tensors and outputs). tf.memory().numBytes counts a
   * buffer once per tensor viewing it, and a reshape-heavy graph (attention) shares most buffers between views:
   * vit-ti at batch 16 holds 3.0 GB that numBytes counts as 7.0 GB.
   */
  readonly bytes: number;
  /**
   * Σ_i <outputs[i], seeds[i]> differentiated with respect to `xs`, one tensor per x (zeros where no path);
   * the caller disposes them. Not recorded for further differentiation.
   */
  backprop(seeds: readonly tf.Tensor[]): tf.Tensor[];
  /**
   * The last backward pass: backprop's adjoints (null where no path leads to an x), freeing the graph's saved tensors
   * node by node as the pass goes, then the graph. A training step's peak memory is then its forward pass's saves
   * plus the live adjoints; tf.grads holds every adjoint and every save until its pass ends.
   */
  backpropOnce(seeds: readonly tf.Tensor[]): (tf.Tensor | null)[];
  dispose(): void;
}

/** The nodes on a path from xs to any of ys, inputs pruned to those depending on xs (tfjs-core's filter, many ys). */
function filterTape(tape: readonly TapeNode[], xs: readonly tf.Tensor[], ys: readonly tf.Tensor[]): TapeNode[] {
  const fromX = new Set<number>(xs.map((x) => x.id));
  const nodesFromX = new Set<number>();
  for (const node of tape) {
    for (const name in node.inputs) {
      if (fromX.has(node.inputs[name]!.id)) {
        for (const o of node.outputs) fromX.add(o.id);
        nodesFromX.add(node.id);
        break;
      }
    }
  }
  const toY = new Set<number>(ys.map((y) => y.id));
  const nodesToY = new Set<number>();
  for (let i = tape.length - 1; i >= 0; i--) {
    const node = tape[i]!;
    if (node.outputs.some((o) => toY.has(o.id))) {
      for (const name in node.inputs) toY.add(node.inputs[name]!.id);
      nodesToY.add(node.id);
    }
  }
  const out: TapeNode[] = [];
  for (const node of tape) {
    if (!nodesFromX.has(node.id) || !nodesToY.has(node.id)) continue;
    const inputs: Record<string, tf.Tensor> = {};
    for (const name in node.inputs) if (fromX.has(node.inputs[name]!.id)) inputs[name] = node.inputs[name]!;
    out.push({ ...node, inputs });
  }
  return out;
}

/**
 * Runs f() (which may itself take gradients) with the tape on and keeps the tape, so that its outputs can be
 * backpropagated to `xs` any number of times. Not inside another gradient computation.
 */
export function recordGraph(xs: readonly tf.Tensor[], f: () => tf.Tensor[]): RecordedGraph {
  const engine = tf.engine() as unknown as EngineInternals;
  if (engine.state.gradientDepth !== 0) throw new Error('recordGraph: called inside a gradient computation');
  let tape: TapeNode[] = [];
  let outputs: tf.Tensor[];
  try {
    outputs = engine.scopedRun(() => engine.startTape(), () => engine.endTape(), () => engine.tidy('forward', f));
  } finally {
    tape = engine.state.activeTape ?? [];
    engine.state.activeTape = null;
  }
  for (const o of outputs) tf.keep(o);
  const filtered = filterTape(tape, xs, outputs);
  const held = new Set<object>();
  let bytes = 0;
  const count = (t: tf.Tensor): void => {
    if (t.isDisposed || held.has(t.dataId)) return;
    held.add(t.dataId);
    bytes += t.size * tf.util.bytesPerElement(t.dtype as 'float32');
  };
  for (const node of tape) for (const t of node.saved ?? []) count(t);
  for (const o of outputs) count(o);
  let disposed = false;
  const dispose = (): void => {
    if (disposed) return;
    disposed = true;
    for (const node of tape) for (const t of node.saved ?? []) t.dispose();
    tf.dispose(outputs);
    tape = [];
  };
  /**
   * The backward pass from `seeds`: per x its adjoint, or null where no path leads to it. once: the graph's last
   * pass, which also frees each node's saved tensors as soon as its gradient has run (they are handles of their own,
   * src/backend/gradients/saved-tensors.ts, so another node's saves of the same data stay valid).
   */
  const pass = (seeds: readonly tf.Tensor[], once: boolean): (tf.Tensor | null)[] => {
    if (disposed) throw new Error('recordGraph: the graph was disposed');
    if (seeds.length !== outputs.length) throw new Error(`recordGraph: ${seeds.length} seeds for ${outputs.length} outputs`);
    const reached: boolean[] = [];
    const found = tf.tidy(() => {
      const acc = new Map<number, tf.Tensor>();
      const callers = new Set<tf.Tensor>(seeds);
      outputs.forEach((o, i) => {
        const s = seeds[i]!;
        if (!tf.util.arraysEqual(s.shape, o.shape)) throw new Error(`recordGraph: seed ${i} has shape [${s.shape}], expected [${o.shape}]`);
        acc.set(o.id, s);
      });
      for (let i = filtered.length - 1; i >= 0; i--) {
        const node = filtered[i]!;
        const dys = node.outputs.map((o) => acc.get(o.id) ?? null);
        if (!node.gradient) throw new Error(`Cannot compute gradient: gradient function not found for ${node.kernelName}.`);
        const inputGradients = node.gradient(dys);
        const passedOn = new Set<tf.Tensor>();
        for (const name in node.inputs) {
          if (!(name in inputGradients)) throw new Error(`Cannot backprop through input ${name} of ${node.kernelName}.`);
          const dx = tf.tidy(() => inputGradients[name]!());
          const x = node.inputs[name]!;
          const cur = acc.get(x.id);
          const next = cur === undefined ? dx : tf.add(cur, dx);
          acc.set(x.id, next);
          passedOn.add(next);
          // the seeds are the caller's: never disposed here
          if (cur !== undefined && !callers.has(cur)) cur.dispose();
        }
        // Every node after this one has added its share to these adjoints (the tape is in execution order), so
        // they are dead: freeing them now rather than at the end of the tidy keeps the pass at its live set.
        for (const o of node.outputs) {
          const dy = acc.get(o.id);
          if (dy === undefined) continue;
          acc.delete(o.id);
          if (!callers.has(dy) && !passedOn.has(dy)) dy.dispose();
        }
        if (once) for (const t of node.saved ?? []) t.dispose();
      }
      const out: tf.Tensor[] = [];
      for (const x of xs) {
        const g = acc.get(x.id);
        reached.push(g !== undefined);
        if (g !== undefined) out.push(g);
      }
      return out;
    });
    let k = 0;
    return reached.map((r) => (r ? found[k++]! : null));
  };
  return {
    outputs,
    bytes,
    backprop(seeds) {
      const grads = pass(seeds, false);
      return grads.map((g, i) => g ?? tf.zerosLike(xs[i]!));
    },
    backpropOnce(seeds) {
      try {
        return pass(seeds, true);
      } finally {
        dispose();
      }
    },
    dispose,
  };
}

/**
 * f()'s value and its gradients with respect to xs (null for an x that f does not depend on), as tf.variableGrads
 * computes them (the same tape walk and accumulation order, so the same values to the bit) but freeing each adjoint
 * and each saved tensor once dead. On vit-ti at batch 64 tf.variableGrads held ~10 GB at the end of its pass.
 */
export function valueAndGradients(xs: readonly tf.Tensor[], f: () => tf.Scalar): { value: tf.Scalar; grads: (tf.Tensor | null)[] } {
  const graph = recordGraph(xs, () => [f()]);
  const loss = graph.outputs[0]!;
  // the value outlives the graph; tf.grads seeds the pass with ones of the output's shape
  const value = tf.clone(loss) as tf.Scalar;
  const seed = tf.onesLike(loss);
  try {
    return { value, grads: graph.backpropOnce([seed]) };
  } catch (err) {
    value.dispose();
    throw err;
  } finally {
    seed.dispose();
  }
}
