// Turns the agreement rows the cross-check writes (VITSCOPE_CROSSCHECK_TABLE=FILE, JSON lines) into the
// README's markdown tables: one row per quantity, one column per model (the PyTorch cross-check), or with
// --by-model one row per model and one column per quantity, and the parameter counts apart (the timm cross-check).
//   VITSCOPE_CROSSCHECK_TABLE=/tmp/agreement.jsonl node --import tsx --test test/crosscheck/*.test.ts
//   node --import tsx test/crosscheck/agreement-table.ts /tmp/agreement.jsonl [--by-model]
import { readFileSync } from 'node:fs';
import type { AgreementRow } from './helpers.ts';

export function agreementTable(rows: readonly AgreementRow[]): string {
  const models = [...new Set(rows.map((r) => r.model))].sort();
  const quantities = [...new Set(rows.map((r) => r.quantity))];
  const fmt = (v: number) => (v === 0 ? '0' : v.toExponential(1));
  const lines = [`| quantity | ${models.join(' | ')} | tolerance |`, `|---|${models.map(() => '---|').join('')}---|`];
  for (const q of quantities) {
    const cells = models.map((m) => {
      const r = rows.find((x) => x.model === m && x.quantity === q);
      return r ? fmt(r.measured) : '—';
    });
    const tol = rows.find((x) => x.quantity === q)!.tolerance;
    lines.push(`| ${q} | ${cells.join(' | ')} | ${tol < 0.01 ? tol.toExponential(0) : Number(tol.toPrecision(3))} |`);
  }
  return lines.join('\n');
}

const fmt = (v: number) => (v === 0 ? '0' : v.toExponential(1));
const fmtTolerance = (t: number) => (t < 0.01 ? t.toExponential(0) : String(Number(t.toPrecision(3))));
const COUNT = /^parameters \(timm ([\d,]+)\)$/;

/**
 * One row per model (in the order recorded), one column per quantity, the tolerances in the last row; rows whose
 * quantity is a parameter count ('parameters (timm N)', measured = |vitscope − timm|) form a second table.
 */
export function agreementTableByModel(rows: readonly AgreementRow[]): string {
  const counts = rows.filter((r) => COUNT.test(r.quantity));
  const rest = rows.filter((r) => !COUNT.test(r.quantity));
  const models = [...new Set(rest.map((r) => r.model))];
  const quantities = [...new Set(rest.map((r) => r.quantity))];
  const lines = [`| model | ${quantities.join(' | ')} |`, `|---|${quantities.map(() => '---|').join('')}`];
  for (const m of models) {
    const cells = quantities.map((q) => {
      const r = rest.find((x) => x.model === m && x.quantity === q);
      return r ? fmt(r.measured) : '—';
    });
    lines.push(`| ${m} | ${cells.join(' | ')} |`);
  }
  lines.push(`| tolerance | ${quantities.map((q) => fmtTolerance(rest.find((x) => x.quantity === q)!.tolerance)).join(' | ')} |`);
  if (counts.length > 0) {
    lines.push('', '| preset | parameters (vitscope) | timm |', '|---|---|---|');
    for (const r of counts) {
      const theirs = COUNT.exec(r.quantity)![1]!;
      const ours = r.measured === 0 ? theirs : `differs by ${r.measured}`;
      lines.push(`| ${r.model} | ${ours} | ${theirs} |`);
    }
  }
  return lines.join('\n');
}

if (process.argv[1] && import.meta.url.endsWith(process.argv[1].split('/').pop()!)) {
  const args = process.argv.slice(2);
  const byModel = args.includes('--by-model');
  const file = args.find((a) => !a.startsWith('--'));
  if (!file || args.some((a) => a.startsWith('--') && a !== '--by-model')) {
    console.error('usage: node --import tsx test/crosscheck/agreement-table.ts AGREEMENT.jsonl [--by-model]');
    process.exit(2);
  }
  const rows = readFileSync(file, 'utf8')
    .split('\n')
    .filter((l) => l.trim() !== '')
    .map((l, i) => {
      try {
        return JSON.parse(l) as AgreementRow;
      } catch {
        throw new Error(`${file}: line ${i + 1} is not JSON`);
      }
    });
  console.log(byModel ? agreementTableByModel(rows) : agreementTable(rows));
}
