// The import experiment: weights trained elsewhere (a torch.save checkpoint or safetensors with timm's or the
// authors' key names) into a vitscope checkpoint directory that the analyses read as a checkpoint. The work is
// src/models/import's importCheckpoint; this adds the settings schema, their check and a typed summary.
import { countParams, importCheckpoint, type ImportResult, type PretrainedCfg } from '../models/index.ts';
import { sourceIds } from '../models/import/index.ts';
import { OptionError, type OptionSpec } from '../util/settings.ts';
import { checkSettingKeys } from './analysis-support.ts';
import type { RunOptions } from './run-options.ts';

/** The options of `import` (flags, --help, --config). */
export const IMPORT_SETTINGS: readonly OptionSpec[] = [
  { name: 'from', type: 'string', help: 'the checkpoint file: torch.save output (.pt/.pth/.pth.tar; zip or legacy format) or .safetensors' },
  { name: 'arch', type: 'string', help: "the vitscope preset to build, e.g. vit-ti (the authors' CIFAR ViT-Ti), vit-ti-16-224 (timm vit_tiny_patch16_224), resnet-50" },
  { name: 'out', type: 'string', help: 'the checkpoint directory to write (must not exist); without it the file is only checked' },
  { name: 'source', type: 'string', choices: sourceIds(), help: 'the naming of the checkpoint (default: recognised from its keys)' },
  {
    name: 'pretrained-cfg', type: 'string',
    help: 'JSON of the preprocessing fields that differ from the preset\'s pretrained_cfg, e.g. \'{"mean":[0.5,0.5,0.5],"std":[0.5,0.5,0.5],"cropPct":0.9}\' (inputSize, mean, std, interpolation, cropPct)',
  },
];

export interface ImportSettings {
  /** The checkpoint file to import. */
  from: string;
  /** The vitscope preset to build. */
  arch: string;
  /** The checkpoint directory to write (must not exist); absent: the file is only checked. */
  out?: string;
  /** The source naming (an id of sourceIds()); default: recognised from the keys. */
  source?: string;
  /** JSON: preprocessing fields that differ from the preset's pretrained_cfg. */
  pretrainedCfg?: string;
}

export interface ImportExperimentResult extends ImportResult {
  /** The preset built, its class count (from the checkpoint's head) and parameter count. */
  preset: string;
  numClasses: number;
  params: number;
}

/** Checks the settings; the message names the option, what was found and what is expected. */
export function checkImportSettings(settings: Partial<ImportSettings>): asserts settings is ImportSettings {
  checkSettingKeys('import', settings, ['from', 'arch', 'out', 'source', 'pretrainedCfg']);
  if (settings.from === undefined || settings.from === '') throw new OptionError("import: option '--from' is missing, expected the checkpoint file to import");
  if (settings.arch === undefined || settings.arch === '') throw new OptionError("import: option '--arch' is missing, expected a preset (npm run experiment models lists them)");
  for (const key of ['from', 'arch', 'out', 'source', 'pretrainedCfg'] as const) {
    const v = settings[key];
    if (v !== undefined && typeof v !== 'string') throw new OptionError(`import: option '--${key}' is ${JSON.stringify(v)}, expected a string`);
  }
  const ids = sourceIds();
  if (settings.source !== undefined && !ids.includes(settings.source))
    throw new OptionError(`import: option '--source' is '${settings.source}', expected one of ${ids.join(', ')}`);
}

/** The --pretrained-cfg JSON as an object of fields (checked again, field by field, by the importer). */
function pretrainedCfgOption(text: string | undefined): Partial<PretrainedCfg> | undefined {
  if (text === undefined) return undefined;
  let v: unknown;
  try {
    v = JSON.parse(text);
  } catch (err) {
    throw new OptionError(`import: option '--pretrained-cfg' is not JSON (${(err as Error).message}); expected e.g. '{"mean":[0.5,0.5,0.5]}'`);
  }
  if (typeof v !== 'object' || v === null || Array.isArray(v)) throw new OptionError(`import: option '--pretrained-cfg' is ${text}, expected a JSON object of inputSize, mean, std, interpolation, cropPct`);
  return v as Partial<PretrainedCfg>;
}

/** Imports the file (and writes `out` when given); the caller disposes `result.model`. (One step: no progress to report.) */
export async function runImportExperiment(settings: ImportSettings, _opts: RunOptions = {}): Promise<ImportExperimentResult> {
  checkImportSettings(settings);
  const r = await importCheckpoint({ from: settings.from, arch: settings.arch, out: settings.out, source: settings.source, pretrainedCfg: pretrainedCfgOption(settings.pretrainedCfg) });
  const c = r.model.config;
  return { ...r, preset: c.preset, numClasses: c.numClasses, params: countParams(c, { numClasses: c.numClasses }) };
}
