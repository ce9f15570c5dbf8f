// Command-line options of `npm run bench`.
export interface BenchArgs {
  backends: string[] | null; // null: every available one
  models: string[];
  batches: number[] | null; // null: the defaults per backend
  steps: number | null; // null: the defaults per backend
  warmup: number | null;
  quick: boolean;
  torch: boolean;
  micro: boolean;
  train: boolean;
  hvp: boolean;
  /** Rounds of paired measurements (PyTorch and native back to back, order alternating); null: 3, --quick 1. */
  rounds: number | null;
  /** The paper's presets (PAPER_PRESETS) at batch 16 and 64, steps and products, instead of the CPU presets. */
  paper: boolean;
}

/** The paper's presets: the models the science is done on (bench/torch_step.py builds each in PyTorch, timm's where timm has it). */
export const PAPER_PRESETS = ['vit-ti', 'swin-ti', 'resnet-50', 'alternet-50', 'pit-ti', 'mixer-ti', 'mobilevit-xxs'] as const;
export const PAPER_BATCHES = [16, 64] as const;

const USAGE =
  'usage: npm run bench -- [--backends native,wasm,cpu] [--models vit-cpu,swin-cpu,resnet-20,alternet-20] [--batches 32,128] [--steps N] [--warmup N] [--rounds N] [--paper] [--quick] [--no-torch] [--no-micro] [--no-train] [--no-hvp]';

function list(flag: string, value: string | undefined): string[] {
  if (value === undefined || value === '' || value.startsWith('--')) throw new Error(`${flag}: expected a comma-separated list\n${USAGE}`);
  return value.split(',').map((s) => s.trim()).filter((s) => s.length > 0);
}

function positiveInt(flag: string, value: string): number {
  const n = Number(value);
  if (!Number.isInteger(n) || n < 0) throw new Error(`${flag}: expected a non-negative integer, found '${value}'\n${USAGE}`);
  return n;
}

export function parseArgs(argv: readonly string[]): BenchArgs {
  const a: BenchArgs = { backends: null, models: ['vit-cpu', 'swin-cpu', 'resnet-20', 'alternet-20'], batches: null, steps: null, warmup: null, quick: false, torch: true, micro: true, train: true, hvp: true, rounds: null, paper: false };
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i]!;
    const [flag, inline] = arg.includes('=') ? [arg.slice(0, arg.indexOf('=')), arg.slice(arg.indexOf('=') + 1)] : [arg, undefined];
    const value = () => inline ?? argv[++i];
    switch (flag) {
      case '--backends': a.backends = list(flag, value()); break;
      case '--models': a.models = list(flag, value()); break;
      case '--batches': a.batches = list(flag, value()).map((b) => positiveInt(flag, b)); break;
      case '--steps': a.steps = Math.max(1, positiveInt(flag, value() ?? '')); break;
      case '--warmup': a.warmup = positiveInt(flag, value() ?? ''); break;
      case '--rounds': a.rounds = Math.max(1, positiveInt(flag, value() ?? '')); break;
      case '--quick': a.quick = true; break;
      case '--paper': a.paper = true; break;
      case '--no-torch': a.torch = false; break;
      case '--no-micro': a.micro = false; break;
      case '--no-train': a.train = false; break;
      case '--no-hvp': a.hvp = false; break;
      case '--help': case '-h': throw new Error(USAGE);
      default: throw new Error(`unknown option '${arg}'\n${USAGE}`);
    }
  }
  if (a.paper) {
    if (!argv.some((x) => x === '--models' || x.startsWith('--models='))) a.models = [...PAPER_PRESETS];
    a.batches ??= [...PAPER_BATCHES];
  }
  return a;
}
