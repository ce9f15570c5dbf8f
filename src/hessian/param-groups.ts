// Parameter subsets for restricted Hessians: named groups (to compare the curvature of MSA vs
// Conv/MLP parameters) or a regular expression on the parameter names of src/models.
// Naming in src/models: ViT 'blocks.<i>.attn.qkv.kernel', 'blocks.<i>.mlp.fc1.kernel', norms
// '<prefix>.gamma/beta'; ResNet 'layers.<s>.blocks.<j>.conv1.kernel', 'stem.conv.kernel', 'head.kernel'.
import type { ParamInfo } from '../models/model.ts';
import { selectParams } from '../models/flat-params.ts';

export const PARAM_GROUPS = {
  all: /.*/,
  /** Every self-attention parameter: qkv/proj kernels and biases, relative position tables. */
  msa: /(^|\.)(attn|attention|msa)\./,
  /** Every MLP (feed-forward) parameter of the transformer blocks. */
  mlp: /(^|\.)mlp\./,
  /** Every convolution kernel and bias (stem, blocks, shortcuts, patch embedding excluded). */
  conv: /(^|\.)(conv\d*|shortcut\.conv)\.(kernel|bias)$/,
  /** Normalisation scales and shifts (LayerNorm, BatchNorm). */
  norm: /\.(gamma|beta)$/,
  /** The classifier. */
  head: /^head\./,
  /** Patch/positional embeddings and the class token. */
  embedding: /^(patch_embed|pos_embed|cls_token)/,
} as const;

export type ParamGroup = keyof typeof PARAM_GROUPS;

export function isParamGroup(s: string): s is ParamGroup {
  return Object.prototype.hasOwnProperty.call(PARAM_GROUPS, s);
}

/**
 * Names selected by `spec`: a group name ('msa', 'mlp', 'conv', 'norm', 'head', 'embedding', 'all'),
 * 'block:<i>' (everything in the i-th transformer block / residual block), or a regular expression
 * (anything else). Several specs may be joined with ','. Keeps model order. Throws when nothing matches.
 */
export function selectParamNames(paramInfo: readonly ParamInfo[], spec: string = 'all', source = 'params'): string[] {
  const parts = spec.split(',').map((s) => s.trim()).filter((s) => s.length > 0);
  if (parts.length === 0) throw new Error(`${source}: empty parameter selection`);
  const regexes = parts.map((p) => {
    if (isParamGroup(p)) return PARAM_GROUPS[p];
    const block = /^block:(\d+)$/.exec(p);
    if (block) return new RegExp(`(^|\\.)blocks\\.${block[1]}\\.`);
    try {
      return new RegExp(p);
    } catch (err) {
      throw new Error(`${source}: '${p}' is neither a group (${Object.keys(PARAM_GROUPS).join(', ')}, block:<i>) nor a valid regular expression: ${(err as Error).message}`);
    }
  });
  const names = selectParams({ paramInfo }, (n) => regexes.some((r) => r.test(n)));
  if (names.length === 0) {
    const sample = paramInfo.slice(0, 6).map((p) => p.name).join(', ');
    throw new Error(`${source}: '${spec}' matches no parameter (found e.g. ${sample}${paramInfo.length > 6 ? ', ...' : ''})`);
  }
  return names;
}

export function countParams(paramInfo: readonly ParamInfo[], names: readonly string[]): number {
  const set = new Set(names);
  return paramInfo.filter((p) => set.has(p.name)).reduce((a, p) => a + p.shape.reduce((x, y) => x * y, 1), 0);
}
