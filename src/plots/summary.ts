// The key numbers of a run next to the paper's, for the top of report.html: test accuracy (all.json), NEP/APE
// (hessian.json), Δ log amplitude at π by block kind (fourier.json), accuracy change under low- vs high-frequency
// noise (noise.json) and the feature-map variance range (variance.json), read from wherever they sit in the run.
import { existsSync, promises as fs } from 'node:fs';
import * as path from 'node:path';
import { familyOf } from './style.ts';

export interface SummaryRow {
  quantity: string;
  model: string;
  ours: string;
  paper: string;
}

/** The paper's numbers (≈, ../shared/reference/paper-methods.md) by family and quantity. */
const PAPER: Record<string, Record<string, string>> = {
  accuracy: { vit: '66.5 % (ViT-Ti, CIFAR-100)', resnet: '82.4 % (ResNet-50, CIFAR-100)', swin: '76.6 % (Swin-Ti)', alternet: '84.0 % (Alter-ResNet-50)' },
  hessian: { vit: 'positive ≈ 20–60, negative lobe ≈ −80…−20', resnet: 'positive ≈ 200–800+, almost no negatives' },
  fourier: { vit: 'Δ@π ≈ −1.8 … −2.7; MSA lowers it, MLP raises it', resnet: 'Δ@π rises with depth, ≈ −6.6 → −1.0' },
  noise: { vit: '−5.5 % at 0.1π, −4.8 % at 0.9π (ImageNet)', resnet: '−5.0 % at 0.1π, −15.4 % at 0.9π (ImageNet)' },
  variance: { vit: '0.015 … 0.093; MSAs lower it', resnet: 'peaks ≈ 0.45, 0.76, 0.84 at stage ends' },
};

type Json = Record<string, unknown>;
const num = (v: unknown): number | undefined => (typeof v === 'number' && Number.isFinite(v) ? v : undefined);
const arr = (v: unknown): unknown[] => (Array.isArray(v) ? v : []);
const obj = (v: unknown): Json => (typeof v === 'object' && v !== null && !Array.isArray(v) ? (v as Json) : {});
const paper = (quantity: string, model: string): string => PAPER[quantity]?.[familyOf(model) ?? ''] ?? '';

async function readJson(file: string): Promise<Json | null> {
  if (!existsSync(file)) return null;
  try {
    return obj(JSON.parse(await fs.readFile(file, 'utf8')));
  } catch {
    return null; // a half-written or foreign file: the summary leaves it out, the raw sections still list it
  }
}

/** <dir>/<name>.json, else <dir>/<name>/<name>.json (the `all` job's layout). */
async function analysisJson(dir: string, name: string): Promise<Json | null> {
  return (await readJson(path.join(dir, `${name}.json`))) ?? (await readJson(path.join(dir, name, `${name}.json`)));
}

function mean(xs: number[]): number {
  return xs.reduce((a, b) => a + b, 0) / xs.length;
}

/** Summary rows for a run directory (empty when it holds none of the files above). */
export async function runSummary(runDir: string): Promise<SummaryRow[]> {
  const rows: SummaryRow[] = [];
  const all = await readJson(path.join(runDir, 'all.json'));
  for (const [model, t] of Object.entries(obj(all?.training))) {
    const acc = num(obj(t).testAcc);
    if (acc !== undefined) rows.push({ quantity: 'test accuracy', model, ours: `${(acc * 100).toFixed(1)} %`, paper: paper('accuracy', model) });
  }
  for (const m of arr((await analysisJson(runDir, 'hessian'))?.models).map(obj)) {
    const s = obj(m.maxEigenvalueSpectrum);
    const nep = num(s.nep), ape = num(s.ape);
    if (nep !== undefined) rows.push({ quantity: 'Hessian NEP / APE', model: String(m.label), ours: `NEP ${(nep * 100).toFixed(1)} %, APE ${ape?.toPrecision(3) ?? 'n/a'}`, paper: paper('hessian', String(m.label)) });
  }
  for (const m of arr((await analysisJson(runDir, 'fourier'))?.models).map(obj)) {
    const blocks = arr(m.blocks).map(obj);
    const kinds = [...new Set(blocks.map((b) => String(b.kind)))];
    const byKind = kinds
      .map((k) => ({ k, v: blocks.filter((b) => b.kind === k).map((b) => num(b.deltaAtHighest)).filter((v): v is number => v !== undefined) }))
      .filter(({ v }) => v.length > 0)
      .map(({ k, v }) => `${k} ${mean(v).toFixed(2)}`);
    if (byKind.length) rows.push({ quantity: 'Δ log amplitude at π (mean by block kind)', model: String(m.label), ours: byKind.join(', '), paper: paper('fourier', String(m.label)) });
  }
  for (const m of arr((await analysisJson(runDir, 'noise'))?.models).map(obj)) {
    const f = arr(m.frequency).map(num), c = arr(m.accuracyChange).map(num);
    const lo = c[0], hi = c[c.length - 1];
    if (lo !== undefined && hi !== undefined)
      rows.push({ quantity: 'accuracy change under noise, lowest vs highest band', model: String(m.label), ours: `${lo.toFixed(1)} % at ${f[0]}π, ${hi.toFixed(1)} % at ${f[f.length - 1]}π`, paper: paper('noise', String(m.label)) });
  }
  for (const m of arr((await analysisJson(runDir, 'variance'))?.models).map(obj)) {
    const v = arr(m.blocks).map((b) => num(obj(b).variance)).filter((x): x is number => x !== undefined);
    if (v.length) rows.push({ quantity: 'feature-map variance (min … max over blocks)', model: String(m.label), ours: `${Math.min(...v).toPrecision(3)} … ${Math.max(...v).toPrecision(3)}`, paper: paper('variance', String(m.label)) });
  }
  return rows;
}
