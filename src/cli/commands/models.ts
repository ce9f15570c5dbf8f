// npm run experiment models [-- --num-classes 100 --json]
// A table of every model preset: family, parameter count and forward FLOPs per image, computed
// from the architecture (no model is built).
import type { Command } from '../command.ts';
import { complexity, getPreset, listPresets } from '../../models/index.ts';

export interface PresetRow {
  preset: string;
  family: string;
  params: number;
  gflops: number;
  description: string;
}

export function presetTable(numClasses: number): PresetRow[] {
  return listPresets().map((name) => {
    const p = getPreset(name, numClasses);
    const c = complexity(name, { numClasses });
    return { preset: name, family: p.family, params: c.params, gflops: (2 * c.macs) / 1e9, description: p.description };
  });
}

function formatCount(n: number): string {
  return n >= 1e6 ? `${(n / 1e6).toFixed(2)} M` : n >= 1e3 ? `${(n / 1e3).toFixed(1)} k` : String(n);
}

export function formatTable(rows: readonly PresetRow[]): string {
  const head = ['preset', 'family', 'params', 'exact params', 'GFLOPs/image', 'description'];
  const body = rows.map((r) => [r.preset, r.family, formatCount(r.params), String(r.params), r.gflops.toFixed(4), r.description]);
  const widths = head.map((h, i) => Math.max(h.length, ...body.map((b) => b[i]!.length)));
  const line = (cells: string[]) =>
    cells.map((c, i) => (i === 2 || i === 3 || i === 4 ? c.padStart(widths[i]!) : i === cells.length - 1 ? c : c.padEnd(widths[i]!))).join('  ');
  return [line(head), line(widths.map((w) => '-'.repeat(w))), ...body.map(line)].join('\n');
}

export const command: Command = {
  name: 'models',
  summary: 'list the model presets with parameter counts and FLOPs per image',
  options: [
    { name: 'num-classes', type: 'integer', help: 'classes of the head', default: 100 },
    { name: 'json', type: 'boolean', help: 'print JSON instead of a table', default: false },
  ],
  async run(opts) {
    const rows = presetTable(Number(opts['num-classes'] ?? 100));
    process.stdout.write((opts.json ? JSON.stringify(rows, null, 2) : formatTable(rows)) + '\n');
  },
};
