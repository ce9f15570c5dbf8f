// Feature-map variance against normalised depth (paper Fig. 9): MSAs reduce variance, Convs and MLPs raise it.
// MSA blocks shaded grey, pooling blue, as in the Fourier depth plot.
import type { Figure } from './figure.ts';
import { depthFigure, type DepthSeries } from './depth.ts';

export type VarianceDepthSeries = DepthSeries;

/** Log y axis by default when every value is positive, linear otherwise. */
export function varianceDepthFigure(series: VarianceDepthSeries[], opts: { name?: string; title?: string; logY?: boolean } = {}): Figure {
  const allPositive = Array.isArray(series) && series.every((s) => Array.isArray(s?.value) && s.value.every((v) => v === null || v > 0));
  const logY = opts.logY ?? allPositive;
  return depthFigure('varianceDepthFigure', series, {
    name: opts.name ?? 'feature-map-variance',
    title: opts.title ?? 'Feature-map variance',
    yTitle: logY ? 'Feature-map variance (log scale)' : 'Feature-map variance',
    logY,
  });
}
