// The Done-when of issue 20's Fourier part, end to end: timm-layout vit_tiny_patch16_224 and resnet50 checkpoints
// (random weights written by PyTorch), imported with the project's importer, analysed by
// `runFourierExperiment({ checkpoints, data: <image folder>, preprocess: 'authors-fourier' })` — what
// `npm run experiment fourier -- --checkpoint A,B --data DIR --preprocess authors-fourier` runs — and compared with
// the authors' notebook computation in PyTorch (test/crosscheck/py/authors_fourier.py) on the same image files:
// every block's Δ log amplitude curve.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, rmSync, writeFileSync } from 'node:fs';
import * as path from 'node:path';
import sharp from 'sharp';
import { initBackend } from '../../src/backend/select.ts';
import { runFourierExperiment } from '../../src/experiments/fourier.ts';
import { importCheckpoint } from '../../src/models/index.ts';
import { Agreement, findTorchPython, PY_DIR, skipUnlessTorch, tempDir } from './helpers.ts';

/** Absolute difference of Δ log amplitude (values O(0.1) to O(10)). Measured 8.6e-6 (ViT-Ti) and 1.1e-5 (ResNet-50) on
 * 2 CPU cores (float32 FFTs after 25 / 17 float32 blocks at 224 px); a byte off in the resize, another normalisation or
 * block order moves it by > 1e-2. */
const TOLERANCE = 1e-4;

/** Smooth images with edges and noise, of different sizes and aspect ratios (the resize must not crop or keep aspect). */
async function writeImages(dir: string): Promise<string[]> {
  const specs = [
    { name: 'n01/wide.jpg', w: 320, h: 200, seed: 1 },
    { name: 'n01/tall.png', w: 180, h: 260, seed: 2 },
    { name: 'n02/small.jpg', w: 150, h: 150, seed: 3 },
  ];
  const files: string[] = [];
  for (const s of specs) {
    const data = Buffer.alloc(s.w * s.h * 3);
    let r = s.seed;
    for (let y = 0; y < s.h; y++)
      for (let x = 0; x < s.w; x++)
        for (let c = 0; c < 3; c++) {
          r = (Math.imul(r, 1664525) + 1013904223) >>> 0;
          const edge = (Math.floor(x / (12 + 5 * c)) + Math.floor(y / 17)) % 2 === 0 ? 60 : 0;
          data[(y * s.w + x) * 3 + c] = Math.min(255, Math.round(100 + 80 * Math.sin((x * (c + 1)) / 23 + y / 31) + edge * Math.sign(s.seed - 1.5) + ((r >>> 24) - 128) / 8));
        }
    const file = path.join(dir, s.name);
    mkdirSync(path.dirname(file), { recursive: true });
    const img = sharp(data, { raw: { width: s.w, height: s.h, channels: 3 } });
    writeFileSync(file, await (s.name.endsWith('.png') ? img.png() : img.jpeg({ quality: 92 })).toBuffer());
    files.push(file);
  }
  return files.sort();
}

test('fourier --checkpoint <imported vit_tiny_patch16_224>,<imported resnet50> --data <folder> --preprocess authors-fourier = fourier_analysis.ipynb in PyTorch', { skip: skipUnlessTorch(), timeout: 900_000 }, async () => {
  await initBackend({ backend: 'auto', quiet: true });
  const dir = await tempDir('authors-fourier');
  try {
    const images = path.join(dir, 'images');
    const files = await writeImages(images);
    const { python } = findTorchPython();
    const r = spawnSync(python, [path.join(PY_DIR, 'authors_fourier.py'), dir, ...files], { encoding: 'utf8', env: { ...process.env, PYTHONDONTWRITEBYTECODE: '1' }, maxBuffer: 1 << 26 });
    assert.equal(r.status, 0, r.stderr);
    const theirs = JSON.parse(r.stdout.trim().split('\n').pop()!) as Record<'vit_tiny_patch16_224' | 'resnet50', number[][]>;

    const vit = path.join(dir, 'vit-ckpt');
    const resnet = path.join(dir, 'resnet-ckpt');
    (await importCheckpoint({ from: path.join(dir, 'vit_tiny_patch16_224.pth'), arch: 'vit-ti-16-224', out: vit })).model.dispose();
    (await importCheckpoint({ from: path.join(dir, 'resnet50.pth'), arch: 'resnet-50-224', out: resnet })).model.dispose();
    const result = await runFourierExperiment(
      { checkpoints: [vit, resnet], data: images, preprocess: 'authors-fourier', images: 3, batchSize: 2, results: dir, run: 'fourier', formats: [] },
      { log: () => {} },
    );
    assert.equal(result.data.source, 'image-folder');
    assert.equal(result.data.preprocess, 'authors-fourier');
    assert.ok(existsSync(path.join(dir, 'fourier', 'fourier.json')));
    const agreement = new Agreement();
    for (const [i, name] of (['vit_tiny_patch16_224', 'resnet50'] as const).entries()) {
      const ours = result.models[i]!;
      assert.deepEqual(ours.preprocessing?.mean, [0.485, 0.456, 0.406]);
      assert.equal(ours.blocks.length, theirs[name].length, `${name}: ${ours.blocks.map((b) => b.name).join(', ')}`);
      let worst = 0;
      for (const [k, block] of ours.blocks.entries()) {
        const ref = theirs[name][k]!;
        assert.equal(block.relative.length, ref.length, `${name} block ${block.name}: curve length`);
        for (let f = 0; f < ref.length; f++) worst = Math.max(worst, Math.abs(block.relative[f]! - ref[f]!));
      }
      agreement.record(name, 'Δ log amplitude, absolute (authors-fourier, image folder, imported)', worst, TOLERANCE);
      assert.ok(worst < TOLERANCE, `${name}: max |Δ log amplitude difference| ${worst} >= ${TOLERANCE}`);
      // not vacuous: the curves are far from flat
      assert.ok(Math.max(...ours.blocks.map((b) => Math.abs(b.deltaAtHighest))) > 0.1, `${name}: flat curves`);
    }
    console.log(await agreement.report());
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
