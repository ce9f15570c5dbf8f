// Figure builders: structure of the specs (panels, axes, shading, legends), input checks, helpers. No browser.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  checkFigure, colorFor, colorsFor, fourierDepthFigure, keyNumbers, lossLandscapeFigure, maxEigenvalueSpectrumFigure,
  noiseRobustnessFigure, parseCsv, relativeLogAmplitudeFigure, show, showHtml, resetShow, spectralDensityFigure, dataSizeFigure,
  trainingCurvesFigure, varianceDepthFigure,
} from '../../src/plots/index.ts';
import { parseExportArgs } from '../../src/cli/export.ts';
import { kdeOfValues, sideKde } from '../../src/util/kde.ts';
import { sampleFigures, vitKinds } from './fixtures.ts';

test('every sample figure is a valid, JSON-serialisable Figure with a unique name and axis titles', () => {
  const figs = sampleFigures(3);
  assert.equal(new Set(figs.map((f) => f.name)).size, figs.length);
  for (const f of figs) {
    const back = checkFigure(JSON.parse(JSON.stringify(f)), f.name);
    assert.equal(back.name, f.name);
    const x = f.layout.xaxis as { title?: { text?: string } } | undefined;
    if (x) assert.ok((x.title?.text ?? '').length > 0, `${f.name}: x-axis title`);
  }
});

test('checkFigure names the file and field', () => {
  assert.throws(() => checkFigure({ name: 'a b', title: 't', data: [], layout: {} }, 'x.json'), /x\.json: field 'name'/);
  assert.throws(() => checkFigure({ name: 'a', title: 't', data: {}, layout: {} }, 'y.json'), /y\.json: field 'data'/);
});

test('max-eigenvalue spectrum: two panels, negative values only left, positive only right, NEP/APE in legend', () => {
  const eig = [-3, -2.5, -1, 2, 4, 5, 6, 8];
  const f = maxEigenvalueSpectrumFigure([{ label: 'ViT-Ti', kde: { negative: sideKde(eig, 'negative'), positive: sideKde(eig, 'positive') }, nep: 3 / 8, ape: 5 }]);
  const left = f.data.filter((t) => t.xaxis === 'x');
  const right = f.data.filter((t) => t.xaxis === 'x2');
  assert.equal(left.length, 1);
  assert.equal(right.length, 1);
  assert.ok((left[0]!.x as number[]).every((v) => v <= 0));
  assert.ok((right[0]!.x as number[]).every((v) => v >= 0));
  assert.match(String(right[0]!.name), /NEP 37\.50?%.*APE 5/);
  const dom1 = (f.layout.xaxis as { domain: number[] }).domain, dom2 = (f.layout.xaxis2 as { domain: number[] }).domain;
  assert.ok(dom1[1]! < dom2[0]!, 'panels do not overlap');
  // The two sides together integrate to ~1 (each side scaled by its share).
  const area = (t: typeof left[0]) => { const x = t!.x as number[], y = t!.y as number[]; let s = 0; for (let i = 1; i < x.length; i++) s += (x[i]! - x[i - 1]!) * (y[i]! + y[i - 1]!) / 2; return s; };
  const total = area(left[0]) + area(right[0]);
  assert.ok(total > 0.8 && total < 1.05, `density mass ${total}`);
});

test('KDE integrates to one and peaks near the data', () => {
  const vals = [1, 1.2, 0.9, 1.1, 5];
  const k = kdeOfValues(vals, { points: 400 });
  let s = 0;
  for (let i = 1; i < k.x.length; i++) s += (k.x[i]! - k.x[i - 1]!) * (k.density[i]! + k.density[i - 1]!) / 2;
  assert.ok(Math.abs(s - 1) < 0.02, `integral ${s}`);
  const peak = k.x[k.density.indexOf(Math.max(...k.density))]!;
  assert.ok(Math.abs(peak - 1.05) < 0.5, `peak at ${peak}`);
});

test('spectral density: log y axis, negative side of the grid kept, zeros dropped', () => {
  const grid = [-2, -1, 0, 1, 2];
  const f = spectralDensityFigure([{ label: 'ResNet-18', grid, density: [0.01, 0.2, 1, 0.2, 0] }]);
  assert.equal((f.layout.yaxis as { type: string }).type, 'log');
  const t = f.data.find((d) => d.name === 'ResNet-18')!;
  assert.deepEqual(t.x, grid);
  assert.equal((t.y as (number | null)[])[4], null);
  assert.equal((t.y as number[])[0], 0.01);
});

test('depth figures shade every MSA block grey and every pooling block blue', () => {
  const kinds = vitKinds(4);
  const depth = kinds.map((_, i) => i / (kinds.length - 1));
  const f = fourierDepthFigure([{ label: 'ViT', depth, value: depth.map((d) => -d), kinds }]);
  const shapes = f.layout.shapes as { fillcolor: string; x0: number; x1: number }[];
  assert.equal(shapes.length, kinds.filter((k) => k === 'msa').length);
  assert.ok(shapes.every((s) => s.fillcolor.startsWith('rgba(128')));
  const pk = ['conv', 'pool', 'conv', 'pool', 'conv'] as const;
  const g = varianceDepthFigure([{ label: 'ResNet', depth: [0, 0.25, 0.5, 0.75, 1], value: [1, 2, 3, 4, 5], kinds: [...pk] }]);
  const gs = g.layout.shapes as { fillcolor: string; x0: number; x1: number }[];
  assert.equal(gs.length, 2);
  assert.ok(gs.every((s) => s.fillcolor.startsWith('rgba(31') && s.x0 < s.x1));
  assert.equal((g.layout.yaxis as { type: string }).type, 'log');
  assert.ok(g.data.some((t) => t.name === 'Pooling'), 'legend explains the shading');
  assert.throws(() => varianceDepthFigure([{ label: 'R', depth: [0, 1], value: [1, 2], kinds: ['conv'] }]), /'kinds' has 1 entries, expected 2/);
});

test('relative log amplitude: one curve per block coloured by depth, a colour bar, π ticks', () => {
  const f = relativeLogAmplitudeFigure({ label: 'ViT', curves: [0, 0.5, 1].map((d) => ({ depth: d, frequency: [0, 0.5, 1], value: [0, -d, -2 * d] })) });
  const lines = f.data.filter((t) => t.mode === 'lines');
  assert.equal(lines.length, 3);
  assert.equal(new Set(lines.map((t) => (t.line as { color: string }).color)).size, 3);
  assert.ok(f.data.some((t) => (t.marker as { showscale?: boolean } | undefined)?.showscale === true));
  assert.ok(((f.layout.xaxis as { ticktext: string[] }).ticktext).includes('π'));
});

test('noise robustness: frequencies in radians are converted to π units; drops shown in percentage points', () => {
  const f = noiseRobustnessFigure([{ label: 'ResNet', frequency: [0, Math.PI / 2, Math.PI], accuracyDrop: [0.01, 0.1, 0.2] }]);
  const t = f.data.find((d) => d.name === 'ResNet')!;
  assert.deepEqual((t.x as number[]).map((v) => Math.round(v * 100) / 100), [0, 0.5, 1]);
  assert.deepEqual((t.y as number[]).map((v) => Math.round(v * 10) / 10), [1, 10, 20]);
  assert.throws(() => noiseRobustnessFigure([{ label: 'R', frequency: [0, 1], accuracyDrop: [0] }]), /'accuracyDrop' has 1 entries, expected 2/);
});

test('training curves and data size: panels, % axes, log x, checks', () => {
  const t = trainingCurvesFigure([{ label: 'ViT', epoch: [1, 2], trainLoss: [2, 1], testLoss: [2.5, 1.5], trainAcc: [0.1, 0.5], testAcc: [0.1, 0.4] }]);
  assert.equal(t.data.length, 4);
  assert.deepEqual(t.data.find((d) => d.yaxis === 'y2' && String(d.name).endsWith('test'))!.y, [10, 40]);
  assert.throws(() => trainingCurvesFigure([{ label: 'V', epoch: [1], trainLoss: [1, 2], testLoss: [1], trainAcc: [1], testAcc: [1] }]), /trainLoss/);
  const d = dataSizeFigure([{ label: 'ViT', fraction: [1, 0.1], trainNll: [1, 2], testError: [0.4, 0.8] }]);
  assert.equal((d.layout.xaxis as { type: string }).type, 'log');
  assert.deepEqual(d.data[0]!.x, [0.1, 1], 'sorted by fraction');
  assert.throws(() => dataSizeFigure([{ label: 'V', fraction: [0], trainNll: [1], testError: [1] }]), /fraction\[0\]/);
});

test('loss landscape: surface and contour of the same grid; z shape checked', () => {
  const f = lossLandscapeFigure({ label: 'ViT', x: [0, 1, 2], y: [0, 1], z: [[1, 2, 3], [2, 3, 4]] });
  assert.deepEqual(f.data.map((t) => t.type), ['surface', 'contour']);
  assert.throws(() => lossLandscapeFigure({ label: 'ViT', x: [0, 1, 2], y: [0, 1], z: [[1, 2, 3]] }), /'z' has 1 rows, expected 2/);
});

test('colours: fixed per family, distinct within a figure', () => {
  assert.equal(colorFor('ViT-Ti'), colorFor('vit-cpu'));
  assert.notEqual(colorFor('Swin-T'), colorFor('ResNet-50'));
  const c = colorsFor(['ViT-Ti', 'ViT-S', 'ResNet-18']);
  assert.equal(new Set(c).size, 3);
  assert.equal(c[0], colorFor('ViT-Ti'));
});

test('show: plotly bundle in the first output only, one div per figure', () => {
  resetShow();
  const outs: string[] = [];
  const [a, b] = sampleFigures(2);
  show([a!, b!], { html: (s) => outs.push(s) });
  assert.equal(outs.length, 2);
  assert.match(outs[0]!, /window\.Plotly\s*=\s*\w+/);
  assert.doesNotMatch(outs[1]!, /window\.Plotly\s*=\s*\w+/);
  assert.ok(outs.every((o) => o.includes('class="vitscope-figure"')));
  assert.ok(!showHtml(a!, { id: 'x' }).includes('</script></script>'));
  assert.ok(!showHtml({ ...a!, data: [{ type: 'scatter', name: '</script><b>' }] }, { id: 'y' }).includes('</script><b>'), 'figure JSON is escaped');
});

test('report helpers: CSV parsing, key numbers; export CLI arguments', () => {
  assert.deepEqual(parseCsv('a,b\n1,"x,""y"""\r\n2,3\n'), [['a', 'b'], ['1', 'x,"y"'], ['2', '3']]);
  const k = Object.fromEntries(keyNumbers({ acc: 0.5, model: { family: 'vit' }, curve: Array.from({ length: 20 }, (_, i) => i) }));
  assert.equal(k['acc'], 0.5);
  assert.equal(k['model.family'], 'vit');
  assert.equal(k['curve'], '[20 entries]');
  assert.deepEqual(parseExportArgs(['results/x', '--formats', 'html,png']), { runDir: 'results/x', formats: ['html', 'png'], report: true });
  assert.throws(() => parseExportArgs(['results/x', '--formats', 'gif']), /'--formats' has 'gif'/);
  assert.throws(() => parseExportArgs([]), /missing the run directory/);
});
