// Loss landscape (paper Fig. 1-like): the loss on a 2-D slice of parameter space (directions scaled to the weights),
// as a 3-D surface (left) and a contour map (right) of the same grid.
import type { Figure } from './figure.ts';
import { checkArrays, checkLabel } from './check.ts';
import { axis, baseLayout, FONT_SIZE, panelTitle } from './style.ts';

export interface LossSurface {
  label: string;
  /** Coordinates along the first direction (length nx). */
  x: number[];
  /** Coordinates along the second direction (length ny). */
  y: number[];
  /** Loss, z[j][i] at (x[i], y[j]): ny rows of nx values. */
  z: number[][];
}

export const LANDSCAPE_COLORSCALE = 'Viridis';

export function lossLandscapeFigure(surface: LossSurface, opts: { name?: string; title?: string; logZ?: boolean } = {}): Figure {
  const B = 'lossLandscapeFigure';
  if (typeof surface !== 'object' || surface === null) throw new Error(`${B}: expected { label, x, y, z }, found ${surface}`);
  const label = checkLabel(B, 0, surface.label);
  checkArrays(B, label, { x: surface.x });
  checkArrays(B, label, { y: surface.y });
  if (!Array.isArray(surface.z) || surface.z.length !== surface.y.length)
    throw new Error(`${B}: '${label}' field 'z' has ${Array.isArray(surface.z) ? surface.z.length + ' rows' : typeof surface.z}, expected ${surface.y.length} rows (the length of 'y')`);
  surface.z.forEach((row, j) => checkArrays(B, label, { x: surface.x, [`z[${j}]`]: row }));
  const all = surface.z.flat().filter((v) => v !== null && Number.isFinite(v));
  const logZ = opts.logZ ?? false;
  if (logZ && all.some((v) => v <= 0)) throw new Error(`${B}: '${label}' option 'logZ' needs positive losses, found ${Math.min(...all)}`);
  const z = logZ ? surface.z.map((r) => r.map((v) => (v === null ? null : Math.log10(v)))) : surface.z;
  const zTitle = logZ ? 'log₁₀ loss' : 'Loss (nats)';
  const title = opts.title ?? `Loss landscape — ${label}`;
  const LEFT: [number, number] = [0, 0.5];
  const RIGHT: [number, number] = [0.6, 0.9];
  const scene = {
    domain: { x: LEFT, y: [0.04, 0.92] },
    xaxis: { title: { text: 'Direction 1', font: { size: FONT_SIZE - 1 } }, tickfont: { size: FONT_SIZE - 4 }, gridcolor: '#ddd' },
    yaxis: { title: { text: 'Direction 2', font: { size: FONT_SIZE - 1 } }, tickfont: { size: FONT_SIZE - 4 }, gridcolor: '#ddd' },
    zaxis: { title: { text: zTitle, font: { size: FONT_SIZE - 1 } }, tickfont: { size: FONT_SIZE - 4 }, gridcolor: '#ddd' },
    camera: { eye: { x: 1.75, y: 1.75, z: 1.05 } },
    aspectmode: 'cube',
  };
  return {
    name: opts.name ?? 'loss-landscape',
    title,
    data: [
      { type: 'surface', name: label, x: surface.x, y: surface.y, z, colorscale: LANDSCAPE_COLORSCALE, showscale: false, scene: 'scene',
        contours: { z: { show: true, usecolormap: true, project: { z: true }, width: 1 } } },
      { type: 'contour', name: label, x: surface.x, y: surface.y, z, colorscale: LANDSCAPE_COLORSCALE, xaxis: 'x', yaxis: 'y',
        contours: { coloring: 'heatmap', showlabels: true, labelfont: { size: FONT_SIZE - 4, color: 'white' } }, ncontours: 20, line: { width: 0.8, color: 'rgba(255,255,255,0.6)' },
        colorbar: { title: { text: zTitle, side: 'right' }, x: 0.92, thickness: 16, len: 0.85 } },
    ],
    layout: baseLayout(title, {
      width: 1000,
      height: 520,
      scene,
      xaxis: axis('Direction 1', { domain: RIGHT, anchor: 'y' }),
      yaxis: axis('Direction 2', { anchor: 'x', scaleanchor: 'x', constrain: 'domain' }),
      showlegend: false,
      annotations: [panelTitle('Surface', LEFT[0], LEFT[1]), panelTitle('Contours', RIGHT[0], RIGHT[1])],
      margin: { l: 20, r: 30, t: 80, b: 70 },
    }),
  };
}
