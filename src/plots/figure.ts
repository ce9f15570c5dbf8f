// The figure spec every builder returns: plain JSON that plotly.js draws (`Plotly.newPlot(div, data, layout)`),
// so the same object goes to notebooks, HTML/SVG/PNG export and reports, and is saved as figures/<name>.json.
import type { BlockKind } from '../models/model.ts';

export type { BlockKind };

/** One plotly trace (scatter, surface, contour, ...): plain JSON, see https://plotly.com/javascript/reference/. */
export type PlotlyTrace = { type?: string; name?: string; [key: string]: unknown };

/** A plotly layout: plain JSON. `width`/`height` are the export size in CSS pixels. */
export type PlotlyLayout = { title?: unknown; width?: number; height?: number; [key: string]: unknown };

export interface Figure {
  /** File stem: figures/<name>.{json,html,svg,png}. Letters, digits, '.', '_' and '-'. */
  name: string;
  title: string;
  data: PlotlyTrace[];
  layout: PlotlyLayout;
}

/** Checks a value read from disk (figures/<name>.json) is a Figure; `source` names the file in errors. */
export function checkFigure(value: unknown, source: string): Figure {
  const fail = (field: string, found: unknown, expected: string): never => {
    const shown = found === undefined ? 'nothing' : JSON.stringify(found)?.slice(0, 80);
    throw new Error(`${source}: field '${field}' is ${shown}, expected ${expected}`);
  };
  if (typeof value !== 'object' || value === null || Array.isArray(value)) fail('(root)', value, 'a Figure object');
  const v = value as Record<string, unknown>;
  if (typeof v.name !== 'string' || !isFigureName(v.name)) fail('name', v.name, "a file stem of letters, digits, '.', '_' or '-'");
  if (typeof v.title !== 'string') fail('title', v.title, 'a string');
  if (!Array.isArray(v.data)) fail('data', v.data, 'an array of plotly traces');
  (v.data as unknown[]).forEach((t, i) => {
    if (typeof t !== 'object' || t === null || Array.isArray(t)) fail(`data[${i}]`, t, 'a plotly trace object');
  });
  if (typeof v.layout !== 'object' || v.layout === null || Array.isArray(v.layout)) fail('layout', v.layout, 'a plotly layout object');
  return v as unknown as Figure;
}

export function isFigureName(name: string): boolean {
  return /^[A-Za-z0-9._-]+$/.test(name) && name !== '.' && name !== '..';
}

/** Turns a label into a file-name-safe slug ('ViT-Ti (CIFAR)' -> 'vit-ti-cifar'). */
export function slug(label: string): string {
  const s = label.toLowerCase().replace(/[^a-z0-9._-]+/g, '-').replace(/^-+|-+$/g, '');
  return s === '' || s === '.' || s === '..' ? 'figure' : s;
}
