import { test } from 'node:test';
import assert from 'node:assert/strict';
import { command, formatTable, presetTable } from '../../src/cli/commands/models.ts';
import { countParams, flopsPerImage, listPresets } from '../../src/models/index.ts';
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { fileURLToPath } from 'node:url';

const REPO = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');

test('the models command lists every preset with its parameter count and FLOPs', async () => {
  assert.equal(command.name, 'models');
  const rows = presetTable(100);
  assert.deepEqual(rows.map((r) => r.preset), listPresets());
  for (const r of rows) {
    assert.equal(r.params, countParams(r.preset));
    assert.ok(Math.abs(r.gflops - flopsPerImage(r.preset) / 1e9) < 1e-12);
  }
  const text = formatTable(rows);
  for (const r of rows) assert.match(text, new RegExp(`^${r.preset} .* ${r.params} `, 'm'));
  let out = '';
  const write = process.stdout.write.bind(process.stdout);
  process.stdout.write = ((chunk: string) => {
    out += chunk;
    return true;
  }) as typeof process.stdout.write;
  try {
    await command.run({ 'num-classes': 10, json: true }, { log: () => undefined, signal: new AbortController().signal });
  } finally {
    process.stdout.write = write;
  }
  const json = JSON.parse(out) as { preset: string; params: number }[];
  assert.equal(json.find((r) => r.preset === 'resnet-20')!.params, countParams('resnet-20', { numClasses: 10 }));
});

test('npm run experiment models lists the production presets only (no test presets)', () => {
  const r = spawnSync(process.execPath, ['--import', 'tsx', 'src/cli/main.ts', 'models', '--json'], { cwd: REPO, encoding: 'utf8' });
  assert.equal(r.status, 0, r.stderr);
  const names = (JSON.parse(r.stdout) as { preset: string }[]).map((row) => row.preset);
  assert.deepEqual(names, listPresets());
  assert.ok(names.includes('vit-cpu') && !names.some((n) => n.endsWith('-test')), names.join(', '));
});

test('FLOPs follow the architecture: ViT attention grows with the square of the token count', () => {
  const base = { family: 'vit', preset: 'x', numClasses: 10, imageSize: 32, patchSize: 4, dim: 64, depth: 1, heads: 2, mlpRatio: 4, qkvBias: false, pool: 'gap', dropPathRate: 0, dropRate: 0 } as const;
  const f4 = flopsPerImage(base);
  const n4 = 64;
  // by hand: embedding + block (12 d^2 per token + 2 N^2 d) + head, times 2
  const expected = 2 * (n4 * 48 * 64 + n4 * 12 * 64 * 64 + 2 * n4 * n4 * 64 + 64 * 10);
  assert.equal(f4, expected);
  // ResNet-20 on CIFAR: about 41 M multiply-accumulates (He et al. 2016)
  assert.ok(Math.abs(flopsPerImage('resnet-20', { numClasses: 10 }) / 2 - 41e6) < 1.5e6);
});

test('a mistyped or unknown preset anywhere ends in one line naming the value and the nearest preset, exit status 2, nothing written', () => {
  const results = path.join(os.tmpdir(), `vitscope-typo-${process.pid}-${Date.now()}`);
  const cases: [string[], RegExp][] = [
    [['fourier', '--preset', 'vit-tii', '--results', results], /'vit-tii' \(did you mean 'vit-ti'\?\)/],
    [['import', '--from', path.join(REPO, 'package.json'), '--arch', 'pit-ti-225'], /option '--arch': unknown model preset 'pit-ti-225' \(did you mean 'pit-ti-224'\?\)/],
    [['train', '--model', 'swin-tiny', '--results', results], /'swin-tiny-224' \(the nearest preset\)/],
  ];
  for (const [args, pattern] of cases) {
    const r = spawnSync(process.execPath, ['--import', 'tsx', 'src/cli/main.ts', ...args], { cwd: REPO, encoding: 'utf8', env: { ...process.env, VITSCOPE_DEBUG: '' } });
    // (stderr also carries the backend line and data warnings; the error itself is one line)
    assert.equal(r.status, 2, `${args.join(' ')}: exit ${r.status}\n${r.stderr}`);
    const lines = r.stderr.split('\n').filter((l) => pattern.test(l));
    assert.equal(lines.length, 1, `${args.join(' ')}: one error line, got:\n${r.stderr}`);
    assert.doesNotMatch(r.stderr, /registry\.ts|^\s+at .*\.ts:\d+/m, 'no stack trace');
  }
  assert.equal(existsSync(results), false, 'nothing written');
});
