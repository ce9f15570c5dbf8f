// Small stand-in models implementing the Model contract (src/models/model.ts), for Hessian tests
// that must not depend on the real model zoo: a conv + single-head attention + linear head, and a
// linear softmax classifier whose Hessian is known in closed form.
import { tf } from '../../src/backend/tf.ts';
import type { FeatureMap, ForwardOptions, Model, ModelConfig, ParamInfo } from '../../src/models/model.ts';
import { Rng } from '../../src/util/random.ts';

/** The block a stand-in parameter belongs to, from its name (the stand-ins mimic the real families' names). */
function blockOf(name: string): ParamInfo['block'] {
  if (name.includes('.attn.')) return 'msa';
  if (name.includes('.mlp.')) return 'mlp';
  if (name.startsWith('head.')) return 'head';
  return 'conv';
}

abstract class StandIn implements Model {
  readonly paramInfo: ParamInfo[] = [];
  readonly params = new Map<string, tf.Variable>();
  readonly buffers = new Map<string, tf.Variable>();
  constructor(readonly config: ModelConfig, protected rng: Rng) {}
  protected add(name: string, shape: number[], std: number, role: ParamInfo['role'] = 'weight', block: ParamInfo['block'] = blockOf(name)): void {
    const n = shape.reduce((a, b) => a * b, 1);
    const data = Float32Array.from({ length: n }, () => this.rng.normal() * std);
    this.params.set(name, tf.variable(tf.tensor(data, shape), true, `${name}#${Math.random()}`));
    this.paramInfo.push({ name, shape, role, layout: shape.length === 1 ? 'vector' : shape.length === 4 ? 'conv' : 'dense', block });
  }
  protected p(name: string, opts: ForwardOptions): tf.Tensor {
    return opts.params?.get(name) ?? this.params.get(name)!;
  }
  abstract forward(x: tf.Tensor4D, opts: ForwardOptions): tf.Tensor2D;
  features(): FeatureMap[] {
    return [];
  }
  dispose(): void {
    for (const v of this.params.values()) v.dispose();
  }
}

/** 4x4x2 input → conv3x3(2→2)+tanh → 16 tokens → attention (qkv, softmax) + residual → mean → head(3). */
export class TinyNet extends StandIn {
  constructor(seed: number) {
    super({ family: 'vit', preset: 'tiny-standin', numClasses: 3, imageSize: 4 }, new Rng(seed));
    this.add('stem.conv.kernel', [3, 3, 2, 2], 0.5);
    this.add('stem.conv.bias', [2], 0.1, 'bias');
    this.add('blocks.0.attn.qkv.kernel', [2, 6], 0.7);
    this.add('blocks.0.mlp.fc1.kernel', [2, 2], 0.5);
    this.add('head.kernel', [2, 3], 0.8);
    this.add('head.bias', [3], 0.1, 'bias');
  }
  forward(x: tf.Tensor4D, opts: ForwardOptions): tf.Tensor2D {
    return tf.tidy(() => {
      const b = x.shape[0];
      const h = tf.tanh(tf.add(tf.conv2d(x, this.p('stem.conv.kernel', opts) as tf.Tensor4D, 1, 'same'), this.p('stem.conv.bias', opts)));
      const tokens = tf.reshape(h, [b, 16, 2]) as tf.Tensor3D;
      const qkv = tf.reshape(tf.matMul(tf.reshape(tokens, [b * 16, 2]), this.p('blocks.0.attn.qkv.kernel', opts) as tf.Tensor2D), [b, 16, 6]);
      const [q, k, v] = tf.split(qkv, 3, 2) as [tf.Tensor3D, tf.Tensor3D, tf.Tensor3D];
      const attn = tf.softmax(tf.mul(tf.matMul(q, k, false, true), 1 / Math.sqrt(2)));
      const mixed = tf.add(tokens, tf.matMul(attn, v));
      const mlp = tf.tanh(tf.matMul(tf.reshape(mixed, [b * 16, 2]), this.p('blocks.0.mlp.fc1.kernel', opts) as tf.Tensor2D));
      const pooled = tf.mean(tf.reshape(tf.add(tf.reshape(mixed, [b * 16, 2]), mlp), [b, 16, 2]), 1) as tf.Tensor2D;
      return tf.add(tf.matMul(pooled, this.p('head.kernel', opts) as tf.Tensor2D), this.p('head.bias', opts)) as tf.Tensor2D;
    });
  }
}

/** logits = flatten(x) W + b. */
export class LinearSoftmax extends StandIn {
  constructor(readonly inputs: number, classes: number, seed: number) {
    super({ family: 'vit', preset: 'linear-standin', numClasses: classes, imageSize: 2 }, new Rng(seed));
    this.add('head.kernel', [inputs, classes], 0.5);
    this.add('head.bias', [classes], 0.2, 'bias');
  }
  forward(x: tf.Tensor4D, opts: ForwardOptions): tf.Tensor2D {
    return tf.tidy(() => {
      const flat = tf.reshape(x, [x.shape[0], this.inputs]) as tf.Tensor2D;
      return tf.add(tf.matMul(flat, this.p('head.kernel', opts) as tf.Tensor2D), this.p('head.bias', opts)) as tf.Tensor2D;
    });
  }
}

export function randomBatch(rng: Rng, b: number, hw: number, c: number, classes: number): { x: tf.Tensor4D; y: tf.Tensor1D } {
  const x = tf.tensor4d(Float32Array.from({ length: b * hw * hw * c }, () => rng.normal()), [b, hw, hw, c]);
  const y = tf.tensor1d(Int32Array.from({ length: b }, () => rng.int(classes)), 'int32');
  return { x, y };
}
