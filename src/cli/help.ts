// Help texts: the global list of commands and each command's options.
import type { Command, OptionSpec } from './command.ts';
import { optionsFor, SHARED_OPTIONS } from './options.ts';
import type { Registry } from './registry.ts';

function optionLine(o: OptionSpec): string {
  const flag = o.type === 'boolean' ? `--${o.name}` + (o.default === true ? ` / --no-${o.name}` : '') : `--${o.name} <${o.choices ? o.choices.join('|') : o.type}>`;
  const def = o.default !== undefined && !(o.type === 'boolean' && o.default === false) ? ` (default: ${Array.isArray(o.default) ? o.default.join(',') || '""' : String(o.default)})` : '';
  return `  ${flag.padEnd(34)} ${o.help}${def}`;
}

export function commandHelp(cmd: Command): string {
  const shared = new Set(SHARED_OPTIONS.map((s) => s.name));
  const own = new Set(cmd.options.map((o) => o.name));
  const all = optionsFor(cmd);
  const mine = all.filter((o) => own.has(o.name) || !shared.has(o.name));
  const common = all.filter((o) => !own.has(o.name) && shared.has(o.name));
  return [
    `Usage: npm run experiment ${cmd.name} -- [options]`,
    '',
    cmd.summary,
    '',
    ...(mine.length ? ['Options:', ...mine.map(optionLine), ''] : []),
    'Common options:',
    ...common.map(optionLine),
    '',
    'Flags: --name value, --name=value, --flag / --no-flag. Lists are comma-separated.',
    'A --config JSON file holds { "option-name": value, ... }; flags given on the command line override it.',
  ].join('\n');
}

export function globalHelp(reg: Registry): string {
  const names = [...reg.commands.keys()].sort();
  const width = Math.max(10, ...names.map((n) => n.length)) + 2;
  const lines = [
    'Usage: npm run experiment <command> -- [options]',
    '       npm run experiment <command> -- --help',
    '',
    'Commands:',
    ...names.map((n) => `  ${n.padEnd(width)}${reg.commands.get(n)!.summary}`),
  ];
  if (reg.broken.length)
    lines.push('', 'Command files that failed to load:', ...reg.broken.map((b) => `  ${b.name.padEnd(width)}${b.error.split('\n')[0]}`));
  lines.push('', 'Common options (every command):', ...SHARED_OPTIONS.map(optionLine));
  return lines.join('\n');
}
