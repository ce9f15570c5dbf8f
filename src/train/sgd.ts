// SGD with momentum as torch.optim.SGD computes it (coupled weight decay, dampening 0):
//   g ← g + wd·p  (decayed parameters only);  b ← μ·b + g;  p ← p − lr·(nesterov ? g + μ·b : b)
import { tf } from '../backend/tf.ts';
import { slotName, type Optimizer, type OptimizerState } from './optimizer.ts';

export interface SgdOptions {
  momentum?: number;
  nesterov?: boolean;
  weightDecay?: number;
  /** Names of the parameters weight decay applies to (default: all). */
  decay?: ReadonlySet<string>;
}

export class Sgd implements Optimizer {
  readonly name = 'sgd';
  private t = 0;
  private readonly buf = new Map<string, tf.Variable>();
  readonly momentum: number;
  readonly nesterov: boolean;
  readonly weightDecay: number;

  constructor(private readonly opts: SgdOptions = {}) {
    this.momentum = opts.momentum ?? 0.9;
    this.nesterov = opts.nesterov ?? false;
    this.weightDecay = opts.weightDecay ?? 0;
    if (this.nesterov && this.momentum <= 0) throw new Error('SGD: nesterov needs momentum > 0');
  }

  get step(): number {
    return this.t;
  }

  apply(params: ReadonlyMap<string, tf.Variable>, grads: ReadonlyMap<string, tf.Tensor>, lr: number): void {
    this.t++;
    const mu = this.momentum;
    for (const [name, p] of params) {
      const g0 = grads.get(name);
      if (!g0) continue;
      const wd = this.weightDecay > 0 && (this.opts.decay ? this.opts.decay.has(name) : true) ? this.weightDecay : 0;
      tf.tidy(() => {
        const g = wd > 0 ? tf.add(g0, tf.mul(p, wd)) : g0;
        if (mu === 0) {
          p.assign(tf.sub(p, tf.mul(g, lr)));
          return;
        }
        let b = this.buf.get(name);
        if (!b) {
          b = tf.variable(tf.zerosLike(p), false);
          this.buf.set(name, b);
        }
        const bNew = tf.add(tf.mul(b, mu), g);
        const dir = this.nesterov ? tf.add(g, tf.mul(bNew, mu)) : bNew;
        p.assign(tf.sub(p, tf.mul(dir, lr)));
        b.assign(bNew);
      });
    }
  }

  state(): OptimizerState {
    const slots = new Map<string, tf.Tensor>();
    for (const [name, b] of this.buf) slots.set(slotName(name, 'momentum'), b);
    return { name: this.name, step: this.t, slots };
  }

  load(state: OptimizerState): void {
    if (state.name !== this.name) throw new Error(`optimizer state is for '${state.name}', expected '${this.name}'`);
    this.dispose();
    for (const [key, t] of state.slots) {
      const i = key.lastIndexOf('#');
      if (key.slice(i + 1) !== 'momentum') throw new Error(`optimizer state: unknown SGD slot '${key}' (expected <param>#momentum)`);
      // tidy: the variable keeps its own reference to the copy; the temporary tensor would otherwise stay alive
      this.buf.set(key.slice(0, i), tf.tidy(() => tf.variable(tf.clone(t), false)));
    }
    this.t = state.step;
  }

  dispose(): void {
    for (const b of this.buf.values()) b.dispose();
    this.buf.clear();
  }
}
