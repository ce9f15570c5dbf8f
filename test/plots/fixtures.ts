// Synthetic inputs for every figure builder, computed from simple formulas (no recorded results).
import type { BlockKind } from '../../src/plots/figure.ts';
import {
  dataSizeFigure, fourierDepthFigure, lossLandscapeFigure, maxEigenvalueSpectrumFigure, noiseRobustnessFigure,
  relativeLogAmplitudeFigure, spectralDensityFigure, trainingCurvesFigure, varianceDepthFigure, type Figure,
} from '../../src/plots/index.ts';
import { Rng } from '../../src/util/random.ts';
import { sideKde } from '../../src/util/kde.ts';

const sides = (eig: number[]) => ({ negative: sideKde(eig, 'negative'), positive: sideKde(eig, 'positive') });

const range = <T,>(n: number, f: (i: number) => T): T[] => Array.from({ length: n }, (_, i) => f(i));

export function vitKinds(blocks: number): BlockKind[] {
  return ['embedding', ...range(blocks, () => 0).flatMap((): BlockKind[] => ['msa', 'mlp']), 'head'].slice(0, 2 * blocks + 1) as BlockKind[];
}
export function resnetKinds(stages: number, perStage: number): BlockKind[] {
  const k: BlockKind[] = ['conv'];
  for (let s = 0; s < stages; s++) {
    if (s > 0) k.push('pool');
    for (let b = 0; b < perStage; b++) k.push('conv');
  }
  return k;
}
const depthOf = (n: number) => range(n, (i) => i / (n - 1));

export function sampleFigures(seed = 1): Figure[] {
  const rng = new Rng(seed);
  const noise = () => rng.normal();
  const epochs = range(20, (i) => i + 1);
  const curve = (a: number, b: number) => epochs.map((e) => a + b * Math.exp(-e / 6));
  const vk = vitKinds(6), rk = resnetKinds(3, 3);
  const eigNeg = (n: number, frac: number) => range(n, (i) => (i < n * frac ? -Math.abs(noise()) * 2 : 10 + 4 * noise()));
  const vitEig = eigNeg(80, 0.3), resEig = eigNeg(80, 0.02);
  const grid = range(121, (i) => -20 + i * (120 / 120));
  const dens = (c: number, w: number) => grid.map((x) => Math.exp(-0.5 * ((x - c) / w) ** 2) / (w * 2.5066) + 1e-6 * Math.exp(-Math.abs(x) / 4));
  const freq = range(9, (i) => i / 8);
  return [
    trainingCurvesFigure([
      { label: 'ViT-Ti', epoch: epochs, trainLoss: curve(1.2, 3), testLoss: curve(1.8, 2.6), trainAcc: curve(0.7, -0.6), testAcc: curve(0.55, -0.5) },
      { label: 'ResNet-18', epoch: epochs, trainLoss: curve(0.6, 3.5), testLoss: curve(1.3, 3), trainAcc: curve(0.85, -0.8), testAcc: curve(0.65, -0.6) },
    ]),
    dataSizeFigure([
      { label: 'ViT-Ti', fraction: [0.1, 0.3, 0.5, 1], trainNll: [2.1, 1.7, 1.4, 1.1], testError: [0.8, 0.62, 0.55, 0.45] },
      { label: 'ResNet-18', fraction: [0.1, 0.3, 0.5, 1], trainNll: [0.4, 0.5, 0.55, 0.6], testError: [0.7, 0.5, 0.42, 0.34] },
    ]),
    spectralDensityFigure([
      { label: 'ViT-Ti', grid, density: dens(0, 2), lower: dens(0, 2).map((d) => d * 0.6), upper: dens(0, 2).map((d) => d * 1.4) },
      { label: 'ResNet-18', grid, density: dens(1, 1) },
    ]),
    maxEigenvalueSpectrumFigure([
      { label: 'ViT-Ti', kde: sides(vitEig), nep: vitEig.filter((v) => v < 0).length / vitEig.length, ape: mean(vitEig.filter((v) => v > 0)) },
      { label: 'ResNet-18', kde: sides(resEig), nep: resEig.filter((v) => v < 0).length / resEig.length, ape: mean(resEig.filter((v) => v > 0)) },
    ]),
    fourierDepthFigure([
      { label: 'ViT-Ti', depth: depthOf(vk.length), value: vk.map((k, i) => (k === 'msa' ? -0.5 : 0.3) - i * 0.05), kinds: vk },
      { label: 'ResNet-18', depth: depthOf(rk.length), value: rk.map((k, i) => (k === 'pool' ? -0.8 : 0.2) + i * 0.1), kinds: rk },
    ]),
    relativeLogAmplitudeFigure({
      label: 'ViT-Ti',
      curves: range(8, (b) => ({ depth: b / 7, frequency: freq, value: freq.map((f) => -f * (1 + b * 0.4)) })),
    }),
    noiseRobustnessFigure([
      { label: 'ViT-Ti', frequency: freq, accuracyDrop: freq.map((f) => 0.3 * Math.exp(-3 * f)), lower: freq.map((f) => 0.25 * Math.exp(-3 * f)), upper: freq.map((f) => 0.35 * Math.exp(-3 * f)) },
      { label: 'ResNet-18', frequency: freq, accuracyDrop: freq.map((f) => 0.05 + 0.3 * f) },
    ]),
    varianceDepthFigure([
      { label: 'ViT-Ti', depth: depthOf(vk.length), value: vk.map((k, i) => Math.exp(i * 0.3 + (k === 'msa' ? -0.8 : 0))), kinds: vk },
      { label: 'ResNet-18', depth: depthOf(rk.length), value: rk.map((k, i) => Math.exp(i * 0.2 - (k === 'pool' ? 1 : 0))), kinds: rk },
    ]),
    lossLandscapeFigure({
      label: 'ViT-Ti',
      x: range(21, (i) => -1 + i / 10),
      y: range(21, (i) => -1 + i / 10),
      z: range(21, (j) => range(21, (i) => { const x = -1 + i / 10, y = -1 + j / 10; return 1 + x * x + 2 * y * y + 0.3 * Math.sin(4 * x) * Math.cos(3 * y); })),
    }),
  ];
}

function mean(a: number[]): number {
  return a.length ? a.reduce((s, v) => s + v, 0) / a.length : 0;
}
