import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { readdirSync } from 'node:fs';
import * as path from 'node:path';
import { fileURLToPath } from 'node:url';
import { getRegistry } from '../../src/cli/registry.ts';
import { optionsFor, readConfigFile, completeOptions } from '../../src/cli/options.ts';
import { createContext } from '../../src/cli/context.ts';
import { Reporter } from '../../src/cli/progress.ts';
import { TRAIN_OPTIONS, trainConfigFromOptions } from '../../src/train/config.ts';

const repo = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');
const main = path.join(repo, 'src', 'cli', 'main.ts');

function cli(...args: string[]): { code: number | null; stdout: string; stderr: string } {
  const r = spawnSync(process.execPath, ['--import', 'tsx', main, ...args], { cwd: repo, encoding: 'utf8', env: { ...process.env, VITSCOPE_BACKEND: 'cpu' } });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

test('the registry holds train, datasize and all (and whatever analyses are present)', async () => {
  const reg = await getRegistry();
  for (const name of ['train', 'datasize', 'all']) assert.ok(reg.commands.has(name), `missing ${name}`);
  assert.deepEqual(reg.broken.map((b) => b.name), [], `broken command files: ${reg.broken.map((b) => b.error).join('\n')}`);
});

test('CLI: global help lists commands; bad options exit 2 with the valid ones listed', () => {
  const help = cli('--help');
  assert.equal(help.code, 0);
  assert.match(help.stdout, /Commands:[\s\S]*\ball\b[\s\S]*\bdatasize\b[\s\S]*\btrain\b/);
  const bad = cli('train', '--epoch', '3');
  assert.equal(bad.code, 2);
  assert.match(bad.stderr, /unknown option '--epoch' \(did you mean --epochs/);
  assert.match(bad.stderr, /Valid options:.*--batch-size/s);
  const wrongType = cli('train', '--model', 'vit-cpu', '--batch-size', 'big');
  assert.equal(wrongType.code, 2);
  assert.match(wrongType.stderr, /'--batch-size' got "big", expected an integer/);
  const unknownCmd = cli('trian');
  assert.equal(unknownCmd.code, 2);
  assert.match(unknownCmd.stderr, /unknown command 'trian'/);
  const cmdHelp = cli('datasize', '--help');
  assert.equal(cmdHelp.code, 0);
  assert.match(cmdHelp.stdout, /--fractions <list>.*0\.02,0\.1,0\.5,1\.0/);
});

test('every config file validates; the paper configs carry the paper recipe and decay all parameters', () => {
  const dir = path.join(repo, 'configs');
  const files = readdirSync(dir).filter((f) => f.endsWith('.json'));
  for (const p of ['vit-ti', 'swin-ti', 'resnet-50', 'alternet-50', 'resnet-18', 'vit-cpu', 'resnet-20', 'swin-cpu', 'alternet-20'])
    assert.ok(files.includes(`${p}.json`), `configs/${p}.json missing`);
  const specs = optionsFor({ options: TRAIN_OPTIONS });
  for (const f of files) {
    const values = readConfigFile(path.join(dir, f), specs);
    const c = trainConfigFromOptions(completeOptions({ name: f, options: TRAIN_OPTIONS }, values));
    assert.equal(`${c.model}.json`, f.replace('-weak', ''), `${f} names model ${c.model}`);
    if (['vit-ti.json', 'swin-ti.json', 'resnet-50.json', 'alternet-50.json', 'resnet-18.json'].includes(f)) {
      assert.deepEqual(
        [c.optimizer, c.lr, c.batchSize, c.weightDecay, c.epochs, c.warmupEpochs, c.clipNorm, c.randAugmentOps, c.randAugmentMagnitude, c.mixup, c.cutmix, c.labelSmoothing, c.dropPath, c.schedule],
        ['adamw', 1.25e-4, 96, 0.05, 300, 5, 5, 2, 9, 1.0, 0.8, 0.1, 0.1, 'cosine'],
        f,
      );
      assert.deepEqual(c.noDecayRoles, [], `${f} must decay all parameters`);
    }
    if (f.endsWith('-weak.json'))
      assert.deepEqual([c.optimizer, c.lr, c.momentum, c.weightDecay, c.batchSize, c.epochs, c.milestones, c.gamma, c.schedule], ['sgd', 0.1, 0.9, 5e-4, 128, 200, [60, 120, 160], 0.2, 'step'], f);
  }
});

test('SIGTERM/SIGINT abort the context signal (the training loop then checkpoints)', () => {
  const lines: string[] = [];
  const ctx = createContext({ reporter: new Reporter({ write: (s: string) => lines.push(s) }, { tty: false }) });
  try {
    assert.equal(ctx.signal.aborted, false);
    process.emit('SIGTERM', 'SIGTERM');
    assert.equal(ctx.signal.aborted, true);
    assert.match(lines.join(''), /SIGTERM: stopping after the current step/);
  } finally {
    ctx.dispose();
  }
  assert.equal(process.listenerCount('SIGTERM'), 0);
});
