// What every model family shares: named parameters and buffers, seeded initialisation, the
// parameter-override resolution of ForwardOptions, and forward()/features() on top of one run().
import { tf } from '../backend/tf.ts';
import { Rng } from '../util/random.ts';
import type { BlockKind, FeatureMap, ForwardOptions, Model, ModelConfig, ParamDecl, ParamInfo, ParamLayout } from './model.ts';
import type { Ctx } from './ops.ts';

export type Init =
  | { kind: 'zeros' }
  | { kind: 'ones' }
  /** Normal truncated at +-2 standard deviations (resampled), as timm's trunc_normal_(std) intends. */
  | { kind: 'truncNormal'; std: number }
  | { kind: 'normal'; std: number }
  | { kind: 'uniform'; bound: number };

export const zeros: Init = { kind: 'zeros' };
export const ones: Init = { kind: 'ones' };
export const truncNormal = (std: number): Init => ({ kind: 'truncNormal', std });
export const normal = (std: number): Init => ({ kind: 'normal', std });
export const uniform = (bound: number): Init => ({ kind: 'uniform', bound });
/** torchvision's ResNet conv init: kaiming normal, fan_out, ReLU gain. */
export const kaimingFanOut = (k: number, cout: number): Init => normal(Math.sqrt(2 / (k * k * cout)));

/** Depth of withoutInitialisation calls: while > 0, parameters and buffers start as zeros (no sampling). */
let uninitialised = 0;

/**
 * Runs `build` with initialisation skipped: every parameter and buffer a BaseModel creates meanwhile is zero.
 * For models whose every value is assigned next (an imported checkpoint), where sampling would be wasted time.
 */
export function withoutInitialisation<T>(build: () => T): T {
  uninitialised++;
  try {
    return build();
  } finally {
    uninitialised--;
  }
}

function sample(init: Init, n: number, rng: Rng): Float32Array {
  const a = new Float32Array(n);
  if (uninitialised > 0) return a;
  switch (init.kind) {
    case 'zeros':
      break;
    case 'ones':
      a.fill(1);
      break;
    case 'normal':
      for (let i = 0; i < n; i++) a[i] = rng.normal() * init.std;
      break;
    case 'truncNormal':
      for (let i = 0; i < n; i++) {
        let z = rng.normal();
        while (z < -2 || z > 2) z = rng.normal();
        a[i] = z * init.std;
      }
      break;
    case 'uniform':
      for (let i = 0; i < n; i++) a[i] = (2 * rng.uniform() - 1) * init.bound;
      break;
  }
  return a;
}

// Declarations for `param` (see ParamDecl in model.ts): what the tensor is, its layout, the block it belongs to.
/** A Linear weight [in, out] of a block. */
export const denseKernel = (block: BlockKind): ParamDecl => ({ role: 'weight', layout: 'dense', block });
/** A convolution filter bank [kh, kw, in, out] of a block. */
export const convKernel = (block: BlockKind): ParamDecl => ({ role: 'weight', layout: 'conv', block });
/** A depthwise filter [kh, kw, C, multiplier] of a block. */
export const depthwiseKernel = (block: BlockKind): ParamDecl => ({ role: 'weight', layout: 'depthwise', block });
/** A bias (1-D) of a block. */
export const biasOf = (block: BlockKind): ParamDecl => ({ role: 'bias', layout: 'vector', block });
/** A normalisation scale or shift (1-D) of a block. */
export const normOf = (block: BlockKind): ParamDecl => ({ role: 'norm', layout: 'vector', block });
/** A class token ('embedding') or 1-D position embedding / bias table ('position'), kept in PyTorch's layout. */
export const tokensOf = (block: BlockKind, role: 'embedding' | 'position'): ParamDecl => ({ role, layout: 'tokens', block });
/** A 2-D position embedding [1, H, W, C] (PyTorch [1, C, H, W]). */
export const spatialOf = (block: BlockKind, role: 'embedding' | 'position' = 'position'): ParamDecl => ({ role, layout: 'spatial', block });

/** The rank each layout needs (null: any). */
const LAYOUT_RANK: Readonly<Record<ParamLayout, number | null>> = { dense: 2, conv: 4, depthwise: 4, tokens: null, spatial: 4, vector: 1 };

/** Collects the feature maps of features(); null during forward(). */
export type Collector = ((name: string, kind: BlockKind, t: tf.Tensor4D) => void) | null;

export abstract class BaseModel implements Model {
  readonly paramInfo: ParamInfo[] = [];
  readonly params = new Map<string, tf.Variable>();
  readonly buffers = new Map<string, tf.Variable>();
  private readonly initRng: Rng;
  private disposed = false;
  /** The block whose parameters are being declared (declareBlock), null outside; and how many blocks have begun. */
  private declaringBlock: number | null = null;
  private blockCount = 0;

  constructor(
    readonly config: ModelConfig,
    seed: number,
  ) {
    this.initRng = new Rng(seed);
  }

  /**
   * Registers a trainable parameter (in model order), declared as `decl` (its role, layout and block; see
   * denseKernel, convKernel, ... above), and initialises it from the model's seed.
   */
  protected param(name: string, shape: number[], decl: ParamDecl, init: Init): string {
    if (this.params.has(name)) throw new Error(`duplicate parameter name ${name}`);
    const rank = LAYOUT_RANK[decl.layout];
    if (rank !== null && shape.length !== rank)
      throw new Error(`parameter ${name}: declared layout '${decl.layout}' needs ${rank} dimensions, the shape is [${shape.join(', ')}]`);
    const n = shape.reduce((a, b) => a * b, 1);
    const t = tf.tensor(sample(init, n, this.initRng), shape, 'float32');
    const v = tf.variable(t, true, `${name}#${nextId()}`);
    t.dispose();
    this.params.set(name, v);
    this.paramInfo.push({
      name, shape: [...shape], role: decl.role, layout: decl.layout, block: decl.block,
      ...(this.declaringBlock !== null ? { blockIndex: this.declaringBlock } : {}),
    });
    return name;
  }

  /**
   * Declares one residual or transformer block: the parameters `declare` registers belong to the model's next block
   * (ParamInfo.blockIndex, in the order the blocks are declared, which is the forward order).
   */
  protected declareBlock(declare: () => void): void {
    if (this.declaringBlock !== null) throw new Error('declareBlock: blocks do not nest');
    this.declaringBlock = this.blockCount++;
    try {
      declare();
    } finally {
      this.declaringBlock = null;
    }
  }

  protected buffer(name: string, shape: number[], init: Init): string {
    if (this.buffers.has(name)) throw new Error(`duplicate buffer name ${name}`);
    const n = shape.reduce((a, b) => a * b, 1);
    const t = tf.tensor(sample(init, n, this.initRng), shape, 'float32');
    this.buffers.set(name, tf.variable(t, false, `${name}#${nextId()}`));
    t.dispose();
    return name;
  }

  /** BatchNorm parameters (gamma 1, beta 0) of a block and running statistics (mean 0, var 1). */
  protected batchNormParams(prefix: string, c: number, block: BlockKind): void {
    this.param(`${prefix}.gamma`, [c], normOf(block), ones);
    this.param(`${prefix}.beta`, [c], normOf(block), zeros);
    this.buffer(`${prefix}.running_mean`, [c], zeros);
    this.buffer(`${prefix}.running_var`, [c], ones);
  }

  /** LayerNorm parameters (gamma 1, beta 0) of a block. */
  protected layerNormParams(prefix: string, c: number, block: BlockKind): void {
    this.param(`${prefix}.gamma`, [c], normOf(block), ones);
    this.param(`${prefix}.beta`, [c], normOf(block), zeros);
  }

  /** The forward pass; calls collect(name, kind, map) after every block when collecting features. */
  protected abstract run(x: tf.Tensor4D, ctx: Ctx, collect: Collector): tf.Tensor2D;

  private makeCtx(opts: ForwardOptions): Ctx {
    if (this.disposed) throw new Error(`model ${this.config.preset} has been disposed`);
    const overrides = opts.params;
    if (overrides) {
      for (const [name, t] of overrides) {
        const v = this.params.get(name);
        if (!v) throw new Error(`ForwardOptions.params: unknown parameter '${name}' for model ${this.config.preset}`);
        if (t.shape.length !== v.shape.length || t.shape.some((d, i) => d !== v.shape[i]))
          throw new Error(`ForwardOptions.params: parameter '${name}' has shape [${t.shape}], expected [${v.shape}]`);
      }
    }
    const seed = opts.seed ?? Math.floor(Math.random() * 2 ** 32);
    return {
      training: opts.training,
      updateStats: opts.training && opts.updateStats === true,
      p: (name) => {
        const o = overrides?.get(name);
        if (o) return o;
        const v = this.params.get(name);
        if (!v) throw new Error(`internal: model ${this.config.preset} has no parameter ${name}`);
        return v;
      },
      buffer: (name) => {
        const b = this.buffers.get(name);
        if (!b) throw new Error(`internal: model ${this.config.preset} has no buffer ${name}`);
        return b;
      },
      rng: new Rng(seed),
    };
  }

  private checkInput(x: tf.Tensor): void {
    const s = this.config.imageSize;
    if (x.rank !== 4 || x.shape[1] !== s || x.shape[2] !== s || x.shape[3] !== 3)
      throw new Error(`model ${this.config.preset}: input has shape [${x.shape}], expected [batch, ${s}, ${s}, 3] (NHWC)`);
  }

  forward(x: tf.Tensor4D, opts: ForwardOptions): tf.Tensor2D {
    this.checkInput(x);
    const ctx = this.makeCtx(opts);
    return tf.tidy(() => this.run(x, ctx, null));
  }

  features(x: tf.Tensor4D, opts: ForwardOptions = { training: false }): FeatureMap[] {
    this.checkInput(x);
    const ctx = this.makeCtx(opts);
    const out: FeatureMap[] = [];
    tf.tidy(() => {
      this.run(x, ctx, (name, kind, t) => {
        out.push({ name, kind, tensor: tf.keep(t.clone()) });
      });
    });
    return out;
  }

  dispose(): void {
    if (this.disposed) return;
    this.disposed = true;
    for (const v of this.params.values()) v.dispose();
    for (const v of this.buffers.values()) v.dispose();
  }
}

let counter = 0;
function nextId(): number {
  return ++counter;
}

/** Tokens [B, N, C] of an h x w grid back to NHWC. */
export function tokensToMap(t: tf.Tensor, h: number, w: number): tf.Tensor4D {
  return tf.reshape(t, [t.shape[0]!, h, w, t.shape[2]!]);
}
