// Fourier analysis of feature maps (paper Fig. 2): Δ log amplitude of the high-frequency (π) component against
// normalised depth, MSA blocks shaded grey and pooling blue; and the relative log amplitude curves of every block,
// coloured by depth with a colour bar. MSAs reduce high-frequency amplitude (low-pass), Convs raise it.
import { slug, type BlockKind, type Figure, type PlotlyTrace } from './figure.ts';
import { checkArrays, checkLabel } from './check.ts';
import { depthFigure, type DepthSeries } from './depth.ts';
import { axis, baseLayout, DEPTH_COLORSCALE, piTicks, sampleColorscale } from './style.ts';

export type FourierDepthSeries = DepthSeries & { kinds: BlockKind[] };

export function fourierDepthFigure(series: FourierDepthSeries[], opts: { name?: string; title?: string } = {}): Figure {
  return depthFigure('fourierDepthFigure', series, {
    name: opts.name ?? 'fourier-depth',
    title: opts.title ?? 'High-frequency amplitude of feature maps',
    yTitle: 'Δ log amplitude at π (log units)',
  });
}

export interface RelativeLogAmplitude {
  label: string;
  /** One curve per block: its normalised depth, frequencies in units of π (0..1), Δ log amplitude vs frequency 0. */
  curves: { depth: number; frequency: number[]; value: number[] }[];
}

/** Frequencies in units of π; values above 1 are taken as radians and divided by π. */
export function toPiUnits(frequency: number[]): number[] {
  const max = Math.max(...frequency.filter(Number.isFinite));
  return max > 1 + 1e-6 ? frequency.map((f) => f / Math.PI) : frequency;
}

export function relativeLogAmplitudeFigure(model: RelativeLogAmplitude, opts: { name?: string; title?: string } = {}): Figure {
  const B = 'relativeLogAmplitudeFigure';
  if (typeof model !== 'object' || model === null) throw new Error(`${B}: expected { label, curves }, found ${model}`);
  const label = checkLabel(B, 0, model.label);
  if (!Array.isArray(model.curves) || model.curves.length === 0)
    throw new Error(`${B}: '${label}' field 'curves' is ${Array.isArray(model.curves) ? 'empty' : typeof model.curves}, expected an array of { depth, frequency, value }`);
  const depths = model.curves.map((c, i) => {
    if (typeof c.depth !== 'number') throw new Error(`${B}: '${label}' field 'curves[${i}].depth' is ${JSON.stringify(c.depth)}, expected a number`);
    checkArrays(B, `${label}' curve '${i}`, { frequency: c.frequency, value: c.value });
    return c.depth;
  });
  const dmin = Math.min(...depths), dmax = Math.max(...depths);
  const t = (d: number) => (dmax > dmin ? (d - dmin) / (dmax - dmin) : 0);
  let maxFreq = 0;
  const data: PlotlyTrace[] = model.curves.map((c, i) => {
    const f = toPiUnits(c.frequency);
    maxFreq = Math.max(maxFreq, ...f.filter(Number.isFinite));
    return {
      type: 'scatter', mode: 'lines', name: `depth ${c.depth.toFixed(2)}`, showlegend: false, x: f, y: c.value,
      line: { color: sampleColorscale(DEPTH_COLORSCALE, t(c.depth)), width: 2 },
      hovertemplate: `depth ${c.depth.toFixed(2)}<br>%{x:.2f}π<br>%{y:.3g}<extra></extra>`,
      _curve: i,
    };
  });
  // Invisible marker trace that carries the colour bar.
  const first = model.curves[0]!;
  data.push({
    type: 'scatter', mode: 'markers', name: 'depth', showlegend: false, hoverinfo: 'skip',
    x: [toPiUnits(first.frequency)[0] ?? 0], y: [first.value[0] ?? 0],
    marker: {
      size: 0.1, opacity: 0, color: [dmin, dmax], cmin: dmin, cmax: dmax > dmin ? dmax : dmin + 1, colorscale: DEPTH_COLORSCALE, showscale: true,
      colorbar: { title: { text: 'Normalized<br>depth', side: 'top' }, thickness: 16, len: 0.85, outlinewidth: 0 },
    },
  });
  for (const tr of data) delete tr._curve;
  const title = opts.title ?? `Relative log amplitude of Fourier-transformed feature maps — ${label}`;
  const ticks = piTicks(maxFreq > 0 ? maxFreq : 1);
  return {
    name: opts.name ?? `relative-log-amplitude-${slug(label)}`,
    title,
    data,
    layout: baseLayout(title, {
      xaxis: axis('Frequency (rad/pixel)', { ...ticks, range: [0, maxFreq > 0 ? maxFreq : 1] }),
      yaxis: axis('Δ log amplitude (vs. frequency 0)'),
      showlegend: false,
      margin: { l: 80, r: 30, t: 70, b: 70 },
    }),
  };
}
