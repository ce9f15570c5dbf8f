// MLP-Mixer (Tolstikhin et al. 2021) as timm's MlpMixer builds it: a patch embedding (conv with kernel =
// stride = patch, computed as a matMul on patches), then blocks
//   x + TokenMLP(LN(x)^T)^T   (an MLP across the tokens, the same for every channel: the spatial mixing),
//   x + ChannelMLP(LN(x))     (an MLP across the channels, the same for every token),
// both MLPs Linear-GELU-Linear with hidden sizes floor(tokenMlpRatio * dim) and floor(channelMlpRatio * dim)
// (timm's mlp_ratio = (0.5, 4.0)), LayerNorm eps 1e-6, a final LayerNorm, the mean over tokens and a linear head.
// Initialisation as timm (Flax-like off): Linear xavier-uniform with biases normal(1e-6), the head zero, the
// stem conv lecun-normal with zero bias, LayerNorm (1, 0).
// The authors' models/mixer.py (how-do-vits-work, `mixer_ti`) computes the same function with other names:
// their patch Linear reads features in (row, column, channel) order, which is exactly this stem's kernel
// layout [p, p, 3, dim] (a timm conv weight [dim, 3, p, p] is the same numbers permuted); their token MLP is a
// Conv1d(kernel 1) over the token axis (weights [hidden, tokens, 1] = timm's Linear [hidden, tokens]); their
// LayerNorms use PyTorch's default eps 1e-5, not 1e-6. They released no Mixer checkpoint; vitscope follows
// timm's names and eps (what an importer meets).
// This file is the mixer family: configuration, checks, presets, cost and registration (src/models/registry.ts).
import { tf } from '../backend/tf.ts';
import { BaseModel, biasOf, convKernel, denseKernel, normal, truncNormal, uniform, zeros, tokensToMap, type Collector } from './base.ts';
import { fail, positiveInt, positiveNumber, rate } from './config-checks.ts';
import type { ModelConfig } from './model.ts';
import { dense, dropPath, dropout, gelu, norm, patchEmbed, type Ctx } from './ops.ts';
import { registerFamily, registerPreset, type Complexity } from './registry.ts';
import { torchName, type CheckpointSource } from './checkpoint-source.ts';
import { imagenetPretrainedCfg, INCEPTION_MEAN, INCEPTION_STD } from './pretrained-cfg.ts';

export interface MixerConfig extends ModelConfig {
  family: 'mixer';
  patchSize: number;
  dim: number;
  depth: number;
  /** Token-mixing MLP hidden size = floor(tokenMlpRatio * dim) (timm: 0.5). */
  tokenMlpRatio: number;
  /** Channel MLP hidden size = floor(channelMlpRatio * dim) (timm: 4). */
  channelMlpRatio: number;
  dropPathRate: number;
  dropRate: number;
}

const LN_EPS = 1e-6; // timm's MlpMixer uses LayerNorm(eps=1e-6)

/** timm's hidden sizes: int(ratio * dim). */
export function mixerHidden(c: Pick<MixerConfig, 'dim' | 'tokenMlpRatio' | 'channelMlpRatio'>): { tokens: number; channels: number } {
  return { tokens: Math.floor(c.tokenMlpRatio * c.dim), channels: Math.floor(c.channelMlpRatio * c.dim) };
}

/**
 * The token-mixing MLP on tokens [B, N, C]: fc2(GELU(fc1(x^T)))^T, i.e. every channel's N token values go
 * through the same MLP (fc1 kernel [N, hidden], fc2 kernel [hidden, N]).
 */
export function tokenMixing(ctx: Ctx, prefix: string, x: tf.Tensor, dropRate: number): tf.Tensor {
  const xt = tf.transpose(x, [0, 2, 1]); // [B, C, N]
  let h = dropout(ctx, gelu(dense(ctx, `${prefix}.fc1`, xt, true)), dropRate);
  h = dropout(ctx, dense(ctx, `${prefix}.fc2`, h, true), dropRate);
  return tf.transpose(h, [0, 2, 1]);
}

export class MlpMixer extends BaseModel {
  declare readonly config: MixerConfig;
  private readonly grid: number;

  constructor(config: MixerConfig, seed: number) {
    super(config, seed);
    const { patchSize: p, dim: d, depth, numClasses } = config;
    this.grid = config.imageSize / p;
    const n = this.grid * this.grid;
    const { tokens: ht, channels: hc } = mixerHidden(config);
    const xavier = (fanIn: number, fanOut: number) => uniform(Math.sqrt(6 / (fanIn + fanOut)));
    const mlpBias = normal(1e-6);
    const fanIn = p * p * 3;
    // lecun normal: truncated normal whose standard deviation (after truncation at 2 sigma) is sqrt(1 / fan_in)
    this.param('stem.proj.kernel', [p, p, 3, d], convKernel('embedding'), truncNormal(Math.sqrt(1 / fanIn) / 0.87962566103423978));
    this.param('stem.proj.bias', [d], biasOf('embedding'), zeros);
    for (let i = 0; i < depth; i++) {
      this.declareBlock(() => {
        const b = `blocks.${i}`;
        this.layerNormParams(`${b}.norm1`, d, 'token-mlp');
        this.param(`${b}.mlp_tokens.fc1.kernel`, [n, ht], denseKernel('token-mlp'), xavier(n, ht));
        this.param(`${b}.mlp_tokens.fc1.bias`, [ht], biasOf('token-mlp'), mlpBias);
        this.param(`${b}.mlp_tokens.fc2.kernel`, [ht, n], denseKernel('token-mlp'), xavier(ht, n));
        this.param(`${b}.mlp_tokens.fc2.bias`, [n], biasOf('token-mlp'), mlpBias);
        this.layerNormParams(`${b}.norm2`, d, 'mlp');
        this.param(`${b}.mlp_channels.fc1.kernel`, [d, hc], denseKernel('mlp'), xavier(d, hc));
        this.param(`${b}.mlp_channels.fc1.bias`, [hc], biasOf('mlp'), mlpBias);
        this.param(`${b}.mlp_channels.fc2.kernel`, [hc, d], denseKernel('mlp'), xavier(hc, d));
        this.param(`${b}.mlp_channels.fc2.bias`, [d], biasOf('mlp'), mlpBias);
      });
    }
    this.layerNormParams('norm', d, 'head');
    this.param('head.kernel', [d, numClasses], denseKernel('head'), zeros);
    this.param('head.bias', [numClasses], biasOf('head'), zeros);
  }

  protected run(x: tf.Tensor4D, ctx: Ctx, collect: Collector): tf.Tensor2D {
    const c = this.config;
    const g = this.grid;
    const b = x.shape[0];
    const emb = patchEmbed(x, ctx.p('stem.proj.kernel'), ctx.p('stem.proj.bias'), c.patchSize);
    let t: tf.Tensor = tf.reshape(emb, [b, g * g, c.dim]);
    collect?.('stem', 'embedding', emb);
    for (let i = 0; i < c.depth; i++) {
      const p = `blocks.${i}`;
      // timm's MlpMixer gives every block the same drop-path rate
      const mixed = tokenMixing(ctx, `${p}.mlp_tokens`, norm(ctx, `${p}.norm1`, t, LN_EPS), c.dropRate);
      t = tf.add(t, dropPath(ctx, mixed, c.dropPathRate));
      collect?.(`${p}.mlp_tokens`, 'token-mlp', tokensToMap(t, g, g));
      let m = dense(ctx, `${p}.mlp_channels.fc1`, norm(ctx, `${p}.norm2`, t, LN_EPS), true);
      m = dropout(ctx, gelu(m), c.dropRate);
      m = dropout(ctx, dense(ctx, `${p}.mlp_channels.fc2`, m, true), c.dropRate);
      t = tf.add(t, dropPath(ctx, m, c.dropPathRate));
      collect?.(`${p}.mlp_channels`, 'mlp', tokensToMap(t, g, g));
    }
    const pooled = tf.mean(norm(ctx, 'norm', t, LN_EPS), 1);
    return dense(ctx, 'head', pooled, true) as tf.Tensor2D;
  }
}

function validate(config: ModelConfig): MixerConfig {
  const size = config.imageSize;
  const patch = positiveInt(config, 'patchSize');
  if (size % patch !== 0) fail(config, 'patchSize', patch, `a divisor of imageSize ${size}`);
  const dim = positiveInt(config, 'dim');
  positiveInt(config, 'depth');
  const tr = positiveNumber(config, 'tokenMlpRatio');
  if (Math.floor(tr * dim) < 1) fail(config, 'tokenMlpRatio', tr, `a ratio giving a token-MLP hidden size floor(ratio * dim ${dim}) of at least 1`);
  const cr = positiveNumber(config, 'channelMlpRatio');
  if (Math.floor(cr * dim) < 1) fail(config, 'channelMlpRatio', cr, `a ratio giving a channel-MLP hidden size floor(ratio * dim ${dim}) of at least 1`);
  rate(config, 'dropPathRate');
  rate(config, 'dropRate');
  return config as MixerConfig;
}

/** Closed form per layer (independent of the class above, so tests can compare the two); see complexity.ts. */
function complexity(c: MixerConfig): Complexity {
  const d = c.dim;
  const n = (c.imageSize / c.patchSize) ** 2;
  const ht = Math.floor(c.tokenMlpRatio * d);
  const hc = Math.floor(c.channelMlpRatio * d);
  const pp3 = c.patchSize * c.patchSize * 3;
  const block = 2 * d + (n * ht + ht + ht * n + n) + 2 * d + (d * hc + hc + hc * d + d);
  const params = pp3 * d + d + c.depth * block + 2 * d + d * c.numClasses + c.numClasses;
  // token MLP: each of the d channels runs n -> ht -> n; channel MLP: each of the n tokens runs d -> hc -> d
  const macs = n * pp3 * d + c.depth * (d * 2 * n * ht + n * 2 * d * hc) + d * c.numClasses;
  return { params, macs };
}

/**
 * timm's MlpMixer state dicts (the same names in timm 0.4 to 1.0): vitscope's names with `.weight`/`.bias`; the importer
 * converts the declared layouts (stem conv OIHW -> [p, p, 3, dim], Linear [out, in] -> [in, out], the token MLP's too).
 */
const TIMM_MIXER: CheckpointSource<MixerConfig> = {
  id: 'timm-mixer',
  title: "timm's MlpMixer",
  recognises: (keys) => keys.has('stem.proj.weight') && keys.has('blocks.0.mlp_tokens.fc1.weight'),
  headKey: 'head.weight',
  key: (target) => torchName(target),
};

registerFamily<MixerConfig>({
  name: 'mixer',
  display: { color: '#ff7f0e', matches: /(^|[^a-z])mixer/ },
  validate,
  complexity,
  build: (config, seed) => new MlpMixer(config, seed),
  checkpoints: [TIMM_MIXER],
  refusedCheckpoints: [
    {
      title: "the authors' Mixer (how-do-vits-work models/mixer.py)",
      recognises: (keys) => keys.has('embedding.1.weight') && keys.has('mlps.1.net.0.weight'),
      reason:
        "vitscope's mixer is timm's MlpMixer (LayerNorm eps 1e-6); the authors' models/mixer.py uses eps 1e-5 and Conv1d token MLPs under other names, and no checkpoint of it was released. Export the weights to timm's MlpMixer names to import them",
    },
  ],
});

/** The authors' Mixer-Ti for CIFAR (how-do-vits-work models/mixer.py `mixer_ti`, patch 2); presets override some fields. */
const MIXER_TI: MixerConfig = {
  family: 'mixer',
  preset: 'mixer-ti',
  numClasses: 100,
  imageSize: 32,
  patchSize: 2,
  dim: 256,
  depth: 8,
  tokenMlpRatio: 0.5,
  channelMlpRatio: 4,
  dropPathRate: 0,
  dropRate: 0,
};

const preset = (name: string, description: string, o: Partial<MixerConfig> = {}): void => registerPreset({ ...MIXER_TI, ...o, preset: name }, description);

preset('mixer-ti', "Mixer-Ti for CIFAR (the authors' sizes): patch 2 (256 tokens), dim 256, depth 8, token MLP 128, channel MLP 1024");
// timm's mixer_b16_224 pretrained_cfg: mean = std = 0.5, bicubic, crop 0.875
registerPreset(
  { ...MIXER_TI, preset: 'mixer-b16-224', imageSize: 224, patchSize: 16, dim: 768, depth: 12 },
  "timm's mixer_b16_224: 224x224, patch 16 (196 tokens), dim 768, depth 12, token MLP 384, channel MLP 3072",
  { pretrained: imagenetPretrainedCfg(224, { mean: INCEPTION_MEAN, std: INCEPTION_STD, cropPct: 0.875 }) },
);
preset('mixer-cpu', 'CPU Mixer: patch 4 (64 tokens), dim 192, depth 6, token MLP 96, channel MLP 768', { patchSize: 4, dim: 192, depth: 6 });
