import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, writeFileSync, mkdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import type { Command, OptionValues } from '../../src/cli/command.ts';
import { OptionError, parseFlags, resolveOptions, completeOptions, optionsFor } from '../../src/cli/options.ts';
import { discoverCommands, loadCommand, runCommand } from '../../src/cli/registry.ts';
import { bareContext } from '../../src/cli/context.ts';
import { commandHelp, globalHelp } from '../../src/cli/help.ts';
import { Reporter } from '../../src/cli/progress.ts';

const cmd: Command = {
  name: 'demo',
  summary: 'a demo command',
  options: [
    { name: 'train-size', type: 'integer', help: 'images', default: 100 },
    { name: 'lr', type: 'number', help: 'learning rate', default: 0.1 },
    { name: 'augment', type: 'boolean', help: 'augment', default: true },
    { name: 'resume', type: 'boolean', help: 'resume', default: false },
    { name: 'optimizer', type: 'string', help: 'opt', default: 'sgd', choices: ['sgd', 'adamw'] },
    { name: 'fractions', type: 'list', help: 'fractions', default: ['0.5', '1'] },
  ],
  run: async () => {},
};

test('flags: space and = forms, booleans and --no-, lists, defaults kept', () => {
  const o = resolveOptions(cmd, ['--train-size', '5000', '--lr=1e-3', '--resume', '--no-augment', '--fractions', '0.02,0.1', '--seed=7']);
  assert.equal(o['train-size'], 5000);
  assert.equal(o.lr, 1e-3);
  assert.equal(o.resume, true);
  assert.equal(o.augment, false);
  assert.deepEqual(o.fractions, ['0.02', '0.1']);
  assert.equal(o.seed, 7);
  assert.equal(o.optimizer, 'sgd');
  assert.equal(o.backend, 'auto');
  assert.equal(o.results, 'results');
});

test('unknown options are rejected with a message listing the valid ones', () => {
  assert.throws(
    () => resolveOptions(cmd, ['--trian-size', '5']),
    (err: unknown) => err instanceof OptionError && /unknown option '--trian-size'/.test(err.message) && /did you mean --train-size/.test(err.message) && /Valid options:.*--lr.*--backend/s.test(err.message),
  );
});

test('invalid values are rejected naming the option, the value and the expected type', () => {
  assert.throws(() => resolveOptions(cmd, ['--train-size', '1.5']), /'--train-size' got "1.5", expected an integer/);
  assert.throws(() => resolveOptions(cmd, ['--lr', 'fast']), /'--lr' got "fast", expected a number/);
  assert.throws(() => resolveOptions(cmd, ['--optimizer', 'adam']), /expected one of sgd, adamw/);
  assert.throws(() => resolveOptions(cmd, ['--lr']), /'--lr' needs a value/);
  assert.throws(() => resolveOptions(cmd, ['stray']), /unexpected argument 'stray'/);
  assert.throws(() => resolveOptions(cmd, ['--backend', 'gpu']), /expected one of auto, tensorflow/);
});

test('config file values apply, flags override them, unknown keys name the file', () => {
  const dir = mkdtempSync(path.join(tmpdir(), 'vitscope-cli-'));
  const file = path.join(dir, 'c.json');
  writeFileSync(file, JSON.stringify({ _comment: 'ignored', trainSize: 42, lr: 0.5, augment: false, fractions: [0.1, 0.2] }));
  const o = resolveOptions(cmd, ['--config', file, '--lr', '0.25']);
  assert.equal(o['train-size'], 42);
  assert.equal(o.lr, 0.25);
  assert.equal(o.augment, false);
  assert.deepEqual(o.fractions, ['0.1', '0.2']);
  writeFileSync(file, JSON.stringify({ 'batch-sise': 3 }));
  assert.throws(() => resolveOptions(cmd, ['--config', file]), (e: unknown) => e instanceof OptionError && e.message.includes(file) && e.message.includes("'--batch-sise'"));
  writeFileSync(file, JSON.stringify({ lr: 'x' }));
  assert.throws(() => resolveOptions(cmd, ['--config', file]), /c\.json: option '--lr' got "x"/);
});

test('programmatic options are completed and validated like flags', () => {
  const o = completeOptions(cmd, { trainSize: 9, 'lr': 2 });
  assert.equal(o['train-size'], 9);
  assert.equal(o.augment, true);
  assert.throws(() => completeOptions(cmd, { bogus: 1 }), OptionError);
  assert.ok(optionsFor(cmd).some((s) => s.name === 'seed'));
  assert.equal(parseFlags(['-h'], optionsFor(cmd)).values.help, true);
});

test('help lists the command options and the shared ones', () => {
  const h = commandHelp(cmd);
  assert.match(h, /--train-size <integer>/);
  assert.match(h, /--augment \/ --no-augment/);
  assert.match(h, /Common options:[\s\S]*--backend/);
});

test('registry discovers command files, reports broken ones, and runs commands with completed options', async () => {
  const dir = mkdtempSync(path.join(tmpdir(), 'vitscope-cmds-'));
  mkdirSync(dir, { recursive: true });
  writeFileSync(
    path.join(dir, 'hello.ts'),
    `export const command = { name: 'hello', summary: 'says hello', options: [{ name: 'who', type: 'string', help: 'who', default: 'world' }],
       run: async (opts, ctx) => { ctx.log('hello ' + opts.who + ' ' + opts.seed); } };`,
  );
  writeFileSync(path.join(dir, 'broken.ts'), `export const nothing = 1;`);
  const reg = await discoverCommands(dir);
  assert.deepEqual([...reg.commands.keys()], ['hello']);
  assert.equal(reg.broken.length, 1);
  assert.equal(reg.broken[0]!.name, 'broken');
  assert.match(globalHelp(reg), /hello\s+says hello/);
  const lines: string[] = [];
  await runCommand('hello', { who: 'vit' } as OptionValues, bareContext({ lines }), reg);
  assert.deepEqual(lines, ['hello vit 0']);
  await assert.rejects(runCommand('hello', { whom: 'x' }, bareContext(), reg), OptionError);
  await assert.rejects(runCommand('nope', {}, bareContext(), reg), /unknown command 'nope'/);
});

test('progress: plain lines when not a TTY, redrawn bar with ETA on a TTY', () => {
  let out = '';
  const sink = { write: (s: string) => ((out += s), true) };
  const plain = new Reporter(sink, { tty: false, plainEverySeconds: 0 });
  const p = plain.progress({ label: 'epoch 1', total: 4 });
  p.update(2, { loss: 1.5, acc: 0.25, rate: 100 });
  p.finish('done');
  assert.match(out, /epoch 1 2\/4 \(50%\)\s+loss 1\.5000\s+acc 25\.0%\s+100\.0 img\/s/);
  assert.ok(!out.includes('\r'));
  out = '';
  const tty = new Reporter(sink, { tty: true });
  const q = tty.progress({ label: 'epoch 1', total: 4 });
  q.update(4, { loss: 1 });
  tty.log('message');
  q.finish();
  assert.match(out, /\r\x1b\[2Kepoch 1 \[=+\] 4\/4/);
  assert.match(out, /ETA/);
  assert.match(out, /message\n/);
});

test('a repeated list flag adds up, as comma-separated values do', () => {
  const o = resolveOptions(cmd, ['--fractions', '0.02', '--fractions=0.1,0.5']);
  assert.deepEqual(o.fractions, ['0.02', '0.1', '0.5']);
});

test('loadCommand imports only the named command file: another file that would throw on import is not touched', async () => {
  const dir = mkdtempSync(path.join(tmpdir(), 'vitscope-cmds-'));
  writeFileSync(path.join(dir, 'hello.ts'), `export const command = { name: 'hello', summary: 's', options: [], run: async () => {} };`);
  writeFileSync(path.join(dir, 'other.ts'), `globalThis.__vitscopeOtherLoaded = true; export const command = { name: 'other', summary: 's', options: [], run: async () => {} };`);
  writeFileSync(path.join(dir, 'renamed.ts'), `export const command = { name: 'different', summary: 's', options: [], run: async () => {} };`);
  const cmd = await loadCommand('hello', dir);
  assert.equal(cmd?.name, 'hello');
  assert.equal((globalThis as { __vitscopeOtherLoaded?: boolean }).__vitscopeOtherLoaded, undefined);
  assert.equal(await loadCommand('nope', dir), null);
  assert.equal(await loadCommand('../hello', dir), null, 'names are not paths');
  assert.equal(await loadCommand('renamed', dir), null, 'a file whose command has another name is left to the registry');
});
