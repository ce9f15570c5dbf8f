// The analyses on image folders: --data <folder> with --preprocess, lazily decoded, recorded in the results; bad
// images end the run with one error naming the file and leave no result behind; unlabelled images are refused
// where labels are needed; fresh presets get the dataset's class count.
import '../support/presets.ts';
import { test, before } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import * as path from 'node:path';
import sharp from 'sharp';
import { initBackend } from '../../src/backend/select.ts';
import { DataError } from '../../src/data/errors.ts';
import { checkAnalysisSettings, loadAnalysisImages, loadAnalysisModels, openAnalysisData, type AnalysisSettings } from '../../src/experiments/analysis-support.ts';
import { runFourierExperiment } from '../../src/experiments/fourier.ts';
import { runNoiseExperiment } from '../../src/experiments/noise.ts';
import { runHessianExperiment } from '../../src/experiments/hessian.ts';
import { runLandscapeExperiment } from '../../src/experiments/landscape.ts';
import { runVarianceExperiment } from '../../src/experiments/variance.ts';
import { createModel } from '../../src/models/index.ts';
import { ExpectedError } from '../../src/util/errors.ts';
import { OptionError } from '../../src/util/settings.ts';
import { tempDir } from './helpers.ts';

before(async () => {
  await initBackend({ backend: 'cpu', quiet: true });
});

async function folder(dir: string, classes: number, perClass: number): Promise<void> {
  for (let c = 0; c < classes; c++) {
    mkdirSync(path.join(dir, `class-${c}`), { recursive: true });
    for (let i = 0; i < perClass; i++) {
      const w = 20 + 7 * i;
      const h = 14 + 5 * c;
      const px = Buffer.alloc(w * h * 3, 0).map((_, k) => (k * (c + 3) + i * 31) % 256);
      const img = sharp(px, { raw: { width: w, height: h, channels: 3 } });
      writeFileSync(path.join(dir, `class-${c}`, `${i}.${i % 2 ? 'png' : 'jpg'}`), await (i % 2 ? img.png() : img.jpeg()).toBuffer());
    }
  }
}

const quiet = { log: () => {} };

test('fourier on an image folder: timm-eval by default, authors-fourier when asked; recorded per model; the run is repeatable', async () => {
  const { dir, cleanup } = tempDir();
  try {
    const images = path.join(dir, 'images');
    await folder(images, 3, 3);
    const settings = { presets: ['vit-tiny-test', 'resnet-tiny-test'], data: images, images: 5, batchSize: 2, results: dir, formats: [] } as const;
    const a = await runFourierExperiment({ ...settings, run: 'a' }, quiet);
    assert.equal(a.data.source, 'image-folder');
    assert.equal(a.data.images, 5);
    assert.equal(a.data.preprocess, 'timm-eval');
    for (const m of a.models) assert.equal(m.preprocessing?.size, 8);
    assert.ok(existsSync(path.join(dir, 'a', 'fourier.json')));
    const b = await runFourierExperiment({ ...settings, run: 'b', preprocess: 'authors-fourier' }, quiet);
    assert.equal(b.data.preprocess, 'authors-fourier');
    assert.deepEqual(b.models[0]!.preprocessing?.mean, [0.485, 0.456, 0.406]);
    // a different transform gives different images, hence different spectra
    assert.notDeepEqual(a.models[0]!.blocks.map((x) => x.deltaAtHighest), b.models[0]!.blocks.map((x) => x.deltaAtHighest));
    const again = await runFourierExperiment({ ...settings, run: 'c' }, quiet);
    assert.deepEqual(again.models.map((m) => m.blocks.map((x) => x.relative)), a.models.map((m) => m.blocks.map((x) => x.relative)));
  } finally {
    cleanup();
  }
});

test('a corrupt image ends the analysis with one DataError naming it, and no result is written', async () => {
  const { dir, cleanup } = tempDir();
  try {
    const images = path.join(dir, 'images');
    await folder(images, 2, 2);
    const bad = path.join(images, 'class-1', 'broken.jpg');
    writeFileSync(bad, Buffer.from([0xff, 0xd8, 0xff, 0xe0, 0, 16, 74, 70, 73, 70]));
    await assert.rejects(
      runFourierExperiment({ presets: ['vit-tiny-test'], data: images, images: 5, batchSize: 2, results: dir, run: 'bad', formats: [] }, quiet),
      (err: unknown) => err instanceof DataError && err.file === bad && !err.message.includes('\n'),
    );
    assert.equal(existsSync(path.join(dir, 'bad', 'fourier.json')), false);
  } finally {
    cleanup();
  }
});

test('unlabelled images: fourier runs, noise (needs labels) is refused with the folder named; presets get the class count of labelled data', async () => {
  const { dir, cleanup } = tempDir();
  try {
    const flat = path.join(dir, 'flat');
    mkdirSync(flat);
    for (let i = 0; i < 3; i++) writeFileSync(path.join(flat, `${i}.png`), await sharp({ create: { width: 9 + i, height: 11, channels: 3, background: { r: 40 * i, g: 90, b: 200 } } }).png().toBuffer());
    const results = path.join(dir, 'results');
    const r = await runFourierExperiment({ presets: ['vit-tiny-test'], data: flat, images: 3, batchSize: 3, results, run: 'flat', formats: [] }, quiet);
    assert.equal(r.data.images, 3);
    await assert.rejects(runNoiseExperiment({ presets: ['vit-tiny-test'], data: flat, images: 3, results, run: 'noise', formats: [] }, quiet), (err: unknown) =>
      err instanceof ExpectedError && err.message.startsWith(`${flat}: found unlabelled images`));
    assert.equal(existsSync(path.join(results, 'noise', 'noise.json')), false);

    const labelled = path.join(dir, 'labelled');
    await folder(labelled, 3, 1);
    const ds = await openAnalysisData({ data: labelled }, quiet);
    const [m] = await loadAnalysisModels({ presets: ['vit-tiny-test'] }, quiet, ds);
    assert.equal(m!.model.config.numClasses, 3);
    m!.model.dispose();
    // a model with another class count (e.g. an ImageNet checkpoint on a few class folders) is refused where labels are used
    const other = { label: 'five', model: createModel('vit-tiny-test', { numClasses: 5 }), source: 'preset:vit-tiny-test' };
    try {
      await assert.rejects(loadAnalysisImages({ data: labelled }, quiet, 'test', 3, [other], false, ds), (err: unknown) =>
        err instanceof ExpectedError && err.message === `${ds.dir}: found 3 class folders; this analysis needs one per output of model 'five' (5 classes, in the checkpoint's class order)`);
    } finally {
      other.model.dispose();
    }
  } finally {
    cleanup();
  }
});

test("--preprocess must be one of timm-eval, authors-fourier, cifar", () => {
  assert.throws(() => checkAnalysisSettings('fourier', { presets: ['vit-tiny-test'], preprocess: 'imagenet' } as unknown as AnalysisSettings), (err: unknown) =>
    err instanceof OptionError && /option '--preprocess' is "imagenet", expected one of timm-eval, authors-fourier, cifar/.test(err.message));
});

test('every analysis reads a labelled image folder with --preprocess (variance, noise, landscape, hessian)', async () => {
  const { dir, cleanup } = tempDir();
  try {
    const images = path.join(dir, 'images');
    await folder(images, 2, 3);
    const common = { presets: ['resnet-tiny-test'], data: images, preprocess: 'timm-eval' as const, results: path.join(dir, 'results'), formats: [] };
    const v = await runVarianceExperiment({ ...common, run: 'v', images: 4 }, quiet);
    assert.equal(v.data.source, 'image-folder');
    assert.ok(v.models[0]!.blocks.every((b) => Number.isFinite(b.variance)));
    const n = await runNoiseExperiment({ ...common, run: 'n', images: 4, frequencies: [0.5], groups: 2 }, quiet);
    assert.ok(Number.isFinite(n.models[0]!.cleanAccuracy));
    const l = await runLandscapeExperiment({ ...common, run: 'l', images: 4, resolution: 2, range: [-0.5, 0.5] }, quiet);
    assert.ok(l.models[0]!.loss.flat().every((x) => Number.isFinite(x)));
    const h = await runHessianExperiment(
      { ...common, run: 'h', analyses: ['maxeig'], params: 'head', batchSize: 2, batches: 2, k: 1, maxIter: 2, groups: 2 },
      quiet,
    );
    assert.equal(h.models[0]!.data?.source, 'image-folder');
    assert.ok(Number.isFinite(h.models[0]!.maxEigenvalueSpectrum!.eigenvalues[0]!));
  } finally {
    cleanup();
  }
});
