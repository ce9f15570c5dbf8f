// The registry of source architectures, and the ones vitscope refuses with the reason.
import { ImportError } from '../import-error.ts';
import type { AnyModelConfig } from '../../families.ts';
import type { SourceArchitecture } from './types.ts';
import { timmViT } from './timm-vit.ts';
import { authorsResNet } from './authors-resnet.ts';
import { timmResNet } from './timm-resnet.ts';

export type { SourceArchitecture, Rule, Layout } from './types.ts';

export const SOURCE_ARCHITECTURES: readonly SourceArchitecture[] = [timmViT, authorsResNet, timmResNet];

/** Checkpoints recognised by their keys that cannot be imported, and why. */
const UNSUPPORTED: { title: string; recognises(keys: ReadonlySet<string>): boolean; reason: string }[] = [
  {
    title: "timm's SwinTransformer (the authors' Swin-Ti)",
    recognises: (keys) => [...keys].some((k) => k.endsWith('attn.relative_position_bias_table')) && keys.has('patch_embed.proj.weight'),
    reason:
      "vitscope's swin family follows current timm (patch merging at the start of stage i+1, relative-position bias by one-hot " +
      "lookup) and has not been cross-checked against timm's SwinTransformer; timm versions before 0.6, which the authors' " +
      'checkpoints come from, keep patch merging at the end of stage i under other keys, so a name map could misplace ' +
      'weights without any shape error. Swin checkpoints are refused rather than imported unverified',
  },
  {
    title: "the authors' own ViT (how-do-vits-work models/vit.py, lucidrains-style)",
    recognises: (keys) => keys.has('embedding.0.patch_embedding.1.weight'),
    reason:
      "its LayerNorms use PyTorch's default eps 1e-5 where vitscope's ViT uses timm's 1e-6, and its attention width is heads x 64; " +
      "the authors' released ViT-Ti checkpoint is timm's VisionTransformer instead, which imports",
  },
  {
    title: "the authors' AlterNet (how-do-vits-work models/alternet.py)",
    recognises: (keys) => [...keys].some((k) => /\.attn\.to_q\.weight$|\.to_kv\.weight$/.test(k)),
    reason:
      "its MSA blocks (1x1-conv q/kv projections, the authors' own relative position embedding) have no counterpart in " +
      "vitscope's alternet family's parameters, which are not mapped",
  },
];

/** Families vitscope has no name map into, and why. */
export function familyRefusal(config: AnyModelConfig): string | null {
  if (config.family === 'swin') return UNSUPPORTED[0]!.reason;
  if (config.family === 'alternet') return UNSUPPORTED[2]!.reason;
  return null;
}

/** The source architecture whose keys these are, or the reason they cannot be imported. */
export function detectSource(keys: ReadonlySet<string>): SourceArchitecture | { title: string; reason: string } | null {
  for (const a of SOURCE_ARCHITECTURES) if (a.recognises(keys)) return a;
  for (const u of UNSUPPORTED) if (u.recognises(keys)) return { title: u.title, reason: u.reason };
  return null;
}

export function sourceById(id: string): SourceArchitecture {
  const a = SOURCE_ARCHITECTURES.find((s) => s.id === id);
  if (!a) throw new ImportError(`unknown source architecture '${id}', expected one of ${SOURCE_ARCHITECTURES.map((s) => s.id).join(', ')}`);
  return a;
}
