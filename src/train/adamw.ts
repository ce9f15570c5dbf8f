// AdamW (Loshchilov & Hutter) exactly as torch.optim.AdamW computes it:
//   p ← p · (1 − lr·wd)                      (decoupled weight decay, decayed parameters only)
//   m ← β1·m + (1 − β1)·g;  v ← β2·v + (1 − β2)·g²
//   p ← p − (lr / (1 − β1^t)) · m / (√v / √(1 − β2^t) + ε)
import { tf } from '../backend/tf.ts';
import { adamwUpdate, adamwUpdateComposite } from '../backend/fused-ops.ts';
import { slotName, type Optimizer, type OptimizerState } from './optimizer.ts';

export interface AdamWOptions {
  beta1?: number;
  beta2?: number;
  eps?: number;
  weightDecay?: number;
  /** Names of the parameters weight decay applies to (default: all). */
  decay?: ReadonlySet<string>;
  /** false: the composite form of the update (a dozen tensor ops per parameter) instead of the fused kernel (profiling). */
  fused?: boolean;
}

export class AdamW implements Optimizer {
  readonly name = 'adamw';
  private t = 0;
  private readonly m = new Map<string, tf.Variable>();
  private readonly v = new Map<string, tf.Variable>();
  readonly beta1: number;
  readonly beta2: number;
  readonly eps: number;
  readonly weightDecay: number;

  constructor(private readonly opts: AdamWOptions = {}) {
    this.beta1 = opts.beta1 ?? 0.9;
    this.beta2 = opts.beta2 ?? 0.999;
    this.eps = opts.eps ?? 1e-8;
    this.weightDecay = opts.weightDecay ?? 0;
  }

  get step(): number {
    return this.t;
  }

  private slot(map: Map<string, tf.Variable>, name: string, like: tf.Tensor): tf.Variable {
    let s = map.get(name);
    if (!s) {
      // tidy: the variable keeps its own reference to the zeros; the temporary tensor would otherwise stay alive
      s = tf.tidy(() => tf.variable(tf.zerosLike(like), false));
      map.set(name, s);
    }
    return s;
  }

  apply(params: ReadonlyMap<string, tf.Variable>, grads: ReadonlyMap<string, tf.Tensor>, lr: number): void {
    this.t++;
    const { beta1: b1, beta2: b2, eps } = this;
    const stepSize = lr / (1 - Math.pow(b1, this.t));
    const bc2Sqrt = Math.sqrt(1 - Math.pow(b2, this.t));
    for (const [name, p] of params) {
      const g = grads.get(name);
      if (!g) continue;
      const m = this.slot(this.m, name, p);
      const v = this.slot(this.v, name, p);
      const decay = this.weightDecay > 0 && (this.opts.decay ? this.opts.decay.has(name) : true) ? lr * this.weightDecay : 0;
      // One fused kernel per parameter on backends that have it; the same float32 arithmetic elsewhere.
      const update = this.opts.fused === false ? adamwUpdateComposite : adamwUpdate;
      tf.tidy(() => {
        const [pNew, mNew, vNew] = update(p, g, m, v, { beta1: b1, beta2: b2, eps, stepSize, bc2Sqrt, decay });
        p.assign(pNew);
        m.assign(mNew);
        v.assign(vNew);
      });
    }
  }

  state(): OptimizerState {
    const slots = new Map<string, tf.Tensor>();
    for (const [name, m] of this.m) slots.set(slotName(name, 'm'), m);
    for (const [name, v] of this.v) slots.set(slotName(name, 'v'), v);
    return { name: this.name, step: this.t, slots };
  }

  load(state: OptimizerState): void {
    if (state.name !== this.name) throw new Error(`optimizer state is for '${state.name}', expected '${this.name}'`);
    this.disposeSlots();
    for (const [key, t] of state.slots) {
      const i = key.lastIndexOf('#');
      const param = key.slice(0, i);
      const kind = key.slice(i + 1);
      const target = kind === 'm' ? this.m : kind === 'v' ? this.v : null;
      if (!target) throw new Error(`optimizer state: unknown AdamW slot '${key}' (expected <param>#m or <param>#v)`);
      target.set(param, tf.tidy(() => tf.variable(tf.clone(t), false)));
    }
    this.t = state.step;
  }

  private disposeSlots(): void {
    for (const s of this.m.values()) s.dispose();
    for (const s of this.v.values()) s.dispose();
    this.m.clear();
    this.v.clear();
  }

  dispose(): void {
    this.disposeSlots();
  }
}
