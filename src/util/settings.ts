// Settings schemas: the typed, defaulted, validated options of an experiment or a library protocol, declared once
// and read by the CLI (flags, --help, --config), the notebooks and the tests. Names are kebab-case as on the
// command line (`train-size`); records passed in code may use camelCase (`trainSize`).

export type OptionType = 'string' | 'number' | 'integer' | 'boolean' | 'list';

export interface OptionSpec {
  name: string; // kebab-case flag without dashes, e.g. 'train-size'
  type: OptionType;
  help: string;
  default?: string | number | boolean | string[];
  choices?: readonly string[];
}

export type OptionValues = Record<string, string | number | boolean | string[] | undefined>;

export function kebabCase(name: string): string {
  return name.replace(/[A-Z]/g, (c) => '-' + c.toLowerCase());
}

export function camelCase(name: string): string {
  return name.replace(/-([a-z0-9])/g, (_, c: string) => c.toUpperCase());
}

export function editDistance(a: string, b: string): number {
  const d = Array.from({ length: a.length + 1 }, (_, i) => [i, ...new Array<number>(b.length).fill(0)]);
  for (let j = 1; j <= b.length; j++) d[0]![j] = j;
  for (let i = 1; i <= a.length; i++)
    for (let j = 1; j <= b.length; j++)
      d[i]![j] = Math.min(d[i - 1]![j]! + 1, d[i]![j - 1]! + 1, d[i - 1]![j - 1]! + (a[i - 1] === b[j - 1] ? 0 : 1));
  return d[a.length]![b.length]!;
}

/** Names close to `name` (substring either way, or at most two edits): the "did you mean" of an unknown key. */
export function nearestNames(name: string, valid: readonly string[]): string[] {
  return valid.filter((v) => v.includes(name) || name.includes(v) || editDistance(v, name) <= 2);
}
