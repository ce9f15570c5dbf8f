// The README's benchmark tables from one `npm run bench` output (JSON lines), so that the tables are that run's
// numbers and nothing else:  node --import tsx bench/table.ts docs/bench-<date>.jsonl
import * as fs from 'node:fs';
import { median } from './timing.ts';

type Rec = Record<string, unknown>;

function read(file: string): Rec[] {
  // npm's own header lines ("> vitscope@… bench") when the output was saved from `npm run bench` without --silent
  const lines = fs.readFileSync(file, 'utf8').split('\n').filter((l) => l.trim().length > 0 && !l.startsWith('> '));
  return lines.map((l, i) => {
    try {
      return JSON.parse(l) as Rec;
    } catch {
      throw new Error(`${file}: line ${i + 1} is not JSON: '${l.slice(0, 80)}'`);
    }
  });
}

const num = (r: Rec, k: string): number | null => (typeof r[k] === 'number' ? (r[k] as number) : null);
const fmt = (x: number | null, digits = 1): string => (x === null ? '–' : x.toFixed(digits));

export function tables(recs: readonly Rec[]): string {
  const out: string[] = [];
  const steps = recs.filter((r) => r.bench === 'train_step' && !('error' in r) && !('skipped' in r));
  const keys = [...new Set(steps.filter((r) => r.backend !== 'torch').map((r) => `${r.model}@${r.batch}@${r.backend}`))];
  const threads = [...new Set(steps.filter((r) => r.backend === 'torch').map((r) => num(r, 'threads')!))].sort((a, b) => a - b);
  if (keys.length > 0) {
    out.push(`| training step | batch | backend | img/s (median) | % of peak | ${threads.map((t) => `PyTorch ${t} thread${t === 1 ? '' : 's'}`).join(' | ')} | ratio to the faster: median (min–max) |`);
    out.push(`|---|---|---|---|---|${threads.map(() => '---|').join('')}---|`);
    for (const key of keys) {
      const [model, batch, backend] = key.split('@');
      const mine = steps.filter((r) => r.model === model && String(r.batch) === batch && r.backend === backend);
      const summary = recs.find((r) => r.bench === 'train_step_summary' && r.model === model && String(r.batch) === batch && r.backend === backend);
      const torchCells = threads.map((t) => {
        const xs = steps.filter((r) => r.backend === 'torch' && r.model === model && String(r.batch) === batch && r.threads === t).map((r) => num(r, 'img_per_s')!);
        return xs.length > 0 ? fmt(median(xs)) : '–';
      });
      const ratios = mine.map((r) => num(r, 'ratio')).filter((x): x is number => x !== null);
      const ratio = summary ? num(summary, 'ratio') : ratios.length > 0 ? median(ratios) : null;
      const range = ratios.length > 1 ? ` (${fmt(Math.min(...ratios), 2)}–${fmt(Math.max(...ratios), 2)})` : '';
      const img = median(mine.map((r) => num(r, 'img_per_s')!));
      const pcts = mine.map((r) => num(r, 'pct_peak')).filter((x): x is number => x !== null);
      const pct = summary && num(summary, 'pct_peak') !== null ? num(summary, 'pct_peak') : pcts.length > 0 ? median(pcts) : null;
      out.push(`| ${model} | ${batch} | ${backend} | ${fmt(img)} | ${fmt(pct, 0)} | ${torchCells.join(' | ')} | ${ratio === null ? '–' : `**${fmt(ratio, 2)}**${range}`} |`);
    }
    out.push('');
  }
  const hvps = recs.filter((r) => r.bench === 'hvp' && r.backend !== 'torch' && !('error' in r));
  const hvpKeys = [...new Set(hvps.map((r) => `${r.model}@${r.batch}@${r.backend}`))];
  if (hvpKeys.length > 0) {
    out.push('| Hessian-vector product | batch | backend | value+gradient ms | product ms | ratio: median (min–max) | % of peak | PyTorch (PyHessian) product ms | its ratio | PyTorch product / ours |');
    out.push('|---|---|---|---|---|---|---|---|---|---|');
    for (const key of hvpKeys) {
      const [model, batch, backend] = key.split('@');
      const mine = hvps.filter((r) => r.model === model && String(r.batch) === batch && r.backend === backend);
      const ratios = mine.map((r) => num(r, 'ratio')!);
      const range = ratios.length > 1 ? ` (${fmt(Math.min(...ratios), 2)}–${fmt(Math.max(...ratios), 2)})` : '';
      const hvpMs = median(mine.map((r) => num(r, 'hvp_ms')!));
      const pcts = mine.map((r) => num(r, 'pct_peak')).filter((x): x is number => x !== null);
      const torchMs = num(mine[0]!, 'torch_hvp_ms');
      const faster = torchMs === null ? '–' : `**${fmt(torchMs / hvpMs, 2)}**`;
      out.push(`| ${model} | ${batch} | ${backend} | ${fmt(median(mine.map((r) => num(r, 'step_ms')!)))} | ${fmt(hvpMs)} | **${fmt(median(ratios), 2)}**${range} | ${pcts.length > 0 ? fmt(median(pcts), 0) : '–'} | ${fmt(torchMs, 0)} | ${fmt(num(mine[0]!, 'torch_ratio'), 2)} | ${faster} |`);
    }
    out.push('');
  }
  const peak = recs.find((r) => r.bench === 'peak');
  const gemms = recs.filter((r) => r.bench === 'sgemm' || r.bench === 'conv2d');
  if (gemms.length > 0) {
    if (peak) out.push(`Peak ${fmt(num(peak, 'gflops'), 0)} GFLOP/s.`, '');
    out.push('| kernel | shape | backend | implementation | GFLOP/s | % of peak |', '|---|---|---|---|---|---|');
    for (const g of gemms) out.push(`| ${g.bench} | ${g.shape} | ${g.backend} | ${g.impl ?? '–'} | ${fmt(num(g, 'gflops'), 0)} | ${fmt(num(g, 'pct_peak'), 0)} |`);
    out.push('');
  }
  return out.join('\n');
}

if (process.argv[1] && import.meta.url.endsWith(process.argv[1].split('/').pop()!)) {
  const file = process.argv[2];
  if (!file) {
    process.stderr.write('usage: node --import tsx bench/table.ts <bench output .jsonl>\n');
    process.exit(2);
  }
  process.stdout.write(tables(read(file)));
}
