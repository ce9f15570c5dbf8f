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

/**
 * The protocol cell of an analysis notebook: PAPER selects the protocol 'paper' of `defs` (src/analysis/*-protocol.ts,
 * src/hessian/protocol.ts), otherwise `fallback`; `cut` (an expression) overrides settings for speed or CI; the
 * settings of this run are printed beside the paper's.
 */
function protocolCell(o: { defs: string; type: string; file: string; fallback: string; cut: string; note: string }): string {
  return `// 2. Protocol (${o.file}): every setting of the analysis with its value in the paper's protocol. PAPER = true runs
//    protocol 'paper' unchanged; otherwise ${o.note}
const PROTOCOL = PAPER ? 'paper' : ${o.fallback};
const CUT: Partial<${o.type}> = ${o.cut};
const S: ${o.type} = { ...${o.defs}.protocols[PROTOCOL].settings, ...(PAPER ? {} : CUT) };
console.log(\`protocol '\${PROTOCOL}'\${PAPER ? '' : \` with \${Object.keys(CUT).join(', ') || 'no setting'} changed\`}: \${${o.defs}.protocols[PROTOCOL].description}\`);
const paperSettings: Record<string, unknown> = { ...${o.defs}.protocols.paper.settings };
const mine: Record<string, unknown> = { ...S };
console.table(Object.keys(paperSettings).map((k) => ({
  setting: k, 'this run': JSON.stringify(mine[k]), paper: JSON.stringify(paperSettings[k]), differs: JSON.stringify(mine[k]) === JSON.stringify(paperSettings[k]) ? '' : '≠',
})));`;
}

/** Images of one split as the protocol says: a seeded, class-balanced subset, normalised as in training. */
const SPLIT_IMAGES = (split: string) => `// 3. Data: a seeded, class-balanced subset of the ${split === 'S.split' ? 'split the protocol names' : 'test split'}, normalised as in training.
const cifar = await data.loadCifar({ progress: false, log: console.log });
const imageSet = cifar[${split}];
const testSet = data.toTensor(imageSet, data.subsetIndices(imageSet, { size: Math.min(S.images, imageSet.count), seed: 0 }));
console.log(\`\${testSet.x.shape[0]} images (\${${split}}) from \${cifar.source}\`);`;

/** Hessian mini-batches exactly as the hessian command draws them (02 and 07 share it). */
const HESSIAN_BATCHES = `// Mini-batches as the protocol draws them (so does the hessian command): the plan's data layout (hessian.hessianDataLayout:
// the max-eigenvalue batches first, then the spectrum's disjoint subsets, never depending on what is computed) over a
// seeded, class-balanced pool of training images (S.fraction of the set, or just enough), each batch drawn on its own
// (its position in one seeded epoch), augmented as S.augment says, with the training pipeline's soft targets.
async function hessianBatches(set: data.ImageSet, numClasses: number, s: hessian.HessianSettings, layout: hessian.HessianDataLayout, positions: number[], seed: number): Promise<hessian.HessianBatch[]> {
  const pool = data.subset(set, { size: layout.poolSize, seed: seed });
  const augment = s.augment === 'none' ? false : s.augment === 'paper' ? data.PAPER_AUGMENT : true;
  const out: hessian.HessianBatch[] = [];
  for (const p of positions) {
    for (const b of data.iterateBatches(pool, { batchSize: s.batchSize, shuffle: true, seed: seed, epoch: 0, augment: augment, dropLast: true, startBatch: p, endBatch: p + 1 })) {
      const mixed = await analysis.mixTrainingBatch(b.x, b.y, { numClasses: numClasses, mix: s.mix ? analysis.PAPER_MIX : analysis.NO_MIX, labelSmoothing: s.labelSmoothing, seed: seed, index: p });
      tf.dispose([b.x, b.y]);
      out.push({ x: mixed.x, y: mixed.targets, indices: Array.from(b.indices, (i) => pool.indices[i]!) });
    }
  }
  return out;
}
const range = (n: number): number[] => Array.from({ length: n }, (_, i) => i);`;

/** Augmented training images with their labels (the landscape's sample; 06 and 07 share it). */
const TRAINING_IMAGES = `// One seeded, class-balanced sample of training images, augmented once as the protocol says ('paper': crop, flip,
// RandAugment 2/9), with integer labels; the same sample serves every grid point.
function trainingImages(set: data.ImageSet, n: number, augment: analysis.LandscapeAugment): { x: tf.Tensor4D; y: Int32Array } {
  const chosen = data.subset(set, { size: Math.min(n, set.count), seed: 0 });
  const aug = augment === 'none' ? false : augment === 'paper' ? data.PAPER_AUGMENT : true;
  const parts = [...data.iterateBatches(chosen, { batchSize: 256, shuffle: false, seed: 0, epoch: 0, augment: aug })];
  const x = tf.concat(parts.map((b) => b.x)) as tf.Tensor4D;
  const y = Int32Array.from(parts.flatMap((b) => Array.from(b.y.dataSync())));
  for (const b of parts) tf.dispose([b.x, b.y]);
  return { x: x, y: y };
}`;

const fmt = (s: string) => s.trim();

function nb(title: string, claim: string, cells: Cell[]): Cell[] {
  return [{ md: `# ${title}\n\n${claim}` }, { code: IMPORTS }, { code: SETTINGS }, ...cells];
}

/** The Hessian settings of the default run (02): the 'quick' protocol cut to fit 5 minutes on 2 cores. */
const HESSIAN_CUT = `SMALL
  ? { batches: 2, batchSize: 8, k: 1, maxIter: 3, groups: 2, subsets: 2, subsetBatches: 1, lanczosSteps: 4, slqSteps: 4, slqRuns: 1, traceSamples: 2 }
  : { batches: 6, k: 2, maxIter: 12, groups: 3, subsets: 2, subsetBatches: 1, lanczosSteps: 10, slqSteps: 12, slqRuns: 1, traceSamples: 4 }`;

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
| 07-imported-checkpoint | every analysis above on weights trained elsewhere (PyTorch, e.g. the authors' released ViT-Ti and ResNet-50) |

Each analysis notebook has a \`PAPER\` switch: \`true\` runs the paper's presets and the analysis protocol \`paper\` (the
authors' settings, \`src/analysis/*-protocol.ts\`, \`src/hessian/protocol.ts\`; hours on a CPU), \`false\` (the default) the CPU
presets and settings that fit a few minutes on 2 cores; each prints its settings beside the paper's.

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
    'Hessian spectra',
    fmt(`The paper computes the top-5 Hessian eigenvalues (PyHessian's power iteration with deflation, tolerance 1e-3, at most 100
products each) of every mini-batch of 16 augmented training images from 10 % of CIFAR-100 (≈312 batches), on the training
loss (NLL on mixed, smoothed targets + L2), and pools them: **MSAs flatten the loss landscape** — ViT's positive eigenvalues
sit near 20–60 while ResNet's spread over 200–800+ — and ViT has a lobe of **negative** eigenvalues (non-convexity) that
ResNet almost lacks. Summaries: NEP (share of negative eigenvalues) and APE (mean positive eigenvalue). Below that, the
spectral density of the Hessian averaged over a few batches (stochastic Lanczos quadrature), with its extreme
eigenvalues (Lanczos) and trace (Hutchinson).

**What the default settings trade away** (to run in about 5 minutes on 2 cores, training included on a fresh clone):
6 batches instead of ≈312, the top-2 eigenvalues instead of 5, found by Lanczos (at most 24 products per batch; some
stop before the 1e-3 tolerance) instead of PyHessian's power iteration (up to 100 products each), the density from 2
single-batch subsets with short Lanczos runs, the final checkpoint of a one-epoch CPU run instead of the end-of-warm-up
checkpoint of a 300-epoch run, and the generated stand-in data when CIFAR-100 is not in \`data/\`. The loss, the data
pipeline, the batch size and the tolerance are the paper's. The spread is therefore wide: read the shapes (ViT vs ResNet),
not the numbers. **The paper's protocol:** \`PAPER = true\` below (ViT-Ti and ResNet-50 from \`01-train\`'s paper recipes,
protocol \`paper\` of \`src/hessian/protocol.ts\`; hours per model on a CPU), or from a shell
\`npm run experiment hessian -- --checkpoint <run> --protocol paper\` (use \`--all-checkpoints\` for the warm-up checkpoint).`),
    [
      { code: MODELS },
      {
        code: protocolCell({
          defs: 'hessian.HESSIAN_PROTOCOLS', type: 'hessian.HessianSettings', file: 'src/hessian/protocol.ts', fallback: "'quick'", cut: HESSIAN_CUT,
          note: "the protocol 'quick' (the paper's loss, data, batch size and tolerance) on fewer batches, eigenvalues and products.",
        }),
      },
      {
        code: `${HESSIAN_BATCHES}

// 3. Data: the plan's layout — the max-eigenvalue batches first, then disjoint subsets for the averaged-Hessian spectrum
//    (S.batches = 0: every batch of the S.fraction pool but the last S.subsets x S.subsetBatches, which the spectrum gets).
const cifar = await data.loadCifar({ progress: false, log: console.log });
const layout = hessian.hessianDataLayout(S, cifar.train.count);
const maxBatches = await hessianBatches(cifar.train, cifar.fineLabelNames.length, S, layout, range(layout.maxeigBatches), 0);
const subsets: hessian.HessianBatch[][] = [];
for (const positions of layout.subsets) subsets.push(await hessianBatches(cifar.train, cifar.fineLabelNames.length, S, layout, positions, 0));
console.log(\`\${maxBatches.length} batches of \${S.batchSize} for the max-eigenvalue spectrum, \${subsets.length} subsets of \${subsets[0]?.length ?? 0} for the density, from \${cifar.source}\`);`,
      },
      {
        code: `// 4. Max-eigenvalue spectrum: the top-k eigenvalues (by magnitude) of each batch's Hessian, pooled; NEP and APE with
//    their spread over groups of batches. Progress: batches done, Hessian-vector products so far.
const spectra: { label: string; s: hessian.MaxEigenSpectrum }[] = [];
for (const { label, model } of trained) {
  const bar = progress({ label: \`\${label}: max-eigenvalue spectrum\`, total: maxBatches.length, unit: 'batch/s' });
  let done = 0;
  const s = await hessian.maxEigenvalueSpectrum(model, maxBatches, {
    k: S.k, tol: S.tol, maxIter: S.maxIter, groups: S.groups, eigensolver: S.eigensolver, variant: S.power, l2: S.l2, labelSmoothing: 0, seed: 0,
    onProduct: (p) => bar.update(done, { products: p.count }), onBatch: (b) => bar.update((done = b)),
  });
  bar.finish(\`\${label}: \${s.products} Hessian-vector products in \${(s.ms / 1000).toFixed(0)} s\`);
  spectra.push({ label, s });
}`,
      },
      {
        code: `// 5. Plot: the pooled eigenvalues, negative and positive sides with their own scales; NEP and APE in the legend.
plots.show(plots.maxEigenvalueSpectrumFigure(spectra.map(({ label, s }) => ({ label, kde: hessian.maxEigenvalueKde(s.eigenvalues), nep: s.nep, ape: Number.isFinite(s.ape) ? s.ape : 0 }))));`,
      },
      {
        code: `// 6. Spectral density of the Hessian averaged over each subset's batches (SLQ), its extreme eigenvalues (Lanczos) and
//    trace (Hutchinson); mean and 95% band over the subsets.
const densities: { label: string; d: hessian.HessianSpectrum }[] = [];
for (const { label, model } of trained) {
  const bar = progress({ label: \`\${label}: spectral density\`, total: subsets.length, unit: 'subset/s' });
  let done = 0;
  const d = await hessian.hessianSpectrum(model, subsets, {
    k: Math.min(S.k, S.lanczosSteps), lanczosSteps: S.lanczosSteps, slqSteps: S.slqSteps, slqRuns: S.slqRuns, traceSamples: S.traceSamples, l2: S.l2, labelSmoothing: 0, seed: 0,
    onProduct: (p) => bar.update(done, { products: p.count }), onSubset: (i) => bar.update((done = i)),
  });
  bar.finish(\`\${label}: density in \${(d.ms / 1000).toFixed(0)} s\`);
  densities.push({ label, d });
}
plots.show(plots.spectralDensityFigure(densities.map(({ label, d }) => ({ label, grid: d.density.grid, density: d.density.mean, lower: d.density.lower.map((v) => Math.max(0, v)), upper: d.density.upper }))));`,
      },
      {
        code: `// 7. Key numbers next to the paper's (≈, read off its figure). CIs: 95 % over groups of batches (NEP, APE) or subsets.
const PAPER_HESSIAN: Record<string, string> = { vit: 'positive ≈ 20–60, negative lobe ≈ −80…−20', resnet: 'positive ≈ 200–800+, almost no negatives' };
const ci = (c: hessian.MeanCI, scale = 1) => (Number.isFinite(c.lower) ? \`[\${(c.lower * scale).toPrecision(3)}, \${(c.upper * scale).toPrecision(3)}]\` : '');
console.table(spectra.map(({ label, s }, i) => {
  const d = densities[i]!.d;
  return {
    model: label, eigenvalues: s.eigenvalues.length, 'NEP %': \`\${(s.nep * 100).toFixed(1)} \${ci(s.nepCI, 100)}\`, APE: \`\${s.ape.toPrecision(3)} \${ci(s.apeCI)}\`,
    'λmax (Lanczos)': d.top[0]!.mean.toPrecision(3), 'λmin (Lanczos)': d.bottom[0]!.mean.toPrecision(3), 'trace of the NLL Hessian': d.traceWithoutL2.mean.toPrecision(3),
    paper: PAPER_HESSIAN[plots.familyOf(label) ?? ''] ?? '',
  };
}));
for (const b of [...maxBatches, ...subsets.flat()]) tf.dispose([b.x, b.y]);`,
      },
    ],
  ),

  '03-fourier-analysis': nb(
    'Fourier analysis of feature maps',
    fmt(`For the output of every block: log amplitude of the 2-D Fourier transform (centred, mean over images and channels), read along the
diagonal from frequency 0 outwards, minus its value at 0 — the **relative log amplitude**; its last point is "Δ log amplitude at π".
The paper: **MSAs are low-pass filters, Convs high-pass** — ResNet's Δ@π rises with depth (≈ −6.6 at the stem to ≈ −1.0),
ViT's stays between ≈ −1.8 and −2.7, MSA blocks lowering it and MLP blocks raising it (fourier_analysis.ipynb; ImageNet models there).
The default protocol is the paper's (\`src/analysis/fourier-protocol.ts\`); \`PAPER = true\` adds the paper's presets.`),
    [
      { code: MODELS },
      {
        code: protocolCell({
          defs: 'analysis.FOURIER_PROTOCOLS', type: 'analysis.FourierSettings', file: 'src/analysis/fourier-protocol.ts',
          fallback: 'analysis.FOURIER_PROTOCOLS.defaultProtocol', cut: 'SMALL ? { images: 16 } : {}', note: 'the default protocol (the paper\'s as well).',
        }),
      },
      { code: SPLIT_IMAGES('S.split') },
      {
        code: `// 4. Compute: feature maps of every block (models' features()), Fourier transform, relative log amplitude.
const results: { label: string; blocks: analysis.FourierBlock[] }[] = [];
for (const { label, model } of trained) {
  const bar = progress({ label: \`\${label}: Fourier\`, total: testSet.x.shape[0] });
  // sliceBatches yields batches of S.batchSize images (each disposed once the next is taken)
  results.push({ label, blocks: await analysis.fourierByDepth(model, analysis.sliceBatches(testSet.x, S.batchSize), { diagonal: S.diagonal, onBatch: (done) => bar.update(done) }) });
  bar.finish();
}`,
      },
      {
        code: `// 5. Plot: Δ log amplitude at the highest frequency against depth (MSA blocks grey, pooling blue), and one model's curves.
plots.show(plots.fourierDepthFigure(results.map(({ label, blocks }) => ({ label, depth: blocks.map((b) => b.depth), value: blocks.map((b) => b.deltaAtHighest), kinds: blocks.map((b) => b.kind) }))));
for (const { label, blocks } of results)
  plots.show(plots.relativeLogAmplitudeFigure({ label, curves: blocks.filter((b) => b.relative.length > 0).map((b) => ({ depth: b.depth, frequency: b.plotFrequency, value: b.relative })) }, { name: \`relative-log-amplitude-\${plots.slug(label)}\` }));`,
      },
      {
        code: `// 6. Key numbers: Δ@π at the first and last block, and its mean by block kind, next to the paper's.
const PAPER_FOURIER: Record<string, string> = { vit: '≈ −1.8 … −2.7 throughout; MSA lowers, MLP raises', resnet: '≈ −6.6 at the stem → ≈ −1.0 at the end' };
const byKind = (blocks: analysis.FourierBlock[]) =>
  [...new Set(blocks.map((b) => b.kind))]
    .map((kind) => { const v = blocks.filter((b) => b.kind === kind).map((b) => b.deltaAtHighest); return \`\${kind} \${(v.reduce((a, c) => a + c, 0) / v.length).toFixed(2)}\`; })
    .join(', ');
console.table(results.map(({ label, blocks }) => ({
  model: label, 'Δ@π first block': blocks[0]!.deltaAtHighest.toFixed(2), 'Δ@π last block': blocks.at(-1)!.deltaAtHighest.toFixed(2),
  'mean Δ@π by kind': byKind(blocks), paper: PAPER_FOURIER[plots.familyOf(label) ?? ''] ?? '',
})));
tf.dispose([testSet.x, testSet.y]);`,
      },
    ],
  ),

  '04-noise-robustness': nb(
    'Robustness to frequency-band noise',
    fmt(`Noise restricted to one frequency band (around f, units of π) is added to the test images and the change of top-1
accuracy is measured, per band. The paper (ImageNet): **ViTs are robust to high-frequency noise, ResNets are not** —
ResNet −5.0 % at 0.1π down to −15.4 % at 0.9π, ViT −5.5 % at 0.1π but only −4.8 % at 0.9π. Our models are small and briefly
trained, so both lose less; compare the shapes of the curves. Default protocol \`vitscope\`: Gaussian noise of equal energy in
every band (with the authors' fixed ε the energy grows with the band's area); \`PAPER = true\` runs protocol \`paper\`, the
authors' masked sign noise (ops/adversarial.py), on the paper's presets.`),
    [
      { code: MODELS },
      {
        code: protocolCell({
          defs: 'analysis.NOISE_PROTOCOLS', type: 'analysis.NoiseSettings', file: 'src/analysis/noise-protocol.ts',
          fallback: 'analysis.NOISE_PROTOCOLS.defaultProtocol', cut: 'SMALL ? { frequencies: [0.2, 0.8], images: 16, groups: 2 } : {}',
          note: "the default protocol 'vitscope' (equal-RMS Gaussian bands; see its description).",
        }),
      },
      { code: SPLIT_IMAGES("'test'") },
      {
        code: `// 4. Compute: the same images and the same noise for both models; disjoint groups of images give the error bars.
const bar = progress({ label: 'noise bands', total: trained.length * (S.frequencies.length + 1), unit: 'step/s' });
let stepsDone = 0;
const noise = await analysis.noiseRobustness(trained.map(({ label, model }) => ({ label, model })), { x: testSet.x, y: Int32Array.from(testSet.y.dataSync()) }, {
  frequencies: S.frequencies, bandwidth: S.bandwidth, scale: S.scale, noise: S.noise, mask: S.mask, groups: S.groups, batchSize: S.batchSize, seed: 0,
  onStep: () => bar.update(++stepsDone),
});
bar.finish();`,
      },
      {
        code: `// 5. Plot: accuracy drop (clean − noisy, percentage points) per band, with the spread over image groups.
plots.show(plots.noiseRobustnessFigure(noise.map((r) => ({ label: r.label, frequency: r.frequency, accuracyDrop: r.accuracyChange.map((c) => -c / 100), lower: r.changeUpper.map((c) => -c / 100), upper: r.changeLower.map((c) => -c / 100) }))));`,
      },
      {
        code: `// 6. Key numbers: the change at the lowest and the highest band, next to the paper's (ImageNet).
const PAPER_NOISE: Record<string, string> = { vit: '−5.5 % at 0.1π, −4.8 % at 0.9π', resnet: '−5.0 % at 0.1π, −15.4 % at 0.9π' };
console.table(noise.map((r) => ({
  model: r.label, 'clean acc %': r.cleanAccuracy.toFixed(1),
  [\`change at \${r.frequency[0]}π\`]: r.accuracyChange[0]!.toFixed(2), [\`change at \${r.frequency.at(-1)}π\`]: r.accuracyChange.at(-1)!.toFixed(2),
  paper: PAPER_NOISE[plots.familyOf(r.label) ?? ''] ?? '',
})));
tf.dispose([testSet.x, testSet.y]);`,
      },
    ],
  ),

  '05-feature-map-variance': nb(
    'Feature-map variance',
    fmt(`The variance of each block's output over its spatial positions (per channel, averaged over images and channels), against depth.
The paper (featuremap_variance.ipynb, one test batch of 256): **MSAs reduce variance, Convs and MLPs increase it** —
ResNet's variance climbs within each stage (peaks ≈ 0.45, 0.76, 0.84) and drops at subsampling; ViT's stays between
0.015 and 0.093, lowered by every MSA block. The protocol is the paper's (\`src/analysis/variance-protocol.ts\`, the only one);
\`PAPER = true\` adds the paper's presets.`),
    [
      { code: MODELS },
      {
        code: protocolCell({
          defs: 'analysis.VARIANCE_PROTOCOLS', type: 'analysis.VarianceSettings', file: 'src/analysis/variance-protocol.ts',
          fallback: 'analysis.VARIANCE_PROTOCOLS.defaultProtocol', cut: 'SMALL ? { images: 16 } : {}', note: "the same protocol (there is only 'paper').",
        }),
      },
      { code: SPLIT_IMAGES('S.split') },
      {
        code: `// 4. Compute.
const variances: { label: string; blocks: analysis.VarianceBlock[] }[] = [];
for (const { label, model } of trained) {
  const bar = progress({ label: \`\${label}: variance\`, total: testSet.x.shape[0] });
  variances.push({ label, blocks: await analysis.varianceByDepth(model, analysis.sliceBatches(testSet.x, S.batchSize), { onBatch: (done) => bar.update(done) }) });
  bar.finish();
}`,
      },
      {
        code: `// 5. Plot: variance against normalised depth (MSA blocks grey, pooling blue).
plots.show(plots.varianceDepthFigure(variances.map(({ label, blocks }) => ({ label, depth: blocks.map((b) => b.depth), value: blocks.map((b) => b.variance), kinds: blocks.map((b) => b.kind) }))));`,
      },
      {
        code: `// 6. Key numbers: range of the variance, and the share of MSA blocks that lower it (vs the block before).
const PAPER_VARIANCE: Record<string, string> = { vit: '0.015 … 0.093; MSAs lower it', resnet: 'peaks ≈ 0.45, 0.76, 0.84 at stage ends' };
console.table(variances.map(({ label, blocks }) => {
  const msa = blocks.map((b, i) => ({ b, prev: blocks[i - 1] })).filter(({ b, prev }) => b.kind === 'msa' && prev);
  return {
    model: label, min: Math.min(...blocks.map((b) => b.variance)).toPrecision(3), max: Math.max(...blocks.map((b) => b.variance)).toPrecision(3),
    'MSA blocks lowering it': msa.length ? \`\${msa.filter(({ b, prev }) => b.variance < prev!.variance).length}/\${msa.length}\` : 'no MSA',
    paper: PAPER_VARIANCE[plots.familyOf(label) ?? ''] ?? '',
  };
}));
tf.dispose([testSet.x, testSet.y]);`,
      },
    ],
  ),

  '06-loss-landscape': nb(
    'Loss landscape',
    fmt(`The loss on a 2-D slice through parameter space: the trained weights plus a·d₁ + b·d₂ for two Gaussian directions scaled to the
weights as the authors' code does (ops/loss_landscapes.py), a and b on a grid over [−1, 1]; the loss is theirs: NLL on augmented,
mixed training data + 0.05·Σ‖p‖. The paper (losslandscape.ipynb, 21 × 21 points): centre NLL ≈ ViT-Ti 2.49 (accuracy 65.8 %),
ResNet-50 2.19 (72.4 %); ViT's landscape is flatter but non-convex near the centre. Default protocol \`quick\` (the paper's
directions, loss and data on a 7 × 7 grid of 64 images); \`PAPER = true\` runs protocol \`paper\` (21 × 21, 1,024 images) on the
paper's presets.`),
    [
      { code: MODELS },
      {
        code: protocolCell({
          defs: 'analysis.LANDSCAPE_PROTOCOLS', type: 'analysis.LandscapeSettings', file: 'src/analysis/landscape-protocol.ts',
          fallback: 'analysis.LANDSCAPE_PROTOCOLS.defaultProtocol', cut: 'SMALL ? { resolution: 3, images: 16, batchSize: 16 } : {}',
          note: "the default protocol 'quick' (a coarser grid on fewer images).",
        }),
      },
      {
        code: `${TRAINING_IMAGES}

// 3. Data: the augmented sample with the training pipeline's targets (mixup/CutMix when S.mix, smoothing) in batches.
const cifar = await data.loadCifar({ progress: false, log: console.log });
const sample = trainingImages(cifar.train, S.images, S.augment);
const landscapeBatches = await analysis.trainingTargetBatches(sample.x, sample.y, { batchSize: S.batchSize, numClasses: cifar.fineLabelNames.length, mix: S.mix, labelSmoothing: S.labelSmoothing, seed: 0 });
sample.x.dispose();
console.log(\`\${sample.y.length} training images from \${cifar.source} (augment: \${S.augment}, mix: \${S.mix})\`);`,
      },
      {
        code: `// 4. Compute: the loss at every grid point (progress per point).
const surfaces: { label: string; l: analysis.LossLandscape }[] = [];
for (const { label, model } of trained) {
  const bar = progress({ label: \`\${label}: landscape\`, total: S.resolution ** 2, unit: 'point/s' });
  surfaces.push({ label, l: await analysis.lossLandscape(model, landscapeBatches, {
    resolution: S.resolution, range: [S.range[0]!, S.range[1]!], seed: 0, normalization: S.normalization, l2: S.l2, labelSmoothing: S.labelSmoothing,
    onPoint: (done) => bar.update(done),
  }) });
  bar.finish();
}`,
      },
      {
        code: `// 5. Plot: one surface per model, as the authors draw it: loss − min, points more than S.clip above the minimum dropped.
for (const { label, l } of surfaces) {
  const z = S.clip > 0 ? analysis.clipLandscape(l.loss, S.clip) : l.loss;
  plots.show(plots.lossLandscapeFigure({ label, x: l.x, y: l.y, z }, { name: \`loss-landscape-\${plots.slug(label)}\`, title: \`Loss landscape: \${label}\${S.clip > 0 ? \` (loss − min, points > \${S.clip} dropped)\` : ''}\` }));
}`,
      },
      {
        code: `// 6. Key numbers: the centre and the rise to the grid's edge, next to the paper's centre points.
const PAPER_LANDSCAPE: Record<string, string> = { vit: 'centre NLL 2.49, accuracy 65.8 % (ViT-Ti)', resnet: 'centre NLL 2.19, accuracy 72.4 % (ResNet-50)' };
console.table(surfaces.map(({ label, l }) => ({
  model: label, 'centre loss': l.centre.loss.toFixed(3), 'centre NLL': l.centre.nll.toFixed(3), 'centre acc %': l.centre.accuracy.toFixed(1),
  'max loss on the grid': Math.max(...l.loss.flat()).toFixed(3), paper: PAPER_LANDSCAPE[plots.familyOf(label) ?? ''] ?? '',
})));
for (const b of landscapeBatches) tf.dispose([b.x, b.targets]);`,
      },
    ],
  ),

  '07-imported-checkpoint': nb(
    'Analysing a checkpoint trained elsewhere: the authors\' four released models',
    fmt(`Imports PyTorch weights with the library's import (\`models.importCheckpoint\`, the \`import\` command's code: \`torch.save\` zip or
legacy files and safetensors, timm ≤ 0.6 and ≥ 0.9 key layouts of ViT, PiT, Swin, Mixer, MobileViT and ResNet, and the
authors' CIFAR ResNet; every key and shape is checked) and runs every analysis of notebooks 02–06 on them: the Hessian
max-eigenvalue spectrum, the Fourier analysis of feature maps, frequency-band noise, feature-map variance and a
loss-landscape slice, each with its figure and key numbers.

**The authors' released CIFAR-100 models** (how-do-vits-work-storage v0.1; timm 0.5.4 key layout, CIFAR-100 normalisation as
vitscope's): put them in \`data/checkpoints/\` of this repository and the notebook uses every one it finds there:

    mkdir -p data/checkpoints && cd data/checkpoints
    curl -LO https://github.com/xxxnell/how-do-vits-work-storage/releases/download/v0.1/resnet_50_cifar100_691cc9a9e4.pth.tar  # preset resnet-50
    curl -LO https://github.com/xxxnell/how-do-vits-work-storage/releases/download/v0.1/vit_ti_cifar100_9857b21357.pth.tar     # preset vit-ti
    curl -LO https://github.com/xxxnell/how-do-vits-work-storage/releases/download/v0.1/pit_ti_cifar100_0645889efb.pth.tar     # preset pit-ti
    curl -LO https://github.com/xxxnell/how-do-vits-work-storage/releases/download/v0.1/swin_ti_cifar100_ec2894492b.pth.tar    # preset swin-ti

(\`VITSCOPE_CHECKPOINTS=DIR\` names another folder.) They cost 10–30× the CPU presets per image: on 2 cores the Hessian cell
then takes tens of minutes (lower \`batches\` in \`HS\`), the others minutes.

**Your own checkpoint:** put it in \`MINE\` below (file and the vitscope preset it fits; \`npm run experiment models\` lists them), or
set \`VITSCOPE_IMPORT=FILE=PRESET,FILE=PRESET\` before starting Jupyter; then only those are analysed.

**Without the released files** the notebook writes random-weight stand-ins for the missing ones *in the authors' layout*
(\`notebooks/authors_random_exports.py\`, in timm's virtual environment — \`bash scripts/setup-tests/20-timm.sh\` makes it): timm's
\`VisionTransformer\`, \`PoolingVisionTransformer\` and \`SwinTransformer\` with the authors' configurations saved with timm 0.5's
keys (PiT pooling at \`transformers.{0,1}.pool\`, Swin merging at \`layers.{0,1,2}.downsample\` with its \`attn_mask\` and
\`relative_position_index\` buffers), and the authors' own ResNet-50 key names, each as \`{name, state_dict}\` in a \`.pth.tar\`. It says so,
imports them exactly as the real files, and checks the imported models' logits against PyTorch's. Random weights show the
pipeline, not the paper. In CI's tiny settings the stand-ins keep the layouts with fewer, narrower blocks. Without timm's
environment either, it stops with a message saying what to do. \`PAPER = true\` runs every analysis with its protocol \`paper\`.`),
    [
      {
        code: `// 1. Which checkpoints: the authors' released files found in CHECKPOINTS, or yours, e.g.
//   { file: '../my_vit.pth.tar', arch: 'vit-ti' }
const MINE: { file: string; arch: string }[] = [];
// ... or VITSCOPE_IMPORT=FILE=PRESET,FILE=PRESET from the environment.
const FROM_ENV = (process.env.VITSCOPE_IMPORT ?? '').split(',').filter((s) => s.trim() !== '').map((s) => {
  const at = s.lastIndexOf('=');
  if (at <= 0) throw new Error(\`VITSCOPE_IMPORT: '\${s}' is not FILE=PRESET (e.g. vit_ti_cifar100_9857b21357.pth.tar=vit-ti)\`);
  return { file: s.slice(0, at).trim(), arch: s.slice(at + 1).trim() };
});
const CHECKPOINTS = process.env.VITSCOPE_CHECKPOINTS ?? '../data/checkpoints';
const RELEASE_URL = 'https://github.com/xxxnell/how-do-vits-work-storage/releases/download/v0.1';
// The four released CIFAR-100 models, the vitscope preset each fits, and (for stand-ins) how to build one in the authors' layout.
// small: CI's tiny settings (VITSCOPE_NOTEBOOK_SMALL=1) keep each layout with fewer, narrower blocks.
const RELEASED = [
  { file: 'resnet_50_cifar100_691cc9a9e4.pth.tar', preset: 'resnet-50', kind: 'authors-resnet', family: 'resnet', timm: '', overrides: {},
    small: { stageBlocks: [1, 1, 1, 1], widths: [16, 32, 64, 128], stemWidth: 16 }, smallTimm: {} },
  { file: 'vit_ti_cifar100_9857b21357.pth.tar', preset: 'vit-ti', kind: 'timm', family: 'vit', timm: 'vit_tiny_patch16_224',
    overrides: { img_size: 32, patch_size: 2, qkv_bias: false, num_classes: 100 }, small: { patchSize: 4, depth: 2 }, smallTimm: { patch_size: 4, depth: 2 } },
  { file: 'pit_ti_cifar100_0645889efb.pth.tar', preset: 'pit-ti', kind: 'timm', family: 'pit', timm: 'pit_ti_224',
    overrides: { img_size: 32, patch_size: 2, stride: 1, num_classes: 100 }, small: { patchSize: 4, stride: 2, depths: [1, 1, 1] }, smallTimm: { patch_size: 4, stride: 2, depth: [1, 1, 1] } },
  { file: 'swin_ti_cifar100_ec2894492b.pth.tar', preset: 'swin-ti', kind: 'timm', family: 'swin', timm: 'swin_tiny_patch4_window7_224',
    overrides: { img_size: 32, patch_size: 1, window_size: 4, qkv_bias: false, num_classes: 100 },
    small: { patchSize: 2, dim: 32, depths: [2, 2, 2, 2], heads: [1, 2, 4, 8] }, smallTimm: { patch_size: 2, embed_dim: 32, depths: [2, 2, 2, 2], num_heads: [1, 2, 4, 8] } },
];
const cifar = await data.loadCifar({ progress: false, log: console.log });
console.log(\`data: \${cifar.source} (\${cifar.dir})\`);`,
      },
      {
        code: `// 2. The files to import: yours; else the released files found in CHECKPOINTS, and random-weight stand-ins in the authors'
//    layout for the missing ones (timm's virtual environment needed for those).
import { spawn, spawnSync } from 'child_process';
import { existsSync, readFileSync, writeFileSync, mkdirSync } from 'fs';
import * as path from 'path';
interface Candidate { file: string; arch: string | models.ModelConfig; label: string; pytorchLogits?: string }
let candidates: Candidate[] = [...MINE, ...FROM_ENV].map((c) => ({ file: path.resolve(c.file), arch: c.arch, label: \`\${c.arch} (\${path.basename(c.file)})\` }));
for (const c of candidates) if (!existsSync(c.file)) throw new Error(\`\${c.file}: no such file (from MINE or VITSCOPE_IMPORT); fix the path\`);
const PYTHON = process.env.VITSCOPE_TIMM_PYTHON ?? path.resolve('../.venv/timm/bin/python');

/** Runs python, showing its output lines here; rejects with its error output. */
function runPython(args: string[]): Promise<void> {
  return new Promise((resolve, reject) => {
    const child = spawn(PYTHON, args, { stdio: ['ignore', 'pipe', 'pipe'] });
    let err = '';
    child.stdout.on('data', (d) => String(d).split('\\n').filter((l) => l !== '').forEach((l) => console.log(l)));
    child.stderr.on('data', (d) => { err += String(d); });
    child.on('error', (e) => reject(new Error(\`\${PYTHON}: \${e.message}\`)));
    child.on('close', (code) => (code === 0 ? resolve() : reject(new Error(\`\${PYTHON} \${args.join(' ')} failed (exit \${code}):\\n\${err.slice(-3000)}\`))));
  });
}

if (candidates.length === 0) {
  const found = RELEASED.filter((r) => existsSync(path.resolve(CHECKPOINTS, r.file)));
  const missing = RELEASED.filter((r) => !found.includes(r));
  candidates = found.map((r) => ({ file: path.resolve(CHECKPOINTS, r.file), arch: r.preset, label: \`\${r.preset} (authors' \${r.file})\` }));
  console.log(\`released checkpoints in \${path.resolve(CHECKPOINTS)}: \${found.map((r) => r.file).join(', ') || 'none'}\`);
  if (missing.length > 0) {
    const timm = spawnSync(PYTHON, ['-c', 'import torch, timm; print(timm.__version__, torch.__version__)'], { encoding: 'utf8' });
    if (timm.status !== 0)
      throw new Error(
        \`Nothing to analyse: \${missing.map((r) => r.file).join(', ')} \${missing.length === 1 ? 'is' : 'are'} not in \${path.resolve(CHECKPOINTS)}, no checkpoint was named (MINE is empty, VITSCOPE_IMPORT is not set), \` +
        \`and \${PYTHON} cannot import torch and timm to export random-weight stand-ins (\${(timm.error?.message ?? timm.stderr ?? '').trim().split('\\n').pop()}). \` +
        \`Either download the released files (commands above) into \${path.resolve(CHECKPOINTS)}, or put a checkpoint in MINE, or make timm's environment \` +
        \`(bash scripts/setup-tests/20-timm.sh) or point VITSCOPE_TIMM_PYTHON at a python with torch and timm.\`,
      );
    const standIns = path.resolve(RESULTS, 'imported', SMALL ? 'authors-random-small' : 'authors-random');
    const request = {
      data: cifar.dir, out: standIns, checkImages: SMALL ? 8 : 64, seed: 0,
      models: missing.map((r) => {
        const config = { ...models.getPreset(r.preset), ...(SMALL ? r.small : {}) };
        return { name: r.file.replace(/\\.pth\\.tar$/, ''), kind: r.kind, family: r.family, timm: r.timm, overrides: { ...r.overrides, ...(SMALL ? r.smallTimm : {}) }, config: config };
      }),
    };
    console.log(\`Missing: \${missing.map((r) => r.file).join(', ')}. Writing random-weight stand-ins in the authors' layout with timm \${timm.stdout.trim()} to \${standIns}.\`);
    mkdirSync(standIns, { recursive: true });
    writeFileSync(path.join(standIns, 'request.json'), JSON.stringify(request));
    await runPython([path.resolve('authors_random_exports.py'), path.join(standIns, 'request.json')]);
    for (const [i, r] of missing.entries()) {
      const name = request.models[i]!.name;
      candidates.push({
        file: path.join(standIns, \`\${name}.pth.tar\`), arch: SMALL ? (request.models[i]!.config as models.ModelConfig) : r.preset,
        label: \`\${r.preset} (random stand-in\${SMALL ? ', smaller' : ''})\`, pytorchLogits: path.join(standIns, \`\${name}.json\`),
      });
    }
  }
}
console.table(candidates.map((c) => ({ label: c.label, file: c.file, preset: typeof c.arch === 'string' ? c.arch : \`\${c.arch.preset} (configuration)\` })));`,
      },
      {
        code: `// 3. Import: every key and shape checked, layouts converted; written once as a vitscope checkpoint (RESULTS/imported/<file>-<sha>)
//    that the CLI's analyses take as --checkpoint DIR. The same file again reads that checkpoint.
import { createHash } from 'crypto';
const imported: { label: string; model: models.Model; dir: string }[] = [];
const importRows: Record<string, string>[] = [];
for (const c of candidates) {
  const sha = createHash('sha256').update(readFileSync(c.file)).digest('hex');
  const dir = path.resolve(RESULTS, 'imported', \`\${path.basename(c.file).replace(/\\.(pth\\.tar|pth|pt|tar|safetensors|bin)$/, '')}-\${sha.slice(0, 12)}\`);
  let model: models.Model;
  if (existsSync(path.join(dir, 'model.json'))) {
    model = (await models.loadCheckpoint(dir)).model;
    importRows.push({ model: c.label, how: 'read the checkpoint imported earlier from the same bytes', checkpoint: dir });
  } else {
    const r = await models.importCheckpoint({ from: c.file, arch: c.arch, out: dir });
    model = r.model;
    importRows.push({
      model: c.label, how: \`\${r.format}\${r.wrapper ? \`, state dict under '\${r.wrapper}'\` : ''}\${r.strippedPrefix ? \`, prefix '\${r.strippedPrefix}' removed\` : ''}; \${r.source.title}; \${r.ignored.length} keys ignored\`,
      checkpoint: dir,
    });
  }
  const size = model.config.imageSize;
  if (size !== cifar.test.height) {
    model.dispose();
    throw new Error(\`\${c.file}: preset '\${model.config.preset}' expects \${size} x \${size} images, and vitscope's data loaders read \${cifar.test.height} x \${cifar.test.width} CIFAR-format sets only so far; analyse a CIFAR model (vit-ti, resnet-50, ...)\`);
  }
  imported.push({ label: c.label, model, dir });
}
console.table(importRows);
console.table(imported.map(({ label, model }) => ({ model: label, preset: model.config.preset, classes: model.config.numClasses, parameters: models.countParams(model.config).toLocaleString('en-US') })));`,
      },
      {
        code: `// 4. Check: the imported models' logits against PyTorch's on the same test images (stand-ins only: PyTorch wrote them), and
//    their accuracy here. A faithful import agrees to float32 rounding (~1e-5 of the logits' scale).
for (const c of candidates) {
  if (!c.pytorchLogits) {
    console.log(\`\${c.label}: no PyTorch logits to compare with (your own file); compare the clean accuracy below with what its training reported\`);
    continue;
  }
  const ref = JSON.parse(readFileSync(c.pytorchLogits, 'utf8')) as { logits: number[]; shape: number[]; accuracy: number; checkImages: number };
  const m = imported.find((i) => i.label === c.label)!.model;
  const t = data.toTensor(cifar.test, Int32Array.from({ length: ref.checkImages }, (_, i) => i));
  const logits = tf.tidy(() => m.forward(t.x, { training: false }));
  const mine = await logits.data();
  const labels = await t.y.data();
  const pred = await tf.argMax(logits, -1).data();
  let diff = 0, scale = 0, correct = 0;
  for (let i = 0; i < mine.length; i++) { diff = Math.max(diff, Math.abs(mine[i]! - ref.logits[i]!)); scale = Math.max(scale, Math.abs(ref.logits[i]!)); }
  for (let i = 0; i < pred.length; i++) correct += pred[i] === labels[i] ? 1 : 0;
  console.log(\`\${c.label}: max |logit difference| \${diff.toExponential(2)} (logits up to \${scale.toFixed(2)}); accuracy on the first \${ref.checkImages} test images: PyTorch \${ref.accuracy.toFixed(1)} %, vitscope \${((100 * correct) / pred.length).toFixed(1)} %\`);
  tf.dispose([t.x, t.y, logits]);
}`,
      },
      {
        code: `// 5. Protocols: PAPER runs each analysis's protocol 'paper'; otherwise the defaults, cut to fit minutes (CI: seconds) for four models.
const HS: hessian.HessianSettings = { ...hessian.HESSIAN_PROTOCOLS.protocols[PAPER ? 'paper' : 'quick'].settings,
  ...(PAPER ? {} : SMALL ? { batches: 2, batchSize: 8, k: 1, maxIter: 3, groups: 2 } : { batches: 4, k: 2, maxIter: 10, groups: 2 }) };
const FS: analysis.FourierSettings = { ...analysis.FOURIER_PROTOCOLS.protocols[PAPER ? 'paper' : analysis.FOURIER_PROTOCOLS.defaultProtocol].settings, ...(SMALL ? { images: 16 } : {}) };
const NS: analysis.NoiseSettings = { ...analysis.NOISE_PROTOCOLS.protocols[PAPER ? 'paper' : analysis.NOISE_PROTOCOLS.defaultProtocol].settings,
  ...(SMALL ? { frequencies: [0.2, 0.8], images: 16, groups: 2 } : {}) };
const VS: analysis.VarianceSettings = { ...analysis.VARIANCE_PROTOCOLS.protocols[PAPER ? 'paper' : analysis.VARIANCE_PROTOCOLS.defaultProtocol].settings, ...(SMALL ? { images: 16 } : {}) };
const LS: analysis.LandscapeSettings = { ...analysis.LANDSCAPE_PROTOCOLS.protocols[PAPER ? 'paper' : analysis.LANDSCAPE_PROTOCOLS.defaultProtocol].settings,
  ...(SMALL ? { resolution: 3, images: 16, batchSize: 16 } : {}) };
console.table([
  { analysis: 'hessian', protocol: PAPER ? 'paper' : 'quick, cut', settings: \`\${HS.batches || 'all'} batches of \${HS.batchSize}, top-\${HS.k}, ≤ \${HS.maxIter} products each\` },
  { analysis: 'fourier', protocol: PAPER ? 'paper' : analysis.FOURIER_PROTOCOLS.defaultProtocol, settings: \`\${FS.images} \${FS.split} images, diagonal \${FS.diagonal}\` },
  { analysis: 'noise', protocol: PAPER ? 'paper' : analysis.NOISE_PROTOCOLS.defaultProtocol, settings: \`\${NS.images} test images, \${NS.noise} noise, \${NS.frequencies.length} bands\` },
  { analysis: 'variance', protocol: 'paper', settings: \`\${VS.images} \${VS.split} images\` },
  { analysis: 'landscape', protocol: PAPER ? 'paper' : analysis.LANDSCAPE_PROTOCOLS.defaultProtocol, settings: \`\${LS.resolution} x \${LS.resolution} grid, \${LS.images} training images\` },
]);`,
      },
      {
        code: `${HESSIAN_BATCHES}

// 6. Hessian max-eigenvalue spectrum (as 02): top-k eigenvalues of each mini-batch's Hessian of the training loss, pooled.
const hessianLayout = hessian.hessianDataLayout(HS, cifar.train.count);
const hessianData = await hessianBatches(cifar.train, cifar.fineLabelNames.length, HS, hessianLayout, range(hessianLayout.maxeigBatches), 0);
const spectra: { label: string; s: hessian.MaxEigenSpectrum }[] = [];
for (const { label, model } of imported) {
  const bar = progress({ label: \`\${label}: max-eigenvalue spectrum\`, total: hessianData.length, unit: 'batch/s' });
  let done = 0;
  const s = await hessian.maxEigenvalueSpectrum(model, hessianData, {
    k: HS.k, tol: HS.tol, maxIter: HS.maxIter, groups: HS.groups, eigensolver: HS.eigensolver, variant: HS.power, l2: HS.l2, labelSmoothing: 0, seed: 0,
    onProduct: (p) => bar.update(done, { products: p.count }), onBatch: (b) => bar.update((done = b)),
  });
  bar.finish(\`\${label}: \${s.products} Hessian-vector products in \${(s.ms / 1000).toFixed(0)} s\`);
  spectra.push({ label, s });
}
for (const b of hessianData) tf.dispose([b.x, b.y]);
plots.show(plots.maxEigenvalueSpectrumFigure(spectra.map(({ label, s }) => ({ label, kde: hessian.maxEigenvalueKde(s.eigenvalues), nep: s.nep, ape: Number.isFinite(s.ape) ? s.ape : 0 }))));`,
      },
      {
        code: `// 7. Fourier analysis (as 03) and feature-map variance (as 05): every block's output on test images.
const fourierImages = data.toTensor(cifar[FS.split], data.subsetIndices(cifar[FS.split], { size: Math.min(FS.images, cifar[FS.split].count), seed: 0 }));
const varianceImages = data.toTensor(cifar[VS.split], data.subsetIndices(cifar[VS.split], { size: Math.min(VS.images, cifar[VS.split].count), seed: 0 }));
const fourier: { label: string; blocks: analysis.FourierBlock[] }[] = [];
const variances: { label: string; blocks: analysis.VarianceBlock[] }[] = [];
for (const { label, model } of imported) {
  const bar = progress({ label: \`\${label}: Fourier and variance\`, total: fourierImages.x.shape[0] + varianceImages.x.shape[0] });
  fourier.push({ label, blocks: await analysis.fourierByDepth(model, analysis.sliceBatches(fourierImages.x, FS.batchSize), { diagonal: FS.diagonal, onBatch: (d) => bar.update(d) }) });
  variances.push({ label, blocks: await analysis.varianceByDepth(model, analysis.sliceBatches(varianceImages.x, VS.batchSize), { onBatch: (d) => bar.update(fourierImages.x.shape[0] + d) }) });
  bar.finish();
}
tf.dispose([fourierImages.x, fourierImages.y, varianceImages.x, varianceImages.y]);
plots.show(plots.fourierDepthFigure(fourier.map(({ label, blocks }) => ({ label, depth: blocks.map((b) => b.depth), value: blocks.map((b) => b.deltaAtHighest), kinds: blocks.map((b) => b.kind) }))));
plots.show(plots.varianceDepthFigure(variances.map(({ label, blocks }) => ({ label, depth: blocks.map((b) => b.depth), value: blocks.map((b) => b.variance), kinds: blocks.map((b) => b.kind) }))));`,
      },
      {
        code: `// 8. Frequency-band noise (as 04): the same images and noise for every model.
const noiseImages = data.toTensor(cifar.test, data.subsetIndices(cifar.test, { size: Math.min(NS.images, cifar.test.count), seed: 0 }));
const noiseBar = progress({ label: 'noise bands', total: imported.length * (NS.frequencies.length + 1), unit: 'step/s' });
let noiseSteps = 0;
const noise = await analysis.noiseRobustness(imported.map(({ label, model }) => ({ label, model })), { x: noiseImages.x, y: Int32Array.from(await noiseImages.y.data()) }, {
  frequencies: NS.frequencies, bandwidth: NS.bandwidth, scale: NS.scale, noise: NS.noise, mask: NS.mask, groups: NS.groups, batchSize: NS.batchSize, seed: 0,
  onStep: () => noiseBar.update(++noiseSteps),
});
noiseBar.finish();
tf.dispose([noiseImages.x, noiseImages.y]);
plots.show(plots.noiseRobustnessFigure(noise.map((r) => ({ label: r.label, frequency: r.frequency, accuracyDrop: r.accuracyChange.map((c) => -c / 100), lower: r.changeUpper.map((c) => -c / 100), upper: r.changeLower.map((c) => -c / 100) }))));`,
      },
      {
        code: `${TRAINING_IMAGES}

// 9. A loss-landscape slice (as 06): the authors' directions and loss on one augmented sample of training images.
const sample = trainingImages(cifar.train, LS.images, LS.augment);
const landscapeBatches = await analysis.trainingTargetBatches(sample.x, sample.y, { batchSize: LS.batchSize, numClasses: cifar.fineLabelNames.length, mix: LS.mix, labelSmoothing: LS.labelSmoothing, seed: 0 });
sample.x.dispose();
const surfaces: { label: string; l: analysis.LossLandscape }[] = [];
for (const { label, model } of imported) {
  const bar = progress({ label: \`\${label}: landscape\`, total: LS.resolution ** 2, unit: 'point/s' });
  surfaces.push({ label, l: await analysis.lossLandscape(model, landscapeBatches, {
    resolution: LS.resolution, range: [LS.range[0]!, LS.range[1]!], seed: 0, normalization: LS.normalization, l2: LS.l2, labelSmoothing: LS.labelSmoothing,
    onPoint: (d) => bar.update(d),
  }) });
  bar.finish();
}
for (const b of landscapeBatches) tf.dispose([b.x, b.targets]);
for (const { label, l } of surfaces)
  plots.show(plots.lossLandscapeFigure({ label, x: l.x, y: l.y, z: LS.clip > 0 ? analysis.clipLandscape(l.loss, LS.clip) : l.loss }, { name: \`loss-landscape-\${plots.slug(label)}\`, title: \`Loss landscape: \${label}\${LS.clip > 0 ? ' (loss − min)' : ''}\` }));`,
      },
      {
        code: `// 10. Key numbers of every analysis, next to the paper's (CIFAR-100 ViT-Ti / ResNet-50; ≈ read off its figures).
const PAPER_KEY: Record<string, string> = {
  vit: 'acc 66.5 %; positive λ ≈ 20–60 with negatives; Δ@π ≈ −1.8 … −2.7; −4.8 % at 0.9π (ImageNet); variance 0.015–0.093; centre NLL 2.49',
  resnet: 'acc 82.4 %; positive λ ≈ 200–800+, few negatives; Δ@π ≈ −6.6 → −1.0; −15.4 % at 0.9π (ImageNet); variance peaks 0.45–0.84; centre NLL 2.19',
};
console.table(imported.map(({ label }, i) => {
  const s = spectra[i]!.s, f = fourier[i]!.blocks, n = noise[i]!, v = variances[i]!.blocks, l = surfaces[i]!.l;
  return {
    model: label, 'clean acc %': n.cleanAccuracy.toFixed(1), 'NEP %': (s.nep * 100).toFixed(1), APE: s.ape.toPrecision(3),
    'Δ@π first → last': \`\${f[0]!.deltaAtHighest.toFixed(2)} → \${f.at(-1)!.deltaAtHighest.toFixed(2)}\`,
    [\`noise \${n.frequency[0]}π / \${n.frequency.at(-1)}π\`]: \`\${n.accuracyChange[0]!.toFixed(1)} / \${n.accuracyChange.at(-1)!.toFixed(1)}\`,
    'variance min–max': \`\${Math.min(...v.map((b) => b.variance)).toPrecision(2)}–\${Math.max(...v.map((b) => b.variance)).toPrecision(2)}\`,
    'centre NLL': l.centre.nll.toFixed(3), paper: PAPER_KEY[plots.familyOf(label) ?? ''] ?? '',
  };
}));
for (const { model } of imported) model.dispose();`,
      },
    ],
  ),

  '08-fourier-imagenet': [
    {
      md: `# Fourier analysis of ImageNet models, the authors' way (Figs 2a and 8)

The paper's Figs 2a and 8 come from timm's ImageNet models (\`vit_tiny_patch16_224\`, \`resnet50\`) on ImageNet photos, computed
by the authors' \`fourier_analysis.ipynb\`: each image resized with PIL to 224 × 224 (bicubic, no crop, aspect not kept), /255,
ImageNet mean/std for every model; per block log(|FFT2| + 1e-6), centred, mean over images and channels, the half-diagonal
minus its value at frequency 0. vitscope does the same with \`--preprocess authors-fourier\` (pixels identical to Pillow's;
\`test/crosscheck/authors-fourier.test.ts\` checks the whole pipeline against the notebook's PyTorch code). The paper:
**MSAs are low-pass filters, Convs high-pass** — ResNet's Δ log amplitude at the highest frequency rises with depth, ViT's
stays low, its MSA blocks lowering it.

**Your files** (else the notebook uses random weights and generated pictures, and says so):
- timm checkpoints in \`data/imagenet-checkpoints/\`: \`vit_tiny_patch16_224.{safetensors,pth,pt,bin}\` and \`resnet50.{…}\`, e.g. the
  \`model.safetensors\` of Hugging Face \`timm/vit_tiny_patch16_224.augreg_in21k_ft_in1k\` and \`timm/resnet50.a1_in1k\` (renamed), or
  \`torch.save(timm.create_model(name, pretrained=True).state_dict(), f)\`;
- ImageNet photos in \`data/imagenet-images/\`: the validation set (class subfolders \`n01440764/*.JPEG\` or a flat folder);
  \`IMAGES\` of them are used (the authors' notebook shows one photo; \`PAPER = true\` takes all).

Without checkpoints, \`notebooks/timm_random_exports.py\` writes random-weight ones (timm's own initialisation when timm is
importable, e.g. \`.venv/timm\` from \`scripts/setup-tests/\`; PyTorch needed).`,
    },
    { code: IMPORTS },
    {
      code: `// PAPER = true: every image of the folder (the authors: "use the full val dataset for precise results"); false: IMAGES of them.
const PAPER = false;
const SMALL = !PAPER && process.env.VITSCOPE_NOTEBOOK_SMALL === '1';
const IMAGES = PAPER ? Number.MAX_SAFE_INTEGER : SMALL ? 2 : 8;
const RESULTS = process.env.VITSCOPE_NOTEBOOK_RESULTS ?? '../results/notebooks';
const CHECKPOINTS = process.env.VITSCOPE_IMAGENET_CHECKPOINTS ?? '../data/imagenet-checkpoints';
const PHOTOS = process.env.VITSCOPE_IMAGENET_IMAGES ?? '../data/imagenet-images';
const runOptions: experiments.RunOptions = { progress: plots.notebookProgress(), log: (m) => console.log(m) };
await initBackend({ quiet: true });`,
    },
    {
      code: `// 1. Checkpoints: yours from CHECKPOINTS, else random-weight timm exports (written once into the results folder).
import { spawnSync } from 'child_process';
import { existsSync, mkdirSync, writeFileSync } from 'fs';
import * as path from 'path';
const MODELS = [{ timm: 'vit_tiny_patch16_224', arch: 'vit-ti-16-224' }, { timm: 'resnet50', arch: 'resnet-50-224' }];
const findFile = (dir: string, name: string) => ['.safetensors', '.pth', '.pt', '.bin'].map((e) => path.resolve(dir, name + e)).find((f) => existsSync(f));
let sourceDir = CHECKPOINTS;
const real = MODELS.every((m) => findFile(CHECKPOINTS, m.timm));
if (!real) {
  sourceDir = path.resolve(RESULTS, 'imagenet-random-exports');
  const venv = path.resolve('../.venv/timm/bin/python');
  const python = process.env.VITSCOPE_TIMM_PYTHON ?? (existsSync(venv) ? venv : (process.env.VITSCOPE_PYTHON ?? '/usr/bin/python3'));
  const r = spawnSync(python, ['timm_random_exports.py', sourceDir], { encoding: 'utf8' });
  if (r.status !== 0)
    throw new Error(\`No timm checkpoints in \${path.resolve(CHECKPOINTS)} (vit_tiny_patch16_224.*, resnet50.*), and \${python} could not write random-weight ones \` +
      \`(\${(r.error?.message ?? r.stderr ?? '').trim().split('\\n').pop()}): put the checkpoint files there, or install PyTorch (apt-get install python3-torch).\`);
  console.log(r.stdout.trim());
  console.log('RANDOM WEIGHTS: the curves below show the pipeline, not the paper (put timm checkpoints in ' + path.resolve(CHECKPOINTS) + ').');
}
// Imported once into vitscope checkpoints (every key and shape checked; the timm pretrained config travels with them).
const checkpoints: string[] = [];
for (const m of MODELS) {
  const out = path.resolve(RESULTS, 'imported', \`\${m.timm}-\${real ? 'timm' : 'random'}\`);
  if (!existsSync(out)) (await models.importCheckpoint({ from: findFile(sourceDir, m.timm)!, arch: m.arch, out })).model.dispose();
  checkpoints.push(out);
}
console.table(MODELS.map((m, i) => ({ timm: m.timm, preset: m.arch, weights: real ? findFile(CHECKPOINTS, m.timm) : 'random', checkpoint: checkpoints[i] })));`,
    },
    {
      code: `// 2. Images: your photos, else a few generated pictures (edges, gradients and texture; not ImageNet).
import sharp from 'sharp';
let photos = path.resolve(PHOTOS);
if (!existsSync(photos)) {
  photos = path.resolve(RESULTS, 'imagenet-stand-in-images');
  mkdirSync(photos, { recursive: true });
  for (let i = 0; i < Math.max(IMAGES, 2) && i < 16; i++) {
    const w = 240 + 37 * i, h = 200 + 23 * (i % 5);
    const px = Buffer.alloc(w * h * 3);
    for (let y = 0; y < h; y++) for (let x = 0; x < w; x++) for (let c = 0; c < 3; c++)
      px[(y * w + x) * 3 + c] = Math.max(0, Math.min(255, Math.round(128 + 70 * Math.sin((x * (c + 1 + i)) / 29 + y / (11 + i)) + ((x >> 4) + (y >> 4)) % 2 * 40 - 20 + 25 * Math.sin(x * y / 97))));
    writeFileSync(path.join(photos, \`picture-\${i}.jpg\`), await sharp(px, { raw: { width: w, height: h, channels: 3 } }).jpeg({ quality: 90 }).toBuffer());
  }
  console.log(\`No photos in \${path.resolve(PHOTOS)}: using generated pictures in \${photos} (not ImageNet).\`);
}
const dataset = await data.loadDataset({ path: photos });
console.log(\`\${dataset.kind}: \${dataset.split('test').count} images in \${dataset.dir}\${dataset.classNames ? \` (\${dataset.classNames.length} classes)\` : ''}; using \${Math.min(IMAGES, dataset.split('test').count)}\`);`,
    },
    {
      code: `// 3. Compute — what \`npm run experiment fourier -- --checkpoint <vit>,<resnet> --data <photos> --preprocess authors-fourier\` runs:
// images decoded batch by batch (the folder is never held in memory), both models, fourier.json + CSVs + figures.
const t0 = Date.now();
const result = await experiments.runFourierExperiment(
  { checkpoints: checkpoints, labels: ['ViT-Ti (vit_tiny_patch16_224)', 'ResNet-50 (resnet50)'], data: photos, preprocess: 'authors-fourier', images: IMAGES, batchSize: 4, results: RESULTS, run: 'fourier-imagenet', formats: ['html'] },
  runOptions,
);
console.log(\`\${result.data.images} images, \${((Date.now() - t0) / 1000).toFixed(1)} s; results in \${result.runDir}\`);`,
    },
    {
      code: `// 4. Fig. 8: Δ log amplitude at the highest frequency against normalised depth (MSA blocks grey); Fig. 2a: each model's curves by depth.
for (const figure of experiments.fourierFigures(result.models)) plots.show(figure);`,
    },
    {
      code: `// 5. Key numbers next to the paper's (read off Figs 2a/8; timm ImageNet weights).
const PAPER_FIG8: Record<string, string> = { vit: 'stays ≈ −1.8 … −2.7; MSA blocks lower it, MLP blocks raise it', resnet: 'rises with depth, ≈ −6.6 at the stem → ≈ −1.0 at the end' };
console.table(result.models.map((r) => {
  const byKind = [...new Set(r.blocks.map((b) => b.kind))].map((k) => { const v = r.blocks.filter((b) => b.kind === k).map((b) => b.deltaAtHighest); return \`\${k} \${(v.reduce((a, c) => a + c, 0) / v.length).toFixed(2)}\`; }).join(', ');
  return { model: r.label, weights: real ? 'timm checkpoint' : 'RANDOM', blocks: r.blocks.length, 'Δ first block': r.blocks[0]!.deltaAtHighest.toFixed(2), 'Δ last block': r.blocks.at(-1)!.deltaAtHighest.toFixed(2), 'mean Δ by kind': byKind, paper: PAPER_FIG8[plots.familyOf(r.preset) ?? ''] ?? '' };
}));`,
    },
  ],
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
