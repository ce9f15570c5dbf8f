// The Hessian of a loss with respect to a flat parameter vector, as a LinearOperator.
// Exact products by double backpropagation (nested tf.grads: H v = ∇_θ (∇_θ L · v)), averaged over a
// fixed set of batches weighted by batch size (PyHessian's dataloader mode); BatchNorm and every
// stochastic layer in evaluation mode. A central finite-difference variant cross-checks them.
// Float64 vectors at the boundary, float32 inside; every product runs in tf.tidy and releases its tensors.
import * as os from 'node:os';
import { tf } from '../backend/tf.ts';
import type { Model } from '../models/model.ts';
import { selectParams } from '../models/flat-params.ts';
import { readIntoFloat64, tensorsFromFloat64 } from '../backend/host-vectors.ts';
import { withDeferredParameterGradients } from '../backend/deferred-parameter-gradients.ts';
import { recordGraph, type RecordedGraph } from '../backend/recorded-graph.ts';
import { lossOfParams, type LossOfParams } from '../train/loss-of-params.ts';
import { crossEntropy } from '../train/losses.ts';
import type { LinearOperator } from './linear-operator.ts';

/** The loss of one batch as a function of the selected parameter tensors (in `names` order). */
export type { LossOfParams };

export interface HessianBatch {
  x: tf.Tensor4D;
  /** Integer labels [B], or soft targets [B, K] (mixup/CutMix, smoothing applied: then use labelSmoothing 0). */
  y: tf.Tensor1D | tf.Tensor2D;
  /** Dataset indices of the images (recorded in results). */
  indices?: readonly number[];
}

export interface HessianOperatorOptions {
  /**
   * Coefficient c of an L2 term (c/2)·||θ||² over the selected parameters, added to the loss.
   * Its Hessian is c·I, so it is added to every product exactly (c·v) rather than differentiated.
   */
  l2?: number;
  method?: 'exact' | 'finite-difference';
  /** Finite differences: step along v is epsilon / ||v|| (default 1e-2, suited to float32). */
  epsilon?: number;
  /** Called after every product with the product count and its duration. */
  onProduct?: (count: number, ms: number) => void;
  /**
   * Exact products: record each batch's forward and first backward pass and replay only the last backward pass
   * (src/backend/recorded-graph.ts; same products to the bit as recomputing, about a third less work each). The
   * recorded graphs are held between products while their total fits graphBudgetBytes; a batch beyond it is recorded,
   * replayed once and dropped, every product. false: every product recomputes everything through tfjs-core's own
   * nested gradients (the reference the recorded graphs are tested against; it holds every adjoint to the end).
   * Default true.
   */
  reuseGraph?: boolean;
  /**
   * Bytes of recorded graphs held between products, all batches together (default: a third of the machine's
   * memory, at most 8 GiB). vit-ti at batch 16 records 3.0 GB, vit-cpu at batch 32 about 0.6 GB.
   */
  graphBudgetBytes?: number;
  /**
   * What the losses depend on besides `point` (e.g. BatchNorm buffers): a recorded graph is rebuilt when any of
   * these tensors, or the point's, has changed (a different data id, as after assign). Default: the point only.
   */
  dependsOn?: () => readonly tf.Tensor[];
}

export interface HessianOperator extends LinearOperator {
  names: string[];
  shapes: number[][];
  /** Products computed so far and their total time. */
  products: number;
  totalMs: number;
  /** The loss (without L2) and gradient at the point, averaged like the products. */
  lossAndGradient(): Promise<{ loss: number; gradient: Float64Array }>;
  dispose(): void;
}

interface WeightedLoss {
  fn: LossOfParams;
  weight: number;
}

function flatten(ts: readonly tf.Tensor[]): tf.Tensor1D {
  return tf.concat(ts.map((t) => tf.reshape(t, [-1]))) as tf.Tensor1D;
}

/**
 * The generic operator: `point` holds the parameter values (kept, not copied: the caller owns them),
 * `losses` one loss per batch with its weight (weights are normalised to sum to 1).
 */
export function lossHessianOperator(point: readonly tf.Tensor[], losses: readonly WeightedLoss[], names: readonly string[], opts: HessianOperatorOptions = {}): HessianOperator {
  if (losses.length === 0) throw new Error('hessian operator: no batches');
  if (point.length !== names.length) throw new Error(`hessian operator: ${point.length} tensors for ${names.length} names`);
  const shapes = point.map((t) => [...t.shape]);
  const dim = point.reduce((a, t) => a + t.size, 0);
  const total = losses.reduce((a, l) => a + l.weight, 0);
  const weights = losses.map((l) => l.weight / total);
  const l2 = opts.l2 ?? 0;
  const method = opts.method ?? 'exact';
  const epsilon = opts.epsilon ?? 1e-2;
  const gradFns = losses.map((l) => tf.grads((...ps: tf.Tensor[]) => l.fn(ps)));

  // s(g) = w_b <g, v> as one tape node whose gradient is w_b v itself (one multiply per parameter, where
  // differentiating sum(mul(g_i, v_i)) took a ones tensor and two multiplies per parameter). Its value is never
  // read, only its gradient, so the forward pass skips the dot product and returns 0. (reuseGraph: false only.)
  const seed = (vs: readonly tf.Tensor[], weight: number) =>
    tf.customGrad((...args: (tf.Tensor | tf.GradSaveFunc)[]) => ({
      value: tf.scalar(0),
      gradFunc: (dy: tf.Tensor | tf.Tensor[]) => {
        // dy is the ones seed of tf.grads(gDotV) below: with one batch (weight 1) the gradient is v itself
        // (clones share v's data), which saves one multiply pass over every parameter per product.
        if (weight === 1) return vs.map((vi) => tf.clone(vi));
        const scale = tf.mul(dy as tf.Tensor, weight);
        return vs.map((vi) => tf.mul(vi, scale));
      },
    }));
  // The gradient at the point, as the first backward pass of a product builds it: parameter gradient values are
  // left uncomputed (never read: only their tape nodes are differentiated again),
  // src/backend/deferred-parameter-gradients.ts
  const gradientGraph = (b: number, ps: tf.Tensor[]): tf.Tensor[] => withDeferredParameterGradients(ps, () => gradFns[b]!(ps));

  // Recorded graphs: one per batch, held while they fit the budget, rebuilt when the point or what the losses
  // depend on changes.
  const reuse = method === 'exact' && (opts.reuseGraph ?? true);
  const cache: GraphCache = { graphs: losses.map(() => null), key: [] };
  const stateKey = (): object[] => [...point, ...(opts.dependsOn?.() ?? [])].map((t) => t.dataId as object);
  const releaseGraphs = (): void => releaseCache(cache);
  const budget = opts.graphBudgetBytes ?? Math.min(8 * 2 ** 30, os.totalmem() / 3);
  /** Drops the recorded graphs if the point or what the losses depend on has changed since they were recorded. */
  const dropStaleGraphs = (): void => {
    const key = stateKey();
    if (key.length !== cache.key.length || key.some((k, i) => k !== cache.key[i])) {
      releaseGraphs();
      cache.key = key;
    }
  };
  /** Batch b's weighted product from its recorded graph (recorded now, and held if it fits). */
  const replayedProduct = (b: number, vs: tf.Tensor[]): tf.Tensor[] => {
    const held = cache.graphs[b];
    const graph = held ?? recordGraph(point, () => gradientGraph(b, [...point]));
    const heldBytes = cache.graphs.reduce((sum, g) => sum + (g?.bytes ?? 0), 0);
    const hold = held !== null || heldBytes + graph.bytes <= budget;
    if (held === null && hold) cache.graphs[b] = graph;
    try {
      return tf.tidy(() => graph.backprop(weights[b] === 1 ? vs : vs.map((vi) => tf.mul(vi, weights[b]!))));
    } finally {
      if (!hold) graph.dispose();
    }
  };

  // Per parameter, the product averaged over the batches.
  const exactProduct = (vs: tf.Tensor[]): tf.Tensor[] => {
    if (reuse) dropStaleGraphs();
    let acc: tf.Tensor[] | null = null;
    for (let b = 0; b < losses.length; b++) {
      const hv = reuse
        ? replayedProduct(b, vs)
        : tf.tidy(() => {
          const dot = seed(vs, weights[b]!);
          const gDotV = (...ps: tf.Tensor[]): tf.Scalar => dot(...gradientGraph(b, ps)) as tf.Scalar;
          return tf.grads(gDotV)([...point]);
        });
      if (acc === null) acc = hv;
      else {
        const prev: tf.Tensor[] = acc;
        acc = prev.map((a, i) => tf.add(a, hv[i]!));
        tf.dispose([...prev, ...hv]);
      }
    }
    return acc!;
  };

  const gradientAt = (ps: tf.Tensor[]): tf.Tensor1D =>
    tf.tidy(() => tf.addN(gradFns.map((g, b) => tf.mul(flatten(g(ps)), weights[b]!))) as tf.Tensor1D);

  const op: HessianOperator = {
    dim,
    names: [...names],
    shapes,
    products: 0,
    totalMs: 0,
    async matvec(v: Float64Array, into?: Float64Array): Promise<Float64Array> {
      if (v.length !== dim) throw new Error(`hessian operator: vector length ${v.length}, expected ${dim}`);
      if (into !== undefined && (into.length !== dim || into.buffer === v.buffer)) {
        throw new Error(`hessian operator: output vector of length ${into.length}${into.buffer === v.buffer ? ' sharing the input\'s memory' : ''}, expected a separate vector of length ${dim}`);
      }
      const t0 = performance.now();
      let out: Float64Array;
      if (method === 'exact') {
        // v's pieces and the product's are pooled host memory on the native backend (src/backend/host-vectors.ts)
        const parts = tf.tidy(() => exactProduct(tensorsFromFloat64(v, shapes)));
        try {
          out = await readIntoFloat64(parts, into ?? new Float64Array(dim));
        } finally {
          tf.dispose(parts);
        }
      } else {
        let vn = 0;
        for (let i = 0; i < v.length; i++) vn += v[i]! * v[i]!;
        vn = Math.sqrt(vn);
        if (vn === 0) out = into ? into.fill(0) : new Float64Array(dim);
        else {
          const h = epsilon / vn;
          const r = tf.tidy(() => {
            const vs = tensorsFromFloat64(v, shapes);
            const plus = point.map((p, i) => tf.add(p, tf.mul(vs[i]!, h)));
            const minus = point.map((p, i) => tf.sub(p, tf.mul(vs[i]!, h)));
            return tf.div(tf.sub(gradientAt(plus), gradientAt(minus)), 2 * h) as tf.Tensor1D;
          });
          try {
            out = await readIntoFloat64([r], into ?? new Float64Array(dim));
          } finally {
            r.dispose();
          }
        }
      }
      if (l2 !== 0) for (let i = 0; i < dim; i++) out[i]! += l2 * v[i]!;
      const ms = performance.now() - t0;
      op.products++;
      op.totalMs += ms;
      opts.onProduct?.(op.products, ms);
      return out;
    },
    async lossAndGradient() {
      const [lossT, gradT] = tf.tidy((): tf.Tensor[] => {
        const loss = tf.addN(losses.map((l, b) => tf.mul(l.fn([...point]), weights[b]!)));
        return [loss, gradientAt([...point])];
      }) as tf.Tensor[];
      const loss = (await lossT!.data())[0]!;
      const gradient = Float64Array.from(await gradT!.data());
      tf.dispose([lossT!, gradT!]);
      return { loss, gradient };
    },
    dispose() {
      // The point belongs to the caller (model variables); the recorded graphs are the operator's.
      releaseGraphs();
      finalizers.unregister(op);
    },
  };
  // an operator dropped without dispose() still frees its recorded graphs once it is garbage-collected (the held
  // cache object must not reach the operator, or it would never be collected)
  finalizers.register(op, cache, op);
  return op;
}

interface GraphCache {
  graphs: (RecordedGraph | null)[];
  key: object[];
}

function releaseCache(cache: GraphCache): void {
  for (const g of cache.graphs) g?.dispose();
  cache.graphs = cache.graphs.map(() => null);
}

const finalizers = new FinalizationRegistry<GraphCache>(releaseCache);

/**
 * Mean cross-entropy (optionally label-smoothed), twice differentiable: train/losses.ts crossEntropy,
 * kept under this name for the `hessian` namespace of the public API.
 */
export function twiceDifferentiableNll(logits: tf.Tensor2D, labels: tf.Tensor1D, labelSmoothing = 0): tf.Scalar {
  return crossEntropy(logits, labels, { labelSmoothing });
}

export interface ModelHessianOptions extends HessianOperatorOptions {
  /** Parameter names to differentiate (default: all, in model order). */
  names?: readonly string[];
  labelSmoothing?: number;
  /**
   * Most images per recorded graph (default 16, the paper's Hessian batch; 0: never split). A larger batch is split
   * into consecutive chunks whose products are averaged by chunk size: the same Hessian, since the loss is a mean
   * over images and every layer runs in evaluation mode, summed in another order (float32 rounding apart). A graph's
   * memory grows with its images (vit-ti: 0.19 GB each), and one batch of 64 would not fit a 24 GB machine.
   */
  graphImages?: number;
}

/** The batches split into consecutive chunks of at most `most` images (the batch itself where it is small enough). */
function chunked(batches: readonly HessianBatch[], most: number): { chunks: HessianBatch[]; made: tf.Tensor[] } {
  const chunks: HessianBatch[] = [];
  const made: tf.Tensor[] = [];
  for (const batch of batches) {
    const n = batch.x.shape[0];
    if (most <= 0 || n <= most) {
      chunks.push(batch);
      continue;
    }
    for (let start = 0; start < n; start += most) {
      const size = Math.min(most, n - start);
      const x = tf.slice(batch.x, [start, 0, 0, 0], [size, -1, -1, -1]);
      const y = batch.y.rank === 1 ? tf.slice(batch.y, [start], [size]) : tf.slice(batch.y, [start, 0], [size, -1]);
      made.push(x, y);
      chunks.push({ x, y: y as tf.Tensor1D | tf.Tensor2D, indices: batch.indices?.slice(start, start + size) });
    }
  }
  return { chunks, made };
}

/**
 * The Hessian of the mean NLL (plus optional L2) of `model` over `batches` with respect to the
 * parameters `names`, at the model's current parameter values, in evaluation mode.
 */
export function modelHessianOperator(model: Model, batches: readonly HessianBatch[], opts: ModelHessianOptions = {}): HessianOperator {
  const names = opts.names ? [...opts.names] : selectParams(model);
  for (const n of names) if (!model.params.has(n)) throw new Error(`hessian operator: model has no parameter '${n}'`);
  const point = names.map((n) => model.params.get(n)! as tf.Tensor);
  const graphImages = opts.graphImages ?? 16;
  if (!Number.isInteger(graphImages) || graphImages < 0) throw new Error(`hessian operator: graphImages must be a whole number >= 0, got ${graphImages}`);
  const { chunks, made } = chunked(batches, graphImages);
  // No l2 here: the operator adds its Hessian c·I to every product exactly (lossHessianOperator).
  const losses = chunks.map((batch) => ({
    weight: batch.x.shape[0],
    fn: lossOfParams(model, batch.x, batch.y, { names, labelSmoothing: opts.labelSmoothing }),
  }));
  // everything else the loss reads: parameters outside `names` and BatchNorm's running statistics
  const dependsOn = () => [...model.params.values(), ...model.buffers.values()];
  const op = lossHessianOperator(point, losses, names, { dependsOn, ...opts });
  if (made.length === 0) return op;
  const dispose = op.dispose;
  op.dispose = () => {
    dispose();
    tf.dispose(made);
  };
  return op;
}
