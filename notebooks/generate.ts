// Writes the tslab notebooks (notebooks/*.ipynb) from the cell lists below: `node --import tsx notebooks/generate.ts`.
// Each notebook imports the library with its types (`from 'vitscope'`, notebooks/node_modules/vitscope) and shows
// its steps as code a researcher can adapt: choose models, draw data, compute, plot, print the key numbers next
// to the paper's (docs: ../shared/reference/paper-methods.md). A switch at the top: PAPER (CIFAR-100 and the
// paper's presets, hours on a GPU) or the CPU presets (minutes); VITSCOPE_NOTEBOOK_SMALL=1 gives CI's tiny settings.
// tslab quirk: a shorthand property `{ x }` naming a variable of an earlier cell is not rewritten (ReferenceError):
// write `{ x: x }` or build such objects in the cell that declares x (as runOptions below).
import { writeFileSync } from 'node:fs';
import * as path from 'node:path';
import { fileURLToPath } from 'node:url';

type Cell = { md: string } | { code: string };
const here = path.dirname(fileURLToPath(import.meta.url));

const IMPORTS = `import { analysis, data, experiments, hessian, initBackend, models, plots, tf, train } from 'vitscope';`;

const SETTINGS = `// PAPER = true: CIFAR-100 and the paper's presets (hours, GPU). false: CPU presets on CIFAR-100 when it is in data/,
// else on the generated stand-in (minutes on 2 cores).
const PAPER = false;
// Tiny settings for CI (VITSCOPE_NOTEBOOK_SMALL=1): seconds, the numbers mean nothing.
const SMALL = !PAPER && process.env.VITSCOPE_NOTEBOOK_SMALL === '1';
// Where runs go (relative to this folder); 01-train writes <RESULTS>/train-<preset>/.
const RESULTS = process.env.VITSCOPE_NOTEBOOK_RESULTS ?? '../results/notebooks';
// Progress bars and log lines of long steps, shown in the cell's output (every experiment takes these).
const runOptions: experiments.RunOptions = { progress: plots.notebookProgress(), log: (m) => console.log(m) };
const progress = runOptions.progress!;
console.log(await initBackend({ quiet: true }));`;

const MODELS = `// 1. Models: the final checkpoints 01-train saved, or — when there are none (a fresh clone) — a short training run
//    here with the same recipe (configs/<preset>.json), saved where 01-train would put it.
const PRESETS = PAPER ? ['vit-ti', 'resnet-50'] : ['vit-cpu', 'resnet-20'];
const TINY = { epochs: 1, trainSize: 64, testSize: 32, stepsPerEpoch: 2, batchSize: 16, evalBatchSize: 32, warmupEpochs: 0 };
const trained: experiments.TrainedModel[] = [];
for (const preset of PRESETS) {
  const recipe = SMALL ? { ...TINY, model: preset } : { ...experiments.trainSettingsFromFile(\`../configs/\${preset}.json\`), model: preset };
  trained.push(await experiments.trainedModel(recipe, { results: RESULTS, run: \`train-\${preset}\` }, runOptions));
}`;

const TEST_IMAGES = (size: string) => `// 2. Data: a seeded, class-balanced subset of the test split, normalised as in training.
const cifar = await data.loadCifar({ progress: false, log: console.log });
const IMAGES = PAPER ? ${size} : SMALL ? 16 : ${size};
const testSet = data.toTensor(cifar.test, data.subsetIndices(cifar.test, { size: Math.min(IMAGES, cifar.test.count), seed: 0 }));
console.log(\`\${testSet.x.shape[0]} test images from \${cifar.source}\`);`;

const fmt = (s: string) => s.trim();

function nb(title: string, claim: string, cells: Cell[]): Cell[] {
  return [{ md: `# ${title}\n\n${claim}` }, { code: IMPORTS }, { code: SETTINGS }, ...cells];
}

const NOTEBOOKS: Record<string, Cell[]> = {
  '00-overview': nb(
    'vitscope — overview',
    fmt(`Reproduces *How Do Vision Transformers Work?* (Park & Kim, ICLR 2022) in TypeScript. Every notebook runs on its own,
in any order: those that need trained models use the checkpoints \`01-train\` saved, or train a short run themselves.

| notebook | the paper's claim |
|---|---|
| 01-train | ViTs fit CIFAR-100 worse than CNNs: accuracy ≈ ViT-Ti 66.5 %, ResNet-50 82.4 %; training NLL ≈ 2.52 vs 2.09 |
| 02-hessian-spectra | MSAs flatten the loss: ViT's positive Hessian eigenvalues ≈ 20–60, ResNet's 200–800+; ViT has negative ones |
| 03-fourier-analysis | MSAs are low-pass filters, Convs high-pass: ResNet's Δ log amplitude at π rises with depth (≈ −6.6 → −1.0), ViT's stays ≈ −1.8 … −2.7 |
| 04-noise-robustness | ViTs are robust to high-frequency noise (≈ −4.8 % at 0.9π vs ResNet −15.4 %) |
| 05-feature-map-variance | MSAs reduce feature-map variance (ViT 0.015–0.093), Convs and MLPs raise it (ResNet peaks ≈ 0.45–0.84) |
| 06-loss-landscape | the loss on a 2-D slice: ViT's centre NLL 2.49, ResNet-50's 2.19 |

This one needs nothing trained: it charts the model presets, then shows the figures the other notebooks saved so far.`),
    [
      {
        code: `// The presets: parameters and multiply-accumulates per image (complexity() counts them from the config, no weights built).
const rows = models.listPresets().map((preset) => ({ preset, ...models.complexity(preset) }));
console.table(rows.map((r) => ({ preset: r.preset, 'params (M)': +(r.params / 1e6).toFixed(2), 'GMACs / image': +(r.macs / 1e9).toFixed(3) })));`,
      },
      {
        code: `// One interactive chart of them: hover for the preset; colours by family as in every other figure.
const families = [...new Set(rows.map((r) => plots.familyOf(r.preset) ?? 'other'))];
const presetsFigure: plots.Figure = {
  name: 'presets',
  title: 'Model presets: parameters and compute',
  data: families.map((family) => {
    const mine = rows.filter((r) => (plots.familyOf(r.preset) ?? 'other') === family);
    return {
      type: 'scatter', mode: 'markers+text', name: family, text: mine.map((r) => r.preset), textposition: 'top center',
      x: mine.map((r) => r.params / 1e6), y: mine.map((r) => r.macs / 1e9), marker: { size: 10, color: plots.colorFor(mine[0]!.preset) },
    };
  }),
  layout: { xaxis: { title: { text: 'parameters (M)' }, type: 'log' }, yaxis: { title: { text: 'GMACs per image' }, type: 'log' }, width: 820, height: 520 },
};
plots.show(presetsFigure);`,
      },
      {
        code: `// Figures the other notebooks saved under RESULTS so far (none on a fresh clone), and one report page of all of them.
const saved = await plots.readAllFigures(RESULTS);
console.log(saved.length ? saved.map((f) => f.name).join(', ') : \`no figures under \${RESULTS} yet: run 01-train … 06-loss-landscape\`);
if (saved.length) {
  plots.show(saved);
  console.log(await plots.writeReport(RESULTS));
}`,
      },
    ],
  ),

  '01-train': nb(
    'Training',
    fmt(`Trains a ViT and a ResNet and shows their learning curves: per-step training loss (recorded here with \`onStep\`) and
per-epoch metrics. The paper (CIFAR-100, 300 epochs, its recipe in \`configs/vit-ti.json\`) reports accuracy ≈ ViT-Ti 66.5 %,
ResNet-50 82.4 % and training NLL ≈ 2.52 and 2.09: ViTs fit the data *worse*, they do not overfit it.
Our default is the CPU recipe of \`configs/<preset>.json\` (one short epoch on a subset; about a minute per model on 2 cores):
its numbers show the pipeline works, not the paper's accuracy. The checkpoints go to \`RESULTS/train-<preset>/\`, where
notebooks 02–06 look for them.`),
    [
      {
        code: `// 1. Recipes: configs/<preset>.json (the CLI's --config files), or CI's tiny one. Edit a field to try your own.
const PRESETS = PAPER ? ['vit-ti', 'resnet-50'] : ['vit-cpu', 'resnet-20'];
const TINY = { epochs: 1, trainSize: 64, testSize: 32, stepsPerEpoch: 2, batchSize: 16, evalBatchSize: 32, warmupEpochs: 0 };
const recipes = PRESETS.map((preset) => (SMALL ? { ...TINY, model: preset } : { ...experiments.trainSettingsFromFile(\`../configs/\${preset}.json\`), model: preset }));
console.table(recipes.map((r) => ({ model: r.model, epochs: r.epochs, 'train images': r.trainSize, batch: r.batchSize, optimizer: r.optimizer, lr: r.lr })));`,
      },
      {
        code: `// 2. Train (progress below; Interrupt the kernel to stop: the run saves an 'interrupted' checkpoint).
//    The result holds the per-epoch metrics and the loss of every step (also in the run's metrics.csv and steps.csv).
//    overwrite: true — running this cell again replaces this notebook's earlier runs (train-<preset>) on purpose.
const runs: { label: string; result: experiments.TrainExperimentResult }[] = [];
for (const recipe of recipes) {
  const result = await experiments.runTrainExperiment({ ...recipe, results: RESULTS, run: \`train-\${recipe.model}\`, overwrite: true }, runOptions);
  runs.push({ label: recipe.model, result });
  result.model.dispose();
}`,
      },
      {
        code: `// 3. Curves: training loss at every step (markers when there are few), and the per-epoch metrics.
plots.show(plots.stepLossFigure(runs.map((r) => ({ label: r.label, step: r.result.steps.map((s) => s.step), loss: r.result.steps.map((s) => s.loss) }))));
plots.show(plots.trainingCurvesFigure(runs.filter((r) => r.result.metrics.length > 0).map((r) => train.curvesFromMetrics(r.label, r.result.metrics))));`,
      },
      {
        code: `// 4. Key numbers next to the paper's (CIFAR-100, 300 epochs; ours: the recipe above).
const PAPER_ACC: Record<string, string> = { vit: '66.5 % (ViT-Ti)', resnet: '82.4 % (ResNet-50)' };
console.table(runs.map((r) => ({
  model: r.label,
  'test accuracy': r.result.summary ? \`\${(r.result.summary.testAcc * 100).toFixed(1)} %\` : 'n/a',
  'train NLL': r.result.summary?.trainNll.toFixed(3),
  'img/s': r.result.summary?.imagesPerSec.toFixed(1),
  'paper accuracy': PAPER_ACC[plots.familyOf(r.label) ?? ''] ?? '',
})));`,
      },
    ],
  ),

  '02-hessian-spectra': nb(
    'Hessian max-eigenvalue spectra',
    fmt(`The paper computes the top-5 Hessian eigenvalues (power iteration with deflation, tolerance 1e-3) of many mini-batches of 16
training images and pools them: **MSAs flatten the loss landscape** — ViT's positive eigenvalues sit near 20–60 while ResNet's
spread over 200–800+ — and ViT has a lobe of **negative** eigenvalues (non-convexity) that ResNet almost lacks.
Summaries: NEP (share of negative eigenvalues) and APE (mean positive eigenvalue). The paper used the end-of-warm-up
checkpoints of full CIFAR-100 runs; here the final checkpoints of the short runs (few batches: the spread is wide).`),
    [
      { code: MODELS },
      {
        code: `// 2. Data: mini-batches of 16 training images (no augmentation here; the CLI's --protocol paper adds it).
const cifar = await data.loadCifar({ progress: false, log: console.log });
const BATCHES = PAPER ? 312 : SMALL ? 2 : 8;
const chosen = data.subsetIndices(cifar.train, { size: Math.min(BATCHES * 16, cifar.train.count), seed: 0 });
const batches: hessian.HessianBatch[] = [];
for (let b = 0; b < BATCHES; b++) {
  const t = data.toTensor(cifar.train, chosen.subarray(b * 16, (b + 1) * 16));
  batches.push({ x: t.x, y: t.y });
}
console.log(\`\${batches.length} batches of 16 training images from \${cifar.source}\`);`,
      },
      {
        code: `// 3. Compute: top-k eigenvalues of each batch's Hessian (of the NLL), pooled; NEP and APE with their spread over groups.
const K = SMALL ? 1 : 5;
const spectra: { label: string; s: hessian.MaxEigenSpectrum }[] = [];
for (const { label, model } of trained) {
  const bar = progress({ label: \`\${label}: Hessian\`, total: batches.length, unit: 'batch/s' });
  const s = await hessian.maxEigenvalueSpectrum(model, batches, { k: K, tol: 1e-3, maxIter: SMALL ? 3 : 100, seed: 0, groups: Math.min(4, batches.length), onBatch: (b) => bar.update(b + 1) });
  bar.finish();
  spectra.push({ label, s });
}`,
      },
      {
        code: `// 4. Plot: the pooled eigenvalues, negative and positive sides with their own scales.
plots.show(plots.maxEigenvalueSpectrumFigure(spectra.map(({ label, s }) => ({ label, eigenvalues: s.eigenvalues, nep: s.nep, ape: s.ape }))));`,
      },
      {
        code: `// 5. Key numbers next to the paper's (≈, read off its figure).
const PAPER_HESSIAN: Record<string, string> = { vit: 'positive ≈ 20–60, negative lobe ≈ −80…−20', resnet: 'positive ≈ 200–800+, almost no negatives' };
console.table(spectra.map(({ label, s }) => ({
  model: label, eigenvalues: s.eigenvalues.length, 'NEP %': (s.nep * 100).toFixed(1), APE: s.ape.toFixed(2),
  'max λ': Math.max(...s.eigenvalues).toFixed(2), paper: PAPER_HESSIAN[plots.familyOf(label) ?? ''] ?? '',
})));
for (const b of batches) tf.dispose([b.x, b.y]);`,
      },
    ],
  ),

  '03-fourier-analysis': nb(
    'Fourier analysis of feature maps',
    fmt(`For the output of every block: log amplitude of the 2-D Fourier transform (centred, mean over images and channels), read along the
diagonal from frequency 0 outwards, minus its value at 0 — the **relative log amplitude**; its last point is "Δ log amplitude at π".
The paper: **MSAs are low-pass filters, Convs high-pass** — ResNet's Δ@π rises with depth (≈ −6.6 at the stem to ≈ −1.0),
ViT's stays between ≈ −1.8 and −2.7, MSA blocks lowering it and MLP blocks raising it (fourier_analysis.ipynb; ImageNet models there).`),
    [
      { code: MODELS },
      { code: TEST_IMAGES('1000') },
      {
        code: `// 3. Compute: feature maps of every block (models' features()), Fourier transform, relative log amplitude.
const results: { label: string; blocks: analysis.FourierBlock[] }[] = [];
for (const { label, model } of trained) {
  const bar = progress({ label: \`\${label}: Fourier\`, total: testSet.x.shape[0] });
  // sliceBatches yields batches of 100 images (each disposed once the next is taken)
  results.push({ label, blocks: await analysis.fourierByDepth(model, analysis.sliceBatches(testSet.x, 100), { onBatch: (done) => bar.update(done) }) });
  bar.finish();
}`,
      },
      {
        code: `// 4. Plot: Δ log amplitude at the highest frequency against depth (MSA blocks grey, pooling blue), and one model's curves.
plots.show(plots.fourierDepthFigure(results.map(({ label, blocks }) => ({ label, depth: blocks.map((b) => b.depth), value: blocks.map((b) => b.deltaAtHighest), kinds: blocks.map((b) => b.kind) }))));
for (const { label, blocks } of results)
  plots.show(plots.relativeLogAmplitudeFigure({ label, curves: blocks.filter((b) => b.relative.length > 0).map((b) => ({ depth: b.depth, frequency: b.plotFrequency, value: b.relative })) }, { name: \`relative-log-amplitude-\${label}\` }));`,
      },
      {
        code: `// 5. Key numbers: Δ@π at the first and last block, and its mean by block kind, next to the paper's.
const PAPER_FOURIER: Record<string, string> = { vit: '≈ −1.8 … −2.7 throughout; MSA lowers, MLP raises', resnet: '≈ −6.6 at the stem → ≈ −1.0 at the end' };
const byKind = (blocks: analysis.FourierBlock[]) =>
  [...new Set(blocks.map((b) => b.kind))]
    .map((kind) => { const v = blocks.filter((b) => b.kind === kind).map((b) => b.deltaAtHighest); return \`\${kind} \${(v.reduce((a, c) => a + c, 0) / v.length).toFixed(2)}\`; })
    .join(', ');
console.table(results.map(({ label, blocks }) => ({
  model: label, 'Δ@π first block': blocks[0]!.deltaAtHighest.toFixed(2), 'Δ@π last block': blocks.at(-1)!.deltaAtHighest.toFixed(2),
  'mean Δ@π by kind': byKind(blocks), paper: PAPER_FOURIER[plots.familyOf(label) ?? ''] ?? '',
})));`,
      },
    ],
  ),

  '04-noise-robustness': nb(
    'Robustness to frequency-band noise',
    fmt(`Noise restricted to one frequency band (an annulus around f, units of π) is added to the test images and the change of top-1
accuracy is measured, per band. The paper (ImageNet): **ViTs are robust to high-frequency noise, ResNets are not** —
ResNet −5.0 % at 0.1π down to −15.4 % at 0.9π, ViT −5.5 % at 0.1π but only −4.8 % at 0.9π. Our models are small and briefly
trained, so both lose less; compare the shapes of the curves.`),
    [
      { code: MODELS },
      { code: TEST_IMAGES('1000') },
      {
        code: `// 3. Compute: the same images and the same noise for both models; groups of images give the error bars.
const FREQUENCIES = SMALL ? [0.2, 0.8] : [0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.7, 0.8, 0.9];
const bar = progress({ label: 'noise bands', total: trained.length * (FREQUENCIES.length + 1), unit: 'step/s' });
let stepsDone = 0;
const noise = await analysis.noiseRobustness(trained.map(({ label, model }) => ({ label, model })), { x: testSet.x, y: Int32Array.from(testSet.y.dataSync()) },
  { frequencies: FREQUENCIES, groups: SMALL ? 2 : 5, batchSize: 100, seed: 0, onStep: () => bar.update(++stepsDone) });
bar.finish();`,
      },
      {
        code: `// 4. Plot: accuracy drop (clean − noisy, percentage points) per band, with the spread over image groups.
plots.show(plots.noiseRobustnessFigure(noise.map((r) => ({ label: r.label, frequency: r.frequency, accuracyDrop: r.accuracyChange.map((c) => -c / 100), lower: r.changeUpper.map((c) => -c / 100), upper: r.changeLower.map((c) => -c / 100) }))));`,
      },
      {
        code: `// 5. Key numbers: the change at the lowest and the highest band, next to the paper's (ImageNet).
const PAPER_NOISE: Record<string, string> = { vit: '−5.5 % at 0.1π, −4.8 % at 0.9π', resnet: '−5.0 % at 0.1π, −15.4 % at 0.9π' };
console.table(noise.map((r) => ({
  model: r.label, 'clean acc %': r.cleanAccuracy.toFixed(1),
  [\`change at \${r.frequency[0]}π\`]: r.accuracyChange[0]!.toFixed(2), [\`change at \${r.frequency.at(-1)}π\`]: r.accuracyChange.at(-1)!.toFixed(2),
  paper: PAPER_NOISE[plots.familyOf(r.label) ?? ''] ?? '',
})));`,
      },
    ],
  ),

  '05-feature-map-variance': nb(
    'Feature-map variance',
    fmt(`The variance of each block's output over its spatial positions (per channel, averaged over images and channels), against depth.
The paper (featuremap_variance.ipynb, one test batch of 256): **MSAs reduce variance, Convs and MLPs increase it** —
ResNet's variance climbs within each stage (peaks ≈ 0.45, 0.76, 0.84) and drops at subsampling; ViT's stays between
0.015 and 0.093, lowered by every MSA block.`),
    [
      { code: MODELS },
      { code: TEST_IMAGES('256') },
      {
        code: `// 3. Compute.
const variances: { label: string; blocks: analysis.VarianceBlock[] }[] = [];
for (const { label, model } of trained) {
  const bar = progress({ label: \`\${label}: variance\`, total: testSet.x.shape[0] });
  variances.push({ label, blocks: await analysis.varianceByDepth(model, analysis.sliceBatches(testSet.x, 64), { onBatch: (done) => bar.update(done) }) });
  bar.finish();
}`,
      },
      {
        code: `// 4. Plot: variance against normalised depth (MSA blocks grey, pooling blue).
plots.show(plots.varianceDepthFigure(variances.map(({ label, blocks }) => ({ label, depth: blocks.map((b) => b.depth), value: blocks.map((b) => b.variance), kinds: blocks.map((b) => b.kind) }))));`,
      },
      {
        code: `// 5. Key numbers: range of the variance, and the share of MSA blocks that lower it (vs the block before).
const PAPER_VARIANCE: Record<string, string> = { vit: '0.015 … 0.093; MSAs lower it', resnet: 'peaks ≈ 0.45, 0.76, 0.84 at stage ends' };
console.table(variances.map(({ label, blocks }) => {
  const msa = blocks.map((b, i) => ({ b, prev: blocks[i - 1] })).filter(({ b, prev }) => b.kind === 'msa' && prev);
  return {
    model: label, min: Math.min(...blocks.map((b) => b.variance)).toPrecision(3), max: Math.max(...blocks.map((b) => b.variance)).toPrecision(3),
    'MSA blocks lowering it': msa.length ? \`\${msa.filter(({ b, prev }) => b.variance < prev!.variance).length}/\${msa.length}\` : 'no MSA',
    paper: PAPER_VARIANCE[plots.familyOf(label) ?? ''] ?? '',
  };
}));`,
      },
    ],
  ),

  '06-loss-landscape': nb(
    'Loss landscape',
    fmt(`The loss on a 2-D slice through parameter space: the trained weights plus a·d₁ + b·d₂ for two random directions scaled to the
weights' norms ('filter' normalisation; the authors' own rule is \`normalization: 'authors'\`), a and b on a grid over [−1, 1].
The paper (losslandscape.ipynb, 21 × 21 points on augmented training data): centre NLL ≈ ViT-Ti 2.49 (accuracy 65.8 %),
ResNet-50 2.19 (72.4 %); ViT's landscape is flatter but non-convex near the centre. Here a coarser grid on a few batches.`),
    [
      { code: MODELS },
      {
        code: `// 2. Data: a few training batches (labels as integers), evaluated in eval mode.
const cifar = await data.loadCifar({ progress: false, log: console.log });
const N = PAPER ? 1024 : SMALL ? 16 : 256;
const t = data.toTensor(cifar.train, data.subsetIndices(cifar.train, { size: Math.min(N, cifar.train.count), seed: 0 }));
const labels = Int32Array.from(t.y.dataSync());
const landscapeBatches: analysis.LandscapeBatch[] = [{ x: t.x, y: labels }];
console.log(\`\${labels.length} training images from \${cifar.source}\`);`,
      },
      {
        code: `// 3. Compute: the loss at every grid point (progress per point).
const RESOLUTION = PAPER ? 21 : SMALL ? 3 : 9;
const surfaces: { label: string; l: analysis.LossLandscape }[] = [];
for (const { label, model } of trained) {
  const bar = progress({ label: \`\${label}: landscape\`, total: RESOLUTION * RESOLUTION, unit: 'point/s' });
  surfaces.push({ label, l: await analysis.lossLandscape(model, landscapeBatches, { resolution: RESOLUTION, seed: 0, onPoint: (done) => bar.update(done) }) });
  bar.finish();
}`,
      },
      {
        code: `// 4. Plot: one surface per model.
for (const { label, l } of surfaces) plots.show(plots.lossLandscapeFigure({ label, x: l.x, y: l.y, z: l.loss }, { name: \`loss-landscape-\${label}\` }));`,
      },
      {
        code: `// 5. Key numbers: the centre and the rise to the grid's edge, next to the paper's centre points.
const PAPER_LANDSCAPE: Record<string, string> = { vit: 'centre NLL 2.49, accuracy 65.8 % (ViT-Ti)', resnet: 'centre NLL 2.19, accuracy 72.4 % (ResNet-50)' };
console.table(surfaces.map(({ label, l }) => ({
  model: label, 'centre NLL': l.centre.nll.toFixed(3), 'centre acc %': l.centre.accuracy.toFixed(1),
  'max loss on the grid': Math.max(...l.loss.flat()).toFixed(3), paper: PAPER_LANDSCAPE[plots.familyOf(label) ?? ''] ?? '',
})));
tf.dispose([t.x, t.y]);`,
      },
    ],
  ),
};

function notebook(cells: Cell[]): object {
  return {
    cells: cells.map((c, i) =>
      'md' in c
        ? { cell_type: 'markdown', id: `cell-${i}`, metadata: {}, source: c.md }
        : { cell_type: 'code', id: `cell-${i}`, metadata: {}, execution_count: null, outputs: [], source: c.code },
    ),
    metadata: {
      kernelspec: { name: 'tslab', display_name: 'TypeScript', language: 'typescript' },
      language_info: { name: 'typescript', file_extension: '.ts', mimetype: 'text/typescript', codemirror_mode: { mode: 'typescript', name: 'javascript', typescript: true } },
    },
    nbformat: 4,
    nbformat_minor: 5,
  };
}

export const NOTEBOOK_NAMES = Object.keys(NOTEBOOKS).sort();

if (process.argv[1] && path.resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  for (const [name, cells] of Object.entries(NOTEBOOKS)) {
    writeFileSync(path.join(here, `${name}.ipynb`), JSON.stringify(notebook(cells), null, 1) + '\n');
    console.log(`wrote notebooks/${name}.ipynb`);
  }
}
