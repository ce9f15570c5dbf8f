// exportFigures: <outDir>/figures/<name>.json (the Figure spec, so figures can be re-rendered without recomputing:
// `npm run export -- results/<run>`), .html (self-contained), and .svg/.png through headless Chromium.
// Without Chromium, SVG/PNG are skipped with one warning and HTML (and JSON) are still written. Writes are atomic.
import * as path from 'node:path';
import { writeFileAtomic, writeJsonAtomic } from '../io/atomic.ts';
import { checkFigure, type Figure } from './figure.ts';
import { ChromiumRenderer } from './chromium.ts';
import { figurePage } from './html.ts';

export type ExportFormat = 'html' | 'svg' | 'png';
export const EXPORT_FORMATS: readonly ExportFormat[] = ['html', 'svg', 'png'];

export interface ExportOptions {
  formats?: ExportFormat[];
  /** PNG pixels per CSS pixel (default 2: crisp in reports). */
  scale?: number;
  /** Where warnings go (default console.warn). */
  warn?: (message: string) => void;
}

export function figuresDir(outDir: string): string {
  return path.join(outDir, 'figures');
}

/** Writes every figure's JSON spec and the requested formats; returns the paths written. */
export async function exportFigures(figures: Figure[], outDir: string, opts: ExportOptions = {}): Promise<string[]> {
  const formats = opts.formats ?? [...EXPORT_FORMATS];
  for (const f of formats)
    if (!EXPORT_FORMATS.includes(f)) throw new Error(`exportFigures: option 'formats' has ${JSON.stringify(f)}, expected one of ${EXPORT_FORMATS.join(', ')}`);
  const warn = opts.warn ?? ((m: string) => console.warn(m));
  const names = new Set<string>();
  figures.forEach((fig, i) => {
    checkFigure(fig, `exportFigures: figure ${i}`);
    if (names.has(fig.name)) throw new Error(`exportFigures: figure ${i} field 'name' is '${fig.name}', which another figure already uses; expected unique names`);
    names.add(fig.name);
  });
  const dir = figuresDir(outDir);
  const written: string[] = [];
  for (const fig of figures) {
    const json = path.join(dir, `${fig.name}.json`);
    await writeJsonAtomic(json, fig);
    written.push(json);
    if (formats.includes('html')) {
      const html = path.join(dir, `${fig.name}.html`);
      await writeFileAtomic(html, figurePage(fig));
      written.push(html);
    }
  }
  const images = formats.filter((f): f is 'svg' | 'png' => f === 'svg' || f === 'png');
  if (images.length === 0 || figures.length === 0) return written;
  const { renderer, reason } = await ChromiumRenderer.launch();
  if (!renderer) {
    warn(`[vitscope] WARNING: ${reason}. Skipping ${images.join('/')} export; the HTML figures in ${dir} are complete.`);
    return written;
  }
  try {
    for (const fig of figures) {
      for (const format of images) {
        const target = path.join(dir, `${fig.name}.${format}`);
        try {
          const out = format === 'svg' ? await renderer.render(fig, 'svg') : await renderer.render(fig, 'png', opts.scale ?? 2);
          await writeFileAtomic(target, out);
          written.push(target);
        } catch (err) {
          warn(`[vitscope] WARNING: rendering ${fig.name}.${format} failed: ${(err as Error).message.split('\n')[0]}`);
        }
      }
    }
  } finally {
    await renderer.close();
  }
  return written;
}
