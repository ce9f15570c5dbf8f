// Parameter subsets for restricted Hessians: named groups (to compare the curvature of MSA vs Conv/MLP
// parameters) read from what every family declares where it creates a parameter (ParamInfo.block, .layout,
// .role; see src/models/model.ts), or a regular expression on the parameter names, which users keep as an
// option. A group never guesses from names: a new family's parameters land in the groups it declares.
import type { BlockKind, ParamInfo, ParamLayout } from '../models/model.ts';
import { BLOCK_KINDS, PARAM_LAYOUTS } from '../models/model.ts';
import { EXIT_USAGE, ExpectedError } from '../util/errors.ts';

/** A selection that cannot work (one line, exit status 2). */
const selectionError = (message: string): ExpectedError => new ExpectedError(message, { exitCode: EXIT_USAGE });

type Declared = Pick<ParamInfo, 'name' | 'role' | 'block' | 'layout' | 'blockIndex'>;

/** What each group selects; a block group leaves out the block's norms (the 'norm' group has them all). */
const blockGroup =
  (block: BlockKind) =>
  (p: Declared): boolean =>
    p.block === block && p.role !== 'norm';

export const PARAM_GROUPS = {
  all: () => true,
  /** Patch/position embeddings and the class token. */
  embedding: blockGroup('embedding'),
  /** Every self-attention parameter: q/k/v and output projections, relative position tables (an MSA block's norm excluded). */
  msa: blockGroup('msa'),
  /** Every channel-MLP (feed-forward) parameter. */
  mlp: blockGroup('mlp'),
  /** MLP-Mixer's token-mixing MLP. */
  'token-mlp': blockGroup('token-mlp'),
  /** Every parameter of convolution blocks (a CNN's stem, blocks and shortcuts; MobileViT's convolutions). */
  conv: blockGroup('conv'),
  /** Downsampling between stages (Swin's patch merging, PiT's pooling). */
  pool: blockGroup('pool'),
  /** The classifier. */
  head: blockGroup('head'),
  /** Normalisation scales and shifts (LayerNorm, BatchNorm), wherever they are. */
  norm: (p: Declared) => p.role === 'norm',
} as const satisfies Record<string, (p: Declared) => boolean>;

export type ParamGroup = keyof typeof PARAM_GROUPS;

export function isParamGroup(s: string): s is ParamGroup {
  return Object.prototype.hasOwnProperty.call(PARAM_GROUPS, s);
}

// the groups must cover every block kind a family can declare
for (const k of BLOCK_KINDS) if (!isParamGroup(k)) throw new Error(`internal: block kind '${k}' has no parameter group`);

const GROUP_HELP = `${Object.keys(PARAM_GROUPS).join(', ')}, layout:<${PARAM_LAYOUTS.join('|')}>, block:<i>`;

/**
 * Names selected by `spec`: a group name (all, embedding, msa, mlp, token-mlp, conv, pool, head, norm: by the
 * parameters' declarations), 'layout:<layout>' (every parameter of a declared layout, e.g. layout:depthwise),
 * 'block:<i>' (everything in the i-th residual or transformer block in forward order, across stages: the declared
 * ParamInfo.blockIndex), or a regular expression on the
 * names (anything else). Several specs may be joined with ','. Keeps model order. Throws when nothing matches.
 */
export function selectParamNames(paramInfo: readonly Declared[], spec: string = 'all', source = 'params'): string[] {
  const parts = spec.split(',').map((s) => s.trim()).filter((s) => s.length > 0);
  if (parts.length === 0) throw selectionError(`${source}: empty parameter selection; expected ${GROUP_HELP} or a regular expression`);
  const tests = parts.map((p): ((info: Declared) => boolean) => {
    if (isParamGroup(p)) return PARAM_GROUPS[p];
    const layout = /^layout:(.*)$/.exec(p);
    if (layout) {
      if (!(PARAM_LAYOUTS as readonly string[]).includes(layout[1]!))
        throw selectionError(`${source}: '${p}' names no layout; expected layout:<${PARAM_LAYOUTS.join('|')}>`);
      return (info) => info.layout === (layout[1] as ParamLayout);
    }
    const block = /^block:(\d+)$/.exec(p);
    if (block) {
      const index = Number(block[1]);
      const count = new Set(paramInfo.flatMap((info) => (info.blockIndex === undefined ? [] : [info.blockIndex]))).size;
      if (index >= count) {
        throw selectionError(`${source}: '${p}' names no block; this model has ${count === 0 ? 'no blocks' : `blocks 0 to ${count - 1}`} (block:<i> counts residual and transformer blocks in forward order, across stages)`);
      }
      return (info) => info.blockIndex === index;
    }
    let r: RegExp;
    try {
      r = new RegExp(p);
    } catch (err) {
      throw selectionError(`${source}: '${p}' is neither a group (${GROUP_HELP}) nor a valid regular expression: ${(err as Error).message}`);
    }
    return (info) => r.test(info.name);
  });
  const names = paramInfo.filter((p) => tests.some((t) => t(p))).map((p) => p.name);
  if (names.length === 0) {
    const sample = paramInfo.slice(0, 6).map((p) => p.name).join(', ');
    const declared = [...new Set(paramInfo.map((p) => p.block))].join(', ');
    throw selectionError(
      `${source}: '${spec}' matches no parameter (this model declares blocks ${declared}; found e.g. ${sample}${paramInfo.length > 6 ? ', ...' : ''}); expected ${GROUP_HELP} or a regular expression`,
    );
  }
  return names;
}

export function countParams(paramInfo: readonly ParamInfo[], names: readonly string[]): number {
  const set = new Set(names);
  return paramInfo.filter((p) => set.has(p.name)).reduce((a, p) => a + p.shape.reduce((x, y) => x * y, 1), 0);
}
