// Progress of an analysis that runs as units of work: units finished over time, one line per model, with the
// number each model has to reach. Numbers in (finish times), figure out; the results browser draws it live.
import type { Figure, PlotlyTrace } from './figure.ts';
import { checkLabel, checkSeriesList } from './check.ts';
import { axis, baseLayout, colorsFor } from './style.ts';

export interface UnitProgressSeries {
  label: string;
  /** Finish times of the units done so far (ms since 1970 or ISO strings), any order. */
  finishedAt: (number | string)[];
  /** Units the model has in the plan. */
  total: number;
}

export function unitProgressFigure(series: UnitProgressSeries[], opts: { name?: string; title?: string } = {}): Figure {
  const B = 'unitProgressFigure';
  checkSeriesList(B, series);
  const colors = colorsFor(series.map((s, i) => checkLabel(B, i, s.label)));
  const data: PlotlyTrace[] = [];
  series.forEach((s, i) => {
    if (!Array.isArray(s.finishedAt)) throw new Error(`${B}: series '${s.label}' field 'finishedAt' is ${typeof s.finishedAt}, expected an array of times`);
    if (!(Number.isInteger(s.total) && s.total >= 0)) throw new Error(`${B}: series '${s.label}' field 'total' is ${JSON.stringify(s.total)}, expected a count >= 0`);
    const times = s.finishedAt.map((t) => (typeof t === 'number' ? t : Date.parse(t))).filter(Number.isFinite).sort((a, b) => a - b);
    const x = times.map((t) => new Date(t).toISOString());
    data.push({
      type: 'scatter', mode: 'lines+markers', name: `${s.label} (${times.length} of ${s.total})`, x, y: times.map((_, k) => k + 1),
      line: { color: colors[i], width: 2.2, shape: 'hv' }, marker: { color: colors[i], size: 6 }, legendgroup: `s${i}`,
    });
    if (x.length > 0)
      data.push({ type: 'scatter', mode: 'lines', name: `${s.label} total`, showlegend: false, legendgroup: `s${i}`, x: [x[0], x[x.length - 1]], y: [s.total, s.total], line: { color: colors[i], width: 1, dash: 'dot' }, hoverinfo: 'skip' });
  });
  const title = opts.title ?? 'Units of work finished';
  return {
    name: opts.name ?? 'unit-progress',
    title,
    data,
    layout: baseLayout(title, { height: 420, xaxis: axis('Finished at', { type: 'date' }), yaxis: axis('Units finished', { rangemode: 'tozero' }) }),
  };
}
