// Turns the agreement rows the cross-check writes (VITSCOPE_CROSSCHECK_TABLE=FILE, JSON lines) into the
// README's markdown table: one row per quantity, one column per model.
//   VITSCOPE_CROSSCHECK_TABLE=/tmp/agreement.jsonl node --import tsx --test test/crosscheck/*.test.ts
//   node --import tsx test/crosscheck/agreement-table.ts /tmp/agreement.jsonl
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

if (process.argv[1] && import.meta.url.endsWith(process.argv[1].split('/').pop()!)) {
  const file = process.argv[2];
  if (!file) {
    console.error('usage: node --import tsx test/crosscheck/agreement-table.ts AGREEMENT.jsonl');
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
  console.log(agreementTable(rows));
}
