// `npm run export -- results/<run> [--formats html,svg,png] [--no-report]`: re-renders every figure of a finished
// run (and of the sub-runs nested in it) from <dir>/figures/<name>.json, then writes <run>/report.html.
import * as path from 'node:path';
import { existsSync, statSync } from 'node:fs';
import { exportFigures, EXPORT_FORMATS, type ExportFormat } from '../plots/export.ts';
import { findRunDirs, readRunFigures, writeReport } from '../plots/report.ts';

const USAGE = `usage: npm run export -- <runDir> [--formats html,svg,png] [--no-report]
  Re-renders <runDir>/figures/*.json (and those of nested sub-runs) to HTML/SVG/PNG and writes <runDir>/report.html.`;

export interface ExportArgs { runDir: string; formats: ExportFormat[]; report: boolean }

export function parseExportArgs(argv: string[]): ExportArgs {
  let runDir: string | undefined;
  let formats: ExportFormat[] = [...EXPORT_FORMATS];
  let report = true;
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i]!;
    if (a === '--help' || a === '-h') throw Object.assign(new Error(USAGE), { usage: true });
    else if (a === '--no-report') report = false;
    else if (a === '--formats' || a.startsWith('--formats=')) {
      const v = a.includes('=') ? a.slice(a.indexOf('=') + 1) : argv[++i];
      if (!v) throw new Error(`export: option '--formats' needs a value, expected a comma list of ${EXPORT_FORMATS.join(', ')}`);
      formats = v.split(',').map((s) => s.trim()).filter(Boolean) as ExportFormat[];
      const bad = formats.find((f) => !EXPORT_FORMATS.includes(f));
      if (bad) throw new Error(`export: option '--formats' has '${bad}', expected a comma list of ${EXPORT_FORMATS.join(', ')}`);
    } else if (a.startsWith('-')) throw new Error(`export: unknown option '${a}'\n${USAGE}`);
    else if (runDir === undefined) runDir = a;
    else throw new Error(`export: unexpected argument '${a}' (the run directory is already '${runDir}')\n${USAGE}`);
  }
  if (runDir === undefined) throw new Error(`export: missing the run directory\n${USAGE}`);
  return { runDir, formats, report };
}

/** Re-exports every figure under runDir; returns the files written (figures, then the report). */
export async function exportRun(args: ExportArgs, log: (m: string) => void = (m) => console.error(m)): Promise<string[]> {
  const root = path.resolve(args.runDir);
  if (!existsSync(root) || !statSync(root).isDirectory()) throw new Error(`export: run directory '${args.runDir}' does not exist`);
  const written: string[] = [];
  let figures = 0;
  for (const dir of await findRunDirs(root)) {
    const figs = await readRunFigures(dir);
    if (figs.length === 0) continue;
    figures += figs.length;
    log(`[export] ${path.relative(process.cwd(), dir) || '.'}: ${figs.length} figure(s) -> ${args.formats.join(', ')}`);
    written.push(...(await exportFigures(figs, dir, { formats: args.formats })));
  }
  if (figures === 0) log(`[export] no figures/*.json under ${root}`);
  if (args.report) {
    const report = await writeReport(root);
    log(`[export] report: ${report}`);
    written.push(report);
  }
  return written;
}

const isMain = process.argv[1] !== undefined && path.resolve(process.argv[1]) === path.resolve(new URL(import.meta.url).pathname);
if (isMain) {
  try {
    await exportRun(parseExportArgs(process.argv.slice(2)));
  } catch (err) {
    const e = err as Error & { usage?: boolean };
    console.error(e.usage ? e.message : `error: ${e.message}`);
    process.exitCode = e.usage ? 0 : 1;
  }
}
