// Shared by the Fourier and variance depth plots: a value per block against normalised depth, with MSA blocks
// shaded grey, pooling blocks blue and token-mixing MLPs amber (from the first series that has such blocks).
import type { BlockKind, Figure, PlotlyTrace } from './figure.ts';
import { checkArrays, checkLabel, checkSeriesList } from './check.ts';
import { axis, baseLayout, blockShade, colorsFor, logAxis, shadingLegend } from './style.ts';

/**
 * Shading as the authors draw it (fourier_analysis.ipynb, featuremap_variance.ipynb): block i (an MSA or a
 * pooling block) shades exactly the segment [depth[i − 1], depth[i]] that it produced; a first block shades nothing.
 */
export function segmentShapes(depth: readonly number[], kinds: readonly BlockKind[]): Record<string, unknown>[] {
  const shapes: Record<string, unknown>[] = [];
  const n = Math.min(depth.length, kinds.length);
  for (let i = 1; i < n; i++) {
    const fillcolor = blockShade(kinds[i]);
    if (fillcolor === undefined) continue;
    shapes.push({
      type: 'rect', xref: 'x', yref: 'paper', x0: depth[i - 1]!, x1: depth[i]!,
      y0: 0, y1: 1, fillcolor, line: { width: 0 }, layer: 'below',
    });
  }
  return shapes;
}

export interface DepthSeries {
  label: string;
  /** Normalised depth in [0, 1] of each block. */
  depth: number[];
  value: number[];
  /** The kind of each block (models/model.ts BlockKind). */
  kinds: BlockKind[];
}

export function depthFigure(
  builder: string,
  series: DepthSeries[],
  o: { name: string; title: string; yTitle: string; logY?: boolean },
): Figure {
  checkSeriesList(builder, series);
  const colors = colorsFor(series.map((s, i) => checkLabel(builder, i, s.label)));
  const data: PlotlyTrace[] = [];
  series.forEach((s, i) => {
    checkArrays(builder, s.label, { depth: s.depth, value: s.value });
    if (!Array.isArray(s.kinds) || s.kinds.length !== s.depth.length)
      throw new Error(`${builder}: series '${s.label}' field 'kinds' has ${Array.isArray(s.kinds) ? s.kinds.length + ' entries' : typeof s.kinds}, expected ${s.depth.length} block kinds (the length of 'depth')`);
    data.push({
      type: 'scatter', mode: 'lines+markers', name: s.label, x: s.depth, y: s.value,
      line: { color: colors[i], width: 2.2 }, marker: { color: colors[i], size: 7 },
      text: s.kinds, hovertemplate: '%{text} block<br>depth %{x:.2f}<br>%{y:.3g}<extra>' + s.label.replace(/[<>]/g, '') + '</extra>',
    });
  });
  const shaded = series.find((s) => s.kinds.some((k) => blockShade(k) !== undefined));
  const shapes = shaded ? segmentShapes(shaded.depth, shaded.kinds) : [];
  if (shaded) data.push(...shadingLegend(shaded.kinds));
  const shadingNote = shaded && series.length > 1 ? ` (shading: ${shaded.label})` : '';
  return {
    name: o.name,
    title: o.title,
    data,
    layout: baseLayout(o.title, {
      xaxis: axis('Normalized depth' + shadingNote, { range: [-0.04, 1.04] }),
      yaxis: axis(o.yTitle, o.logY ? logAxis(series.flatMap((s) => s.value)) : {}),
      shapes,
    }),
  };
}
