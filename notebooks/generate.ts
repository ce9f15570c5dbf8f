// Writes the tslab notebooks (notebooks/*.ipynb) from the cell lists below: `node --import tsx notebooks/generate.ts`.
// Every notebook: a switch at the top (PAPER: CIFAR-100 + the paper's presets; default: CPU presets + the generated
// dataset), VITSCOPE_NOTEBOOK_SMALL=1 for tiny CI settings, then library calls only (cli.runAndShow runs the same
// command as `npm run experiment <name>` and shows the figures it saved).
import { writeFileSync } from 'node:fs';
import * as path from 'node:path';
import { fileURLToPath } from 'node:url';

type Cell = { md: string } | { code: string };
const here = path.dirname(fileURLToPath(import.meta.url));

const SETUP = `// Switch: false = CPU presets on the generated stand-in dataset (minutes); true = CIFAR-100 and the paper's presets (hours, GPU).
const PAPER = false;
// Tiny settings for CI (VITSCOPE_NOTEBOOK_SMALL=1): runs in seconds, the numbers mean nothing.
const SMALL = !PAPER && process.env.VITSCOPE_NOTEBOOK_SMALL === '1';
// Where results go (relative to this folder): one run directory per notebook.
const RESULTS = process.env.VITSCOPE_NOTEBOOK_RESULTS ?? '../results/notebooks';

const { load } = require('./vitscope.cjs');
const plots = await load('src/plots/index.ts');
const cli = await load('src/cli/notebook.ts');
const backend = await load('src/backend/select.ts');
console.log(await backend.initBackend({ quiet: true }));`;

function analysis(title: string, intro: string, command: string, run: string, options: { paper: string; cpu: string; small: string }): Cell[] {
  return [
    { md: `# ${title}\n\n${intro}\n\nRun \`01-train\` first for trained checkpoints (CPU/PAPER settings); the SMALL settings analyse freshly initialised presets.\nSame as \`npm run experiment ${command} -- …\` with the options below; figures are saved under \`${'${RESULTS}'}/${run}/figures/\`.` },
    { code: SETUP },
    { code: `// Options of \`npm run experiment ${command} -- --help\`.\nconst options = PAPER\n  ? ${options.paper}\n  : SMALL\n  ? ${options.small}\n  : ${options.cpu};` },
    { code: `const { runDir, figures } = await cli.runAndShow('${command}', { ...options, results: RESULTS, run: '${run}' });\nconsole.log(runDir, figures.map((f: { name: string }) => f.name));` },
  ];
}

const ckpt = (model: string) => `'${'${RESULTS}'}/train-${model}'`;
const NOTEBOOKS: Record<string, Cell[]> = {
  '01-train': [
    { md: '# Training\n\nTrains a ViT and a ResNet on CIFAR-100 (or the generated stand-in) and shows their training curves. Same as `npm run experiment train`.' },
    { code: SETUP },
    {
      code: `// Options of \`npm run experiment train -- --help\`.
const MODELS = PAPER ? ['vit-ti', 'resnet-50'] : ['vit-cpu', 'resnet-20'];
const options = PAPER
  ? { epochs: 300 }
  : SMALL
  ? { epochs: 1, 'warmup-epochs': 0, 'train-size': 32, 'test-size': 32, 'steps-per-epoch': 1, 'batch-size': 16, 'eval-batch-size': 32, formats: ['html'] }
  : { epochs: 10, 'warmup-epochs': 1, 'train-size': 5000, 'test-size': 1000, 'batch-size': 64, formats: ['html', 'svg'] };`,
    },
    { code: `for (const model of MODELS) {\n  await cli.runAndShow('train', { ...options, model, results: RESULTS, run: \`train-\${model}\` });\n}` },
  ],
  '02-hessian-spectra': analysis(
    'Hessian spectra',
    'Max-eigenvalue spectra of mini-batch Hessians (NEP/APE in the legend) and the eigenvalue spectral density: MSAs flatten the loss landscape, ViTs have many negative eigenvalues.',
    'hessian', 'hessian',
    { paper: `{ checkpoint: [${ckpt('vit-ti')}, ${ckpt('resnet-50')}] }`, cpu: `{ checkpoint: [${ckpt('vit-cpu')}, ${ckpt('resnet-20')}] }`, small: `{ preset: ['vit-cpu', 'resnet-20'], batches: 2, 'batch-size': 8, k: 1, 'max-iter': 3, groups: 2, subsets: 2, 'subset-batches': 1, 'lanczos-steps': 4, 'slq-steps': 4, 'slq-runs': 1, 'trace-samples': 2, analyses: ['maxeig', 'spectrum'], formats: ['html'] }` },
  ),
  '03-fourier-analysis': analysis(
    'Fourier analysis of feature maps',
    'Relative log amplitude of Fourier-transformed feature maps, and its high-frequency end against depth (MSA blocks grey, pooling blue): MSAs are low-pass filters, Convs high-pass.',
    'fourier', 'fourier',
    { paper: `{ checkpoint: [${ckpt('vit-ti')}, ${ckpt('resnet-50')}] }`, cpu: `{ checkpoint: [${ckpt('vit-cpu')}, ${ckpt('resnet-20')}] }`, small: `{ preset: ['vit-cpu', 'resnet-20'], formats: ['html'] }` },
  ),
  '04-noise-robustness': analysis(
    'Robustness to frequency-band noise',
    'Accuracy drop under noise of one frequency band (units of π): ViTs are robust to high-frequency noise, ResNets vulnerable.',
    'noise', 'noise',
    { paper: `{ checkpoint: [${ckpt('vit-ti')}, ${ckpt('resnet-50')}] }`, cpu: `{ checkpoint: [${ckpt('vit-cpu')}, ${ckpt('resnet-20')}] }`, small: `{ preset: ['resnet-20'], images: 20, groups: 2, frequencies: ['0.2', '0.8'], 'batch-size': 20, formats: ['html'] }` },
  ),
  '05-feature-map-variance': analysis(
    'Feature-map variance',
    'Variance of feature maps against normalised depth (MSA blocks grey, pooling blue): MSAs reduce variance, Convs and MLPs increase it.',
    'variance', 'variance',
    { paper: `{ checkpoint: [${ckpt('vit-ti')}, ${ckpt('resnet-50')}] }`, cpu: `{ checkpoint: [${ckpt('vit-cpu')}, ${ckpt('resnet-20')}] }`, small: `{ preset: ['vit-cpu', 'resnet-20'], formats: ['html'] }` },
  ),
  '06-loss-landscape': analysis(
    'Loss landscape',
    'The loss on a 2-D slice through parameter space along filter-normalised random directions, as a surface and as contours.',
    'landscape', 'landscape',
    { paper: `{ checkpoint: [${ckpt('vit-ti')}] }`, cpu: `{ checkpoint: [${ckpt('vit-cpu')}] }`, small: `{ preset: ['resnet-20'], formats: ['html'] }` },
  ),
  '00-overview': [
    {
      md: `# vitscope — overview\n\nReproduces *How Do Vision Transformers Work?* (Park & Kim, ICLR 2022) in TypeScript.\n\n| notebook | what |\n|---|---|\n| 01-train | train ViT / ResNet, training curves |\n| 02-hessian-spectra | Hessian max-eigenvalue spectra and spectral density |\n| 03-fourier-analysis | Fourier analysis of feature maps |\n| 04-noise-robustness | robustness to frequency-band noise |\n| 05-feature-map-variance | feature-map variance by depth |\n| 06-loss-landscape | loss landscape |\n\nThis notebook lists the model presets and shows every figure saved under \`RESULTS\` so far, and writes one report page (\`report.html\`) with all figures and tables (same as \`npm run export -- <dir>\`).`,
    },
    { code: SETUP },
    { code: `const models = await load('src/models/index.ts');\nconsole.log(models.listPresets());` },
    { code: `const figures = await plots.readAllFigures(RESULTS);\nconsole.log(figures.map((f: { name: string }) => f.name));\nplots.show(figures);` },
    { code: `console.log(await plots.writeReport(RESULTS));` },
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
