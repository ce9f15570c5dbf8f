// Field checks that family validators share: each failure names the configuration's preset, the field,
// what was found and what was expected ("model config 'vit-ti': field 'heads' is 5, expected ...").
import type { ModelConfig } from './model.ts';
import { EXIT_USAGE, ExpectedError } from '../util/errors.ts';

type Fields = ModelConfig | Record<string, unknown>;

/** A model configuration or preset name that cannot work: one line (the CLI prints it without a stack, exit status 2). */
export class ModelConfigError extends ExpectedError {
  constructor(message: string) {
    super(message, { exitCode: EXIT_USAGE });
    this.name = 'ModelConfigError';
  }
}

export function fail(config: Fields, field: string, found: unknown, expected: string): never {
  throw new ModelConfigError(`model config '${String(config.preset)}': field '${field}' is ${JSON.stringify(found) ?? 'missing'}, expected ${expected}`);
}

function field(config: Fields, name: string): unknown {
  return (config as Record<string, unknown>)[name];
}

export function positiveInt(config: Fields, name: string): number {
  const v = field(config, name);
  if (typeof v !== 'number' || !Number.isInteger(v) || v <= 0) fail(config, name, v, 'a positive integer');
  return v;
}

export function positiveNumber(config: Fields, name: string): number {
  const v = field(config, name);
  if (typeof v !== 'number' || !(v > 0) || !Number.isFinite(v)) fail(config, name, v, 'a positive number');
  return v;
}

/** A non-empty list of positive integers, of `length` entries when given. */
export function positiveIntList(config: Fields, name: string, length?: number): number[] {
  const v = field(config, name);
  if (!Array.isArray(v) || v.length === 0 || v.some((e) => typeof e !== 'number' || !Number.isInteger(e) || e <= 0))
    fail(config, name, v, 'a non-empty list of positive integers');
  if (length !== undefined && v.length !== length) fail(config, name, v, `a list of ${length} entries`);
  return v as number[];
}

/** A drop rate in [0, 1). */
export function rate(config: Fields, name: string): number {
  const v = field(config, name);
  if (typeof v !== 'number' || !(v >= 0 && v < 1)) fail(config, name, v, 'a number in [0, 1)');
  return v;
}

export function boolean(config: Fields, name: string): boolean {
  const v = field(config, name);
  if (typeof v !== 'boolean') fail(config, name, v, 'a boolean');
  return v;
}

/** One of the given string values (an absent optional field passes when `optional`). */
export function oneOf<T extends string>(config: Fields, name: string, values: readonly T[], opts: { optional?: boolean } = {}): T | undefined {
  const v = field(config, name);
  if (v === undefined && opts.optional === true) return undefined;
  if (typeof v !== 'string' || !values.includes(v as T)) fail(config, name, v, values.map((x) => `'${x}'`).join(' or '));
  return v as T;
}
