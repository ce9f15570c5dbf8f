// Running a CLI command from a notebook and showing the figures it saved (the cli layer: it runs commands).
import * as path from 'node:path';
import type { Figure } from '../plots/figure.ts';
import { show, type HtmlDisplay } from '../plots/notebook.ts';
import { findRunDirs, readRunFigures } from '../plots/report.ts';
import { runCommand } from './registry.ts';

/** A CommandContext for notebooks: logs to the cell output; `abort()` stops long commands at the next step. */
export function notebookContext(): { log(m: string): void; signal: AbortSignal; abort(): void } {
  const controller = new AbortController();
  return { log: (m: string) => console.log(m), signal: controller.signal, abort: () => controller.abort() };
}

/**
 * Runs a vitscope command (as `npm run experiment <name>` would, options as in `--help`) writing to
 * <results>/<run>/, then shows every figure it saved (figures/*.json of the run and of nested sub-runs).
 */
export async function runAndShow(
  name: string,
  options: Record<string, string | number | boolean | string[] | undefined> & { results: string; run: string },
  display?: HtmlDisplay,
): Promise<{ runDir: string; figures: Figure[] }> {
  await runCommand(name, options, notebookContext());
  const runDir = path.resolve(options.results, options.run);
  const figures: Figure[] = [];
  for (const dir of await findRunDirs(runDir)) figures.push(...(await readRunFigures(dir)));
  if (figures.length === 0) console.log(`[vitscope] ${name} wrote no figures under ${runDir}`);
  show(figures, display);
  return { runDir, figures };
}
