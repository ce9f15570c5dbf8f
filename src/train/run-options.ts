// The options every run accepts (training and every analysis): backend, data, run name, results root, seed.
// The CLI adds --config and --help (src/cli/options.ts SHARED_OPTIONS).
import { BACKEND_NAMES } from '../backend/select.ts';
import type { OptionSpec } from '../util/settings.ts';

export const RUN_OPTIONS: readonly OptionSpec[] = [
  { name: 'backend', type: 'string', default: 'auto', choices: ['auto', ...BACKEND_NAMES], help: 'tensor backend' },
  { name: 'data', type: 'string', help: 'data: a CIFAR-format folder (CIFAR-100 binary or the generated set; default: data/); analyses also read an image folder (class/*.JPEG subfolders or flat), a list file of image paths, or one image' },
  { name: 'run', type: 'string', help: 'run name: outputs go to <results>/<run>/ (default: depends on the command)' },
  { name: 'results', type: 'string', default: 'results', help: 'results root directory' },
  { name: 'seed', type: 'integer', default: 0, help: 'random seed (a run is repeatable on the same backend)' },
];
