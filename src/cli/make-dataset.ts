// npm run make-dataset -- --out DIR [--train N] [--test N] [--seed S]
// Writes a CIFAR-100-format directory (train.bin, test.bin, fine_label_names.txt, coarse_label_names.txt)
// of generated images, plus vitscope-generated.json marking it as generated.
import * as path from 'node:path';
import { parseArgs } from 'node:util';
import { GENERATED_DEFAULTS, makeGeneratedDataset } from '../data/generate.ts';

const USAGE = `usage: npm run make-dataset -- --out DIR [--train N] [--test N] [--seed S]
  --out DIR    directory to write (created if needed)
  --train N    training images (default ${GENERATED_DEFAULTS.train})
  --test N     test images (default ${GENERATED_DEFAULTS.test})
  --seed S     seed (default ${GENERATED_DEFAULTS.seed})`;

function positiveInt(name: string, value: string | undefined, fallback: number, min = 1): number {
  if (value === undefined) return fallback;
  const n = Number(value);
  if (!Number.isInteger(n) || n < min) throw new Error(`--${name}: got '${value}', expected an integer >= ${min}`);
  return n;
}

export async function main(argv: string[]): Promise<number> {
  let values;
  try {
    ({ values } = parseArgs({
      args: argv,
      options: { out: { type: 'string' }, train: { type: 'string' }, test: { type: 'string' }, seed: { type: 'string' }, help: { type: 'boolean', short: 'h' } },
      strict: true,
    }));
  } catch (err) {
    console.error(`${(err as Error).message}\n${USAGE}`);
    return 2;
  }
  if (values.help) {
    console.log(USAGE);
    return 0;
  }
  if (!values.out) {
    console.error(`--out is required\n${USAGE}`);
    return 2;
  }
  let train: number, test: number, seed: number;
  try {
    train = positiveInt('train', values.train, GENERATED_DEFAULTS.train);
    test = positiveInt('test', values.test, GENERATED_DEFAULTS.test);
    seed = positiveInt('seed', values.seed, GENERATED_DEFAULTS.seed, 0);
  } catch (err) {
    console.error(`${(err as Error).message}\n${USAGE}`);
    return 2;
  }
  const out = path.resolve(values.out);
  const t0 = performance.now();
  await makeGeneratedDataset({ out, train, test, seed });
  console.error(`wrote ${train} train + ${test} test generated images (seed ${seed}) to ${out} in ${((performance.now() - t0) / 1000).toFixed(2)} s`);
  console.error('note: generated shapes, NOT CIFAR-100; loadCifar({ dir }) will say so.');
  return 0;
}

if (import.meta.url === `file://${process.argv[1]}` || process.argv[1]?.endsWith('make-dataset.ts')) {
  main(process.argv.slice(2)).then(
    (code) => process.exit(code),
    (err) => {
      console.error(err instanceof Error ? err.message : err);
      process.exit(1);
    },
  );
}
