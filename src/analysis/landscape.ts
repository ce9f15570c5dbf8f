// 2D loss landscapes (Li et al. 2018; Park & Kim 2022, Fig. 1; ops/loss_landscapes.py):
// L(w + a d1 + b d2) on a grid of (a, b), with two Gaussian random directions scaled to the weights.
// Directions are rescaled to the weights ('authors', 'filter' or 'tensor', see DirectionNormalization) and
// are zero for 1-D parameters (biases, norms) and position tables, as both do. Loss: NLL (optionally
// label-smoothed, or against soft mixup/CutMix targets) plus optionally the authors' l2 * sum ||p||_2,
// in evaluation mode.
import { tf } from '../backend/tf.ts';
import type { Model, ParamInfo } from '../models/model.ts';
import { crossEntropy, softCrossEntropy } from '../train/losses.ts';
import { Rng } from '../util/random.ts';

/**
 * 'authors' (ops/loss_landscapes.py normalize_filter): d · ‖w‖/(‖d‖ + 1e-7) with the norms taken by
 * torch.norm(·, dim=0, keepdim=True) on PyTorch layouts, i.e. across the output axis at every input
 * position. Kernels are stored transposed here (conv [kh, kw, in, out], dense [in, out], depthwise
 * [kh, kw, C, M] for PyTorch's [C*M, 1, kh, kw]), so PyTorch's dim 0 is our last axis, or our last two for a
 * depthwise filter; other tensors (the class token [1, 1, C]) have PyTorch's dim 0 as axis 0.
 * 'filter' (Li et al. 2018): each filter (one output unit: a column of a dense kernel, an output channel of a
 * conv, one (c, m) slice [kh, kw] of a depthwise filter) gets the norm of the weight's same filter.
 * 'tensor': each tensor gets the weight tensor's norm.
 * Which axes are which comes from the parameter's declared layout (ParamInfo.layout), never from its rank.
 */
export type DirectionNormalization = 'authors' | 'filter' | 'tensor';

type Declared = Pick<ParamInfo, 'layout' | 'shape'>;

/** The axes of our layout that make up PyTorch's dim 0 for a parameter (see DirectionNormalization 'authors'). */
export function pytorchDim0Axes(info: Declared): number[] {
  switch (info.layout) {
    case 'dense':
      return [1];
    case 'conv':
      return [3];
    case 'depthwise':
      return [2, 3];
    default:
      return [0]; // tokens and vectors as PyTorch keeps them; spatial [1, H, W, C] vs [1, C, H, W]: dim 0 is axis 0 in both
  }
}

/** The one axis of PyTorch's dim 0 where there is one (every layout but depthwise). */
export function pytorchDim0Axis(info: Declared): number {
  const axes = pytorchDim0Axes(info);
  if (axes.length !== 1) throw new Error(`pytorchDim0Axis: a ${info.layout} parameter's dim 0 spans axes [${axes}]; use pytorchDim0Axes`);
  return axes[0]!;
}

/** The axes that index filters (a filter is one value of them; its norm is taken over the other axes). */
export function filterAxes(info: Declared): number[] {
  switch (info.layout) {
    case 'dense':
      return [1];
    case 'conv':
      return [3];
    case 'depthwise':
      return [2, 3];
    default:
      return [info.shape.length - 1];
  }
}

/** Whether a parameter is left out of the directions (zero there). */
export function isIgnoredParam(info: ParamInfo): boolean {
  return info.layout === 'vector' || info.shape.length < 2 || info.role === 'bias' || info.role === 'norm' || info.role === 'position';
}

function checkAxes(axes: readonly number[], rank: number): void {
  if (axes.length === 0 || axes.some((a) => !(Number.isInteger(a) && a >= 0 && a < rank)) || new Set(axes).size !== axes.length)
    throw new Error(`normalizeDirection: axes [${axes}] are not distinct axes of a rank-${rank} tensor`);
}

/**
 * Rescales a random direction tensor to the weight's scale. 'authors': the norms across `axes` (PyTorch's
 * dim 0; default: the last axis, or `axis`). 'filter': every filter — one index of `filterAxes` (default: the
 * last axis) — gets the norm of the same slice of the weight. 'tensor': the whole tensor gets the weight's norm.
 */
export function normalizeDirection(
  direction: tf.Tensor,
  weight: tf.Tensor,
  mode: DirectionNormalization,
  opts: {
    /** 'authors': the axis that is PyTorch's dim 0 (default: the last). */ axis?: number;
    /** 'authors': the axes that are PyTorch's dim 0 (pytorchDim0Axes); wins over `axis`. */ axes?: readonly number[];
    /** 'filter': the axes indexing filters (filterAxes; default: the last). */ filterAxes?: readonly number[];
    eps?: number;
  } = {},
): tf.Tensor {
  if (direction.shape.join() !== weight.shape.join())
    throw new Error(`normalizeDirection: direction shape [${direction.shape}] differs from weight shape [${weight.shape}]`);
  return tf.tidy(() => {
    if (mode === 'authors') {
      const axes = opts.axes ?? [opts.axis ?? direction.rank - 1];
      if (opts.axes === undefined && opts.axis !== undefined && !(Number.isInteger(opts.axis) && opts.axis >= 0 && opts.axis < direction.rank))
        throw new Error(`normalizeDirection: axis ${opts.axis} is outside a rank-${direction.rank} tensor`);
      checkAxes(axes, direction.rank);
      const wNorm = tf.sqrt(tf.sum(tf.square(weight), [...axes], true));
      const dNorm = tf.sqrt(tf.sum(tf.square(direction), [...axes], true));
      return tf.mul(tf.div(wNorm, tf.add(dNorm, opts.eps ?? 1e-7)), direction);
    }
    const eps = opts.eps ?? 1e-10;
    if (mode === 'tensor' || direction.rank < 2) {
      const ratio = tf.div(tf.norm(weight), tf.add(tf.norm(direction), eps));
      return tf.mul(direction, ratio);
    }
    const keep = opts.filterAxes ?? [direction.rank - 1];
    checkAxes(keep, direction.rank);
    const axes = Array.from({ length: direction.rank }, (_, i) => i).filter((i) => !keep.includes(i));
    if (axes.length === 0) {
      // every element is its own filter: each gets the weight's magnitude
      return tf.mul(direction, tf.div(tf.abs(weight), tf.add(tf.abs(direction), eps)));
    }
    const wNorm = tf.sqrt(tf.sum(tf.square(weight), axes, true));
    const dNorm = tf.sqrt(tf.sum(tf.square(direction), axes, true));
    return tf.mul(direction, tf.div(wNorm, tf.add(dNorm, eps)));
  });
}

/** A random direction in parameter space, by parameter name (zeros for ignored parameters). */
export function randomDirection(
  model: Pick<Model, 'paramInfo' | 'params'>,
  rng: Rng,
  normalization: DirectionNormalization = 'filter',
): Map<string, tf.Tensor> {
  const out = new Map<string, tf.Tensor>();
  for (const info of model.paramInfo) {
    const weight = model.params.get(info.name)!;
    const size = info.shape.reduce((a, b) => a * b, 1);
    // Draw for every parameter, ignored or not, so adding a parameter kind to the ignore list does
    // not change the directions of the others.
    const values = new Float32Array(size);
    for (let i = 0; i < size; i++) values[i] = rng.normal();
    if (isIgnoredParam(info)) {
      out.set(info.name, tf.zeros(info.shape));
      continue;
    }
    out.set(info.name, tf.tidy(() => normalizeDirection(tf.tensor(values, info.shape), weight, normalization, { axes: pytorchDim0Axes(info), filterAxes: filterAxes(info) })));
  }
  return out;
}

export interface LandscapeBatch {
  x: tf.Tensor4D;
  /** Labels (the larger-weight label of a mixed image): accuracy, and the NLL when `targets` is absent. */
  y: Int32Array;
  /** Soft targets [B, K] (mixup/CutMix, smoothing applied): the NLL is taken against them when present. */
  targets?: tf.Tensor2D;
}

export interface LossLandscapeOptions {
  /** Points per axis (default 11; the paper uses 21). */
  resolution?: number;
  /** Grid range on both axes (default [-1, 1]). */
  range?: [number, number];
  seed?: number;
  /** Default 'filter'. */
  normalization?: DirectionNormalization;
  /** Coefficient of the authors' sum of unsquared parameter norms (default 0; they used 0.05). */
  l2?: number;
  labelSmoothing?: number;
  onPoint?: (done: number, total: number) => void;
  signal?: AbortSignal;
  /** Precomputed directions (tests); drawn from `seed` otherwise. */
  directions?: [Map<string, tf.Tensor>, Map<string, tf.Tensor>];
}

export interface LossLandscape {
  x: number[];
  y: number[];
  /** loss[j][i] at (x[i], y[j]) — rows along y, as a surface plot wants. */
  loss: number[][];
  nll: number[][];
  /** Top-1 accuracy, percent. */
  accuracy: number[][];
  images: number;
  /** Loss, NLL and accuracy at (0, 0). */
  centre: { loss: number; nll: number; accuracy: number };
}

function linspace(a: number, b: number, n: number): number[] {
  if (n === 1) return [(a + b) / 2];
  return Array.from({ length: n }, (_, i) => a + ((b - a) * i) / (n - 1));
}

/** Mean NLL, accuracy (percent) and the l2 term at one point of parameter space; one asynchronous read per batch. */
export async function evaluateAt(
  model: Model,
  batches: readonly LandscapeBatch[],
  params: ReadonlyMap<string, tf.Tensor>,
  opts: { l2?: number; labelSmoothing?: number } = {},
): Promise<{ loss: number; nll: number; accuracy: number }> {
  let nllSum = 0;
  let correct = 0;
  let count = 0;
  for (const b of batches) {
    // the NLL and the predicted classes in one tensor, one read (class indices are exact in float32)
    const out = tf.tidy(() => {
      const logits = model.forward(b.x, { training: false, params });
      const nll = b.targets ? softCrossEntropy(logits, b.targets) : crossEntropy(logits, tf.tensor1d(b.y, 'int32'), { labelSmoothing: opts.labelSmoothing ?? 0 });
      return tf.concat([tf.reshape(nll, [1]), tf.cast(tf.argMax(logits, -1), 'float32')]);
    });
    const n = b.y.length;
    let values: Float32Array;
    try {
      values = (await out.data()) as Float32Array;
    } finally {
      out.dispose();
    }
    nllSum += values[0]! * n;
    for (let i = 0; i < n; i++) if (values[i + 1] === b.y[i]) correct++;
    count += n;
  }
  if (count === 0) throw new Error('lossLandscape: no images to evaluate');
  let penalty = 0;
  if (opts.l2) {
    const t = tf.tidy(() => tf.addN([...params.values()].map((p) => tf.norm(p))));
    try {
      penalty = opts.l2 * (await t.data())[0]!;
    } finally {
      t.dispose();
    }
  }
  const nll = nllSum / count;
  return { loss: nll + penalty, nll, accuracy: (100 * correct) / count };
}

/** The grid's coordinates on each axis (`resolution` points spanning `range`). */
export function landscapeAxis(opts: Pick<LossLandscapeOptions, 'resolution' | 'range'> = {}): number[] {
  const resolution = opts.resolution ?? 11;
  const [lo, hi] = opts.range ?? [-1, 1];
  if (!Number.isInteger(resolution) || resolution < 1) throw new Error(`lossLandscape: option 'resolution' must be a positive integer, got ${resolution}`);
  if (!(hi > lo)) throw new Error(`lossLandscape: option 'range' must be [min, max] with max > min, got [${lo}, ${hi}]`);
  return linspace(lo, hi, resolution);
}

/** One row of the grid (y = ys[row], every x): a unit of work; its numbers depend only on the seed and the row. */
export interface LandscapeRow {
  row: number;
  loss: number[];
  nll: number[];
  accuracy: number[];
  /** Set on the row through (0, 0). */
  centre?: { loss: number; nll: number; accuracy: number };
}

/** The two directions of the surface, drawn from `seed` (the caller disposes them). */
export function landscapeDirections(model: Model, opts: Pick<LossLandscapeOptions, 'seed' | 'normalization'> = {}): [Map<string, tf.Tensor>, Map<string, tf.Tensor>] {
  const rng = new Rng(opts.seed ?? 0);
  return [randomDirection(model, rng, opts.normalization), randomDirection(model, rng, opts.normalization)];
}

/** Row `row` of the surface: loss, NLL and accuracy at (x[i], y[row]) for every i. */
export async function landscapeRow(
  model: Model,
  batches: readonly LandscapeBatch[],
  row: number,
  opts: LossLandscapeOptions & { onPoint?: (done: number, total: number) => void },
): Promise<LandscapeRow> {
  const xs = landscapeAxis(opts);
  const ys = xs;
  const ownDirections = !opts.directions;
  const [d1, d2] = opts.directions ?? landscapeDirections(model, opts);
  const out: LandscapeRow = { row, loss: [], nll: [], accuracy: [] };
  try {
    for (let i = 0; i < xs.length; i++) {
      opts.signal?.throwIfAborted();
      const a = xs[i]!;
      const b = ys[row]!;
      const params = new Map<string, tf.Tensor>();
      for (const info of model.paramInfo) {
        const w = model.params.get(info.name)!;
        params.set(info.name, tf.tidy(() => tf.add(w, tf.add(tf.mul(d1.get(info.name)!, a), tf.mul(d2.get(info.name)!, b)))));
      }
      try {
        const r = await evaluateAt(model, batches, params, opts);
        out.loss.push(r.loss);
        out.nll.push(r.nll);
        out.accuracy.push(r.accuracy);
        if (a === 0 && b === 0) out.centre = r;
      } finally {
        for (const t of params.values()) t.dispose();
      }
      opts.onPoint?.(row * xs.length + i + 1, xs.length * ys.length);
      // Let the event loop breathe (signals, progress output) between points.
      await new Promise((resolve) => setImmediate(resolve));
    }
  } finally {
    if (ownDirections) for (const t of [...d1.values(), ...d2.values()]) t.dispose();
  }
  return out;
}

/** The surface from its rows (in row order) and the centre (the grid's own (0, 0) when it has one). */
export function reduceLandscapeRows(rows: readonly LandscapeRow[], opts: Pick<LossLandscapeOptions, 'resolution' | 'range'>, images: number, centre?: LossLandscape['centre']): LossLandscape {
  const xs = landscapeAxis(opts);
  const c = rows.find((r) => r.centre)?.centre ?? centre;
  if (!c) throw new Error('reduceLandscapeRows: the grid has no (0, 0) and no centre was given');
  return { x: xs, y: [...xs], loss: rows.map((r) => r.loss), nll: rows.map((r) => r.nll), accuracy: rows.map((r) => r.accuracy), images, centre: c };
}

/** The loss surface over a (resolution x resolution) grid of w + a d1 + b d2: every row in turn, then the reduction. */
export async function lossLandscape(model: Model, batches: readonly LandscapeBatch[], opts: LossLandscapeOptions = {}): Promise<LossLandscape> {
  const xs = landscapeAxis(opts);
  const directions = opts.directions ?? landscapeDirections(model, opts);
  const rows: LandscapeRow[] = [];
  try {
    for (let j = 0; j < xs.length; j++) rows.push(await landscapeRow(model, batches, j, { ...opts, directions }));
  } finally {
    if (!opts.directions) for (const t of [...directions[0].values(), ...directions[1].values()]) t.dispose();
  }
  const images = batches.reduce((s, bt) => s + bt.y.length, 0);
  const hasCentre = rows.some((r) => r.centre);
  return reduceLandscapeRows(rows, opts, images, hasCentre ? undefined : await evaluateAt(model, batches, model.params as ReadonlyMap<string, tf.Tensor>, opts));
}

/**
 * The surface as the authors plot it: loss minus its minimum, points more than `clip` above the minimum
 * dropped (NaN; null in JSON). clip <= 0 keeps every point.
 */
export function clipLandscape(loss: readonly (readonly number[])[], clip: number): number[][] {
  const min = Math.min(...loss.flat().filter(Number.isFinite));
  return loss.map((row) => row.map((v) => {
    const z = v - min;
    return clip > 0 && !(z <= clip) ? Number.NaN : z;
  }));
}
