// Image files: decoding (as Pillow's convert('RGB')), the odd files timm users meet, folders, list files, the
// evaluation transforms. The images are generated here with sharp; where /usr/bin/python3 has Pillow (and
// torchvision), the bytes and the transformed tensors are compared with theirs (skipped otherwise, failing in CI).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdirSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import * as path from 'node:path';
import { fileURLToPath } from 'node:url';
import sharp, { type Sharp } from 'sharp';
import { DataError } from '../../src/data/errors.ts';
import { decodeImageFile, type RgbImage } from '../../src/data/image-decode.ts';
import { listImageFolder } from '../../src/data/image-folder.ts';
import { chooseImages, imageBatches, loadDataset, loadImageSet } from '../../src/data/dataset.ts';
import { IMAGENET_MEAN, IMAGENET_STD, resolvePreprocessing, transformImage, type ModelInputConfig } from '../../src/data/preprocess.ts';
import { normalizeImages } from '../../src/data/batches.ts';
import { makeGeneratedDataset } from '../../src/data/generate.ts';
import { tempDir } from './helpers.ts';

const here = path.dirname(fileURLToPath(import.meta.url));

function noise(width: number, height: number, channels: number, seed: number): Buffer {
  const b = Buffer.alloc(width * height * channels);
  let s = seed >>> 0;
  for (let i = 0; i < b.length; i++) {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    const y = Math.floor(i / (width * channels));
    const x = Math.floor(i / channels) % width;
    // smooth gradients plus noise: realistic enough for JPEG, varied enough for the resize
    b[i] = Math.max(0, Math.min(255, Math.round(((x * 255) / width + (y * 255) / height) / 2 + ((s >>> 24) - 128) / 4 + (i % channels) * 20)));
  }
  return b;
}

const raw = (data: Buffer, width: number, height: number, channels: 1 | 2 | 3 | 4): Sharp => sharp(data, { raw: { width, height, channels } });

interface Made {
  dir: string;
  files: Record<string, string>;
  sources: Record<string, Buffer>;
}

/** The odd image files, written into `dir`. */
async function makeImages(dir: string): Promise<Made> {
  const files: Record<string, string> = {};
  const sources: Record<string, Buffer> = {};
  const put = async (name: string, bytes: Buffer | Promise<Buffer>): Promise<void> => {
    files[name] = path.join(dir, name);
    writeFileSync(files[name]!, await bytes);
  };
  sources.rgb = noise(37, 23, 3, 1);
  await put('rgb.png', raw(sources.rgb, 37, 23, 3).png().toBuffer());
  sources.photo = noise(300, 200, 3, 2);
  await put('photo.jpg', raw(sources.photo, 300, 200, 3).jpeg({ quality: 90 }).toBuffer());
  await put('portrait.jpg', raw(noise(150, 260, 3, 3), 150, 260, 3).jpeg({ quality: 85, chromaSubsampling: '4:2:0' }).toBuffer());
  sources.grey = noise(40, 30, 1, 4);
  await put('grey.png', raw(sources.grey, 40, 30, 1).toColourspace('b-w').png().toBuffer());
  sources.greyAlpha = noise(20, 10, 2, 5);
  await put('grey-alpha.png', raw(sources.greyAlpha, 20, 10, 2).toColourspace('b-w').png().toBuffer());
  sources.rgba = noise(33, 17, 4, 6);
  for (let i = 3; i < sources.rgba.length; i += 8) sources.rgba[i] = 0; // fully transparent pixels keep their colour in Pillow
  await put('rgba.png', raw(sources.rgba, 33, 17, 4).png().toBuffer());
  await put('rgb16.png', raw(sources.rgb, 37, 23, 3).toColourspace('rgb16').png().toBuffer());
  await put('grey16.png', raw(sources.grey, 40, 30, 1).toColourspace('grey16').png().toBuffer());
  await put('cmyk.jpg', raw(noise(64, 48, 3, 7), 64, 48, 3).toColourspace('cmyk').jpeg({ quality: 95 }).toBuffer());
  await put('exif-rotated.jpg', raw(noise(60, 30, 3, 8), 60, 30, 3).jpeg().withMetadata({ orientation: 6 }).toBuffer());
  await put('palette.png', raw(noise(50, 40, 3, 9), 50, 40, 3).png({ palette: true, colours: 16 }).toBuffer());
  await put('lossless.webp', raw(sources.rgb, 37, 23, 3).webp({ lossless: true }).toBuffer());
  await put('small.png', raw(noise(12, 7, 3, 10), 12, 7, 3).png().toBuffer());
  await put('lossy.webp', raw(sources.photo, 300, 200, 3).webp({ quality: 80 }).toBuffer());
  await put('grey.jpg', raw(sources.grey, 40, 30, 1).toColourspace('b-w').jpeg({ quality: 90 }).toBuffer());
  await put('progressive.jpg', raw(sources.photo, 300, 200, 3).jpeg({ quality: 80, progressive: true }).toBuffer());
  sources.rgba16 = noise(9, 5, 4, 11);
  await put('rgba16.png', raw(sources.rgba16, 9, 5, 4).toColourspace('rgb16').png().toBuffer());
  return { dir, files, sources };
}

function rgbOf(b: Buffer, channels: number, pixels: number): Uint8Array {
  const out = new Uint8Array(pixels * 3);
  for (let p = 0; p < pixels; p++) for (let c = 0; c < 3; c++) out[p * 3 + c] = b[p * channels + (channels <= 2 ? 0 : c)]!;
  return out;
}

test('decoding: RGB, grey (replicated), alpha dropped without compositing, 16-bit (high byte; plain grey clipped as Pillow), EXIF orientation not applied', async () => {
  const { dir, cleanup } = tempDir();
  try {
    const m = await makeImages(dir);
    const rgb = await decodeImageFile(m.files['rgb.png']!);
    assert.deepEqual([rgb.width, rgb.height], [37, 23]);
    assert.deepEqual(rgb.data, new Uint8Array(m.sources.rgb!));
    assert.deepEqual((await decodeImageFile(m.files['lossless.webp']!)).data, new Uint8Array(m.sources.rgb!));
    assert.deepEqual((await decodeImageFile(m.files['rgb16.png']!)).data, new Uint8Array(m.sources.rgb!));
    assert.deepEqual((await decodeImageFile(m.files['grey.png']!)).data, rgbOf(m.sources.grey!, 1, 40 * 30));
    assert.deepEqual((await decodeImageFile(m.files['grey-alpha.png']!)).data, rgbOf(m.sources.greyAlpha!, 2, 20 * 10));
    assert.deepEqual((await decodeImageFile(m.files['rgba.png']!)).data, rgbOf(m.sources.rgba!, 4, 33 * 17));
    // 16-bit grey v*257 opens in Pillow as mode I and converts with clipping: 0 stays 0, everything else is 255
    const g16 = await decodeImageFile(m.files['grey16.png']!);
    assert.deepEqual(g16.data, rgbOf(Buffer.from(m.sources.grey!.map((v) => (v === 0 ? 0 : 255))), 1, 40 * 30));
    const exif = await decodeImageFile(m.files['exif-rotated.jpg']!);
    assert.deepEqual([exif.width, exif.height], [60, 30], 'the stored orientation, not the displayed one');
    const cmyk = await decodeImageFile(m.files['cmyk.jpg']!);
    assert.deepEqual([cmyk.width, cmyk.height, cmyk.data.length], [64, 48, 64 * 48 * 3]);
  } finally {
    cleanup();
  }
});

test('bad files end in one DataError naming the file: truncated, not an image, empty, another format, missing', async () => {
  const { dir, cleanup } = tempDir();
  try {
    const m = await makeImages(dir);
    const jpeg = readFileSync(m.files['photo.jpg']!);
    const cases: [string, Buffer][] = [
      ['truncated.jpg', jpeg.subarray(0, Math.floor(jpeg.length * 0.6))],
      ['text.jpg', Buffer.from('these are not the pixels you are looking for\n')],
      ['empty.png', Buffer.alloc(0)],
      ['animation.png', await sharp(noise(8, 8, 3, 1), { raw: { width: 8, height: 8, channels: 3 } }).gif().toBuffer()],
    ];
    for (const [name, bytes] of cases) {
      const file = path.join(dir, name);
      writeFileSync(file, bytes);
      await assert.rejects(decodeImageFile(file), (err: unknown) => {
        assert.ok(err instanceof DataError, `${name}: ${String(err)}`);
        assert.equal(err.file, file);
        assert.match(err.message, /expected a readable JPEG, PNG, WEBP image/);
        assert.doesNotMatch(err.message, /\n/, 'one line');
        return true;
      });
    }
    await assert.rejects(decodeImageFile(path.join(dir, 'absent.jpg')), /absent\.jpg: found a file that cannot be read \(ENOENT\)/);
  } finally {
    cleanup();
  }
});

test('folders: class subfolders are labels (sorted), other files skipped; flat folder and list file unlabelled; an empty folder or class folder is an error', async () => {
  const { dir, cleanup } = tempDir();
  try {
    const img = await raw(noise(9, 9, 3, 1), 9, 9, 3).png().toBuffer();
    for (const [cls, names] of [['n02', ['b.PNG', 'a.png']], ['n01', ['x.jpeg']], ['n03', ['deep/y.webp']]] as const) {
      for (const n of names) {
        mkdirSync(path.dirname(path.join(dir, 'set', cls, n)), { recursive: true });
        writeFileSync(path.join(dir, 'set', cls, n), n.endsWith('webp') ? await sharp(img).webp().toBuffer() : n.endsWith('jpeg') ? await sharp(img).jpeg().toBuffer() : img);
      }
    }
    writeFileSync(path.join(dir, 'set', 'n02', 'README.txt'), 'not an image');
    writeFileSync(path.join(dir, 'set', 'n02', '.DS_Store'), 'x');
    writeFileSync(path.join(dir, 'set', 'LICENSE'), 'a file beside the class folders');
    const listing = await listImageFolder(path.join(dir, 'set'));
    assert.deepEqual(listing.classNames, ['n01', 'n02', 'n03']);
    assert.deepEqual(listing.files.map((f) => path.relative(path.join(dir, 'set'), f)), ['n01/x.jpeg', 'n02/a.png', 'n02/b.PNG', 'n03/deep/y.webp']);
    assert.deepEqual([...listing.labels!], [0, 1, 1, 2]);
    const ds = await loadDataset({ path: path.join(dir, 'set') });
    assert.equal(ds.kind, 'image-folder');
    assert.equal(ds.split('test').count, 4);
    // a link back up the tree is not followed forever
    symlinkSync(path.join(dir, 'set'), path.join(dir, 'set', 'n03', 'deep', 'loop'));
    assert.deepEqual((await listImageFolder(path.join(dir, 'set'))).files, listing.files);
    rmSync(path.join(dir, 'set', 'n03', 'deep', 'loop'));

    mkdirSync(path.join(dir, 'set', 'n04'));
    writeFileSync(path.join(dir, 'set', 'n04', 'notes.txt'), 'no images');
    await assert.rejects(loadDataset({ path: path.join(dir, 'set') }), (err: unknown) =>
      err instanceof DataError && err.file === path.join(dir, 'set', 'n04') && /class folder without image files/.test(err.message));

    mkdirSync(path.join(dir, 'empty'));
    writeFileSync(path.join(dir, 'empty', 'notes.txt'), 'x');
    await assert.rejects(loadDataset({ path: path.join(dir, 'empty') }), /empty: found a folder without image files \(1 other entries\); expected images/);

    mkdirSync(path.join(dir, 'flat'));
    writeFileSync(path.join(dir, 'flat', 'one.png'), img);
    writeFileSync(path.join(dir, 'flat', 'two.png'), img);
    const flat = await loadDataset({ path: path.join(dir, 'flat') });
    assert.equal(flat.classNames, null);
    assert.equal(flat.split('train').labels, null);

    writeFileSync(path.join(dir, 'list.txt'), '# two images\nflat/two.png\n\nset/n01/x.jpeg\n');
    const list = await loadDataset({ path: path.join(dir, 'list.txt') });
    assert.equal(list.kind, 'image-list');
    assert.equal(list.split('test').describe(1), path.join(dir, 'set', 'n01', 'x.jpeg'));
    const single = await loadDataset({ path: path.join(dir, 'flat', 'one.png') });
    assert.equal(single.kind, 'image');
    assert.equal(single.split('test').count, 1);
    await assert.rejects(loadDataset({ path: path.join(dir, 'set', 'LICENSE') }), /LICENSE: found a file that is neither an image nor a list/);
    await assert.rejects(loadDataset({ path: path.join(dir, 'nowhere') }), /nowhere: found nothing there \(ENOENT\)/);
  } finally {
    cleanup();
  }
});

test('lazy: listing decodes nothing (a corrupt file fails only when it is loaded); batches decode one batch at a time', async () => {
  const { dir, cleanup } = tempDir();
  try {
    const img = await raw(noise(16, 16, 3, 1), 16, 16, 3).png().toBuffer();
    for (let i = 0; i < 5; i++) writeFileSync(path.join(dir, `${i}.png`), img);
    writeFileSync(path.join(dir, '5.png'), Buffer.from('corrupt'));
    const ds = await loadDataset({ path: dir });
    const source = ds.split('test');
    assert.equal(source.count, 6);
    const p = resolvePreprocessing('authors-fourier', { inputSize: 8, cropPct: 1, interpolation: 'bicubic', mean: IMAGENET_MEAN, std: IMAGENET_STD });
    const batches = imageBatches(source, p, 2);
    const first = await batches.next();
    assert.ok(!first.done);
    assert.deepEqual(first.value.x.shape, [2, 8, 8, 3]);
    assert.deepEqual([...first.value.y], [-1, -1]);
    first.value.x.dispose();
    for (let b = 0; b < 1; b++) (await batches.next()).value!.x.dispose();
    await assert.rejects(batches.next(), (err: unknown) => err instanceof DataError && err.file === path.join(dir, '5.png'));
    assert.equal(chooseImages(source, 6, 0), undefined);
    const chosen = chooseImages(source, 3, 0)!;
    assert.equal(chosen.length, 3);
    assert.deepEqual([...chosen], [...chosen].sort((a, b) => a - b));
  } finally {
    cleanup();
  }
});

test("CIFAR-format data through loadDataset: labels as Int32Array, 'cifar' copies the bytes, timm-eval resizes them", async () => {
  const { dir, cleanup } = tempDir();
  try {
    const made = await makeGeneratedDataset({ out: dir, train: 200, test: 100, seed: 1 });
    const ds = await loadDataset({ path: dir, log: () => {} });
    assert.equal(ds.kind, 'generated');
    assert.equal(ds.classNames!.length, 100);
    const test = ds.split('test');
    assert.ok(test.labels instanceof Int32Array);
    const cifarCfg: ModelInputConfig = { inputSize: 32, cropPct: 1, interpolation: 'bicubic', mean: [0.5071, 0.4867, 0.4408], std: [0.2675, 0.2565, 0.2761] };
    const same = await loadImageSet(test, resolvePreprocessing('cifar', cifarCfg), [3, 7]);
    assert.deepEqual(same.images, Uint8Array.from([...made.test.images.subarray(3 * 3072, 4 * 3072), ...made.test.images.subarray(7 * 3072, 8 * 3072)]));
    assert.deepEqual([...same.fineLabels], [made.test.fineLabels[3], made.test.fineLabels[7]]);
    const big = await loadImageSet(test, resolvePreprocessing('timm-eval', { ...cifarCfg, inputSize: 56, cropPct: 0.875 }), [3]);
    assert.deepEqual([big.height, big.width, big.images.length], [56, 56, 56 * 56 * 3]);
    await assert.rejects(loadImageSet(test, resolvePreprocessing('cifar', { ...cifarCfg, inputSize: 64 }), [0]), /record 0: found a 32 x 32 image; expected 64 x 64 for --preprocess cifar/);
  } finally {
    cleanup();
  }
});

function pillowSkip(): string | false {
  const python = process.env.VITSCOPE_PYTHON || '/usr/bin/python3';
  const r = spawnSync(python, ['-c', 'import PIL, torch, torchvision'], { encoding: 'utf8' });
  if (r.status === 0) return false;
  const why = `${python} cannot import PIL, torch and torchvision`;
  if (process.env.CI) throw new Error(`${why}; CI must run the Pillow comparison`);
  return `Pillow comparison skipped: ${why}`;
}

test('the same bytes as Pillow convert(RGB) for every odd file, and the same tensors as timm-eval (torchvision) and the authors\' notebook', { skip: pillowSkip() }, async () => {
  const { dir, cleanup } = tempDir();
  try {
    const m = await makeImages(dir);
    const names = Object.keys(m.files);
    const transforms = [
      { name: 'timm', kind: 'timm-eval', size: 32, crop_pct: 0.875, interpolation: 'bicubic', mean: IMAGENET_MEAN, std: IMAGENET_STD },
      { name: 'timm-bilinear', kind: 'timm-eval', size: 24, crop_pct: 0.9, interpolation: 'bilinear', mean: [0.5, 0.5, 0.5], std: [0.5, 0.5, 0.5] },
      { name: 'timm-pad', kind: 'timm-eval', size: 20, crop_pct: 1.6, interpolation: 'bicubic', mean: IMAGENET_MEAN, std: IMAGENET_STD },
      { name: 'authors', kind: 'authors-fourier', size: 28, crop_pct: 1, interpolation: 'bicubic', mean: IMAGENET_MEAN, std: IMAGENET_STD },
    ] as const;
    const out = path.join(dir, 'out');
    mkdirSync(out);
    writeFileSync(path.join(dir, 'job.json'), JSON.stringify({ files: names.map((n) => m.files[n]), transforms }));
    const python = process.env.VITSCOPE_PYTHON || '/usr/bin/python3';
    const r = spawnSync(python, [path.join(here, 'py', 'pil_reference.py'), path.join(dir, 'job.json'), out], { encoding: 'utf8' });
    assert.equal(r.status, 0, r.stderr);
    const report = JSON.parse(r.stdout.trim().split('\n').pop()!) as { sizes: ([number, number] | null)[]; errors: (string | null)[] };
    for (const [i, name] of names.entries()) {
      assert.equal(report.errors[i], null, `${name}: Pillow failed: ${report.errors[i]}`);
      const ours: RgbImage = await decodeImageFile(m.files[name]!);
      assert.deepEqual([ours.width, ours.height], report.sizes[i], name);
      const theirs = new Uint8Array(readFileSync(path.join(out, `${i}.rgb`)));
      let differ = 0;
      for (let k = 0; k < theirs.length; k++) if (theirs[k] !== ours.data[k]) differ++;
      assert.equal(differ, 0, `${name}: ${differ} of ${theirs.length} bytes differ from Pillow's convert('RGB')`);
      for (const t of transforms) {
        const p = resolvePreprocessing(t.kind, { inputSize: t.size, cropPct: t.crop_pct, interpolation: t.interpolation, mean: t.mean, std: t.std });
        const x = normalizeImages(transformImage(ours, p, m.files[name]!), 1, undefined, p);
        const ref = new Float32Array(readFileSync(path.join(out, `${i}.${t.name}.f32`)).buffer.slice(0));
        assert.equal(x.length, ref.length, `${name} ${t.name}: size`);
        let worst = 0;
        for (let k = 0; k < ref.length; k++) worst = Math.max(worst, Math.abs(x[k]! - ref[k]!));
        // float32 normalisation in torch vs float64-then-rounded here: a few ulps; one byte off would be >= 0.017
        assert.ok(worst < 2e-6, `${name} ${t.name}: max |difference| ${worst}`);
      }
    }
  } finally {
    cleanup();
  }
});
