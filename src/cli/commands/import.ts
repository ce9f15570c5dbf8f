// npm run experiment import -- --from FILE --arch PRESET --out DIR
// Parsing and printing only; the experiment is src/experiments/import.ts (src/models/import does the work).
import type { Command } from '../command.ts';
import { OptionError } from '../options.ts';
import { checkImportSettings, IMPORT_SETTINGS, runImportExperiment } from '../../experiments/import.ts';
import { runOptionsOf } from '../train-run.ts';

export const command: Command = {
  name: 'import',
  summary: "import PyTorch weights (torch.save zip or safetensors; timm's ViT, Swin, PiT, Mixer, MobileViT, ResNet, old and new layouts; the authors' CIFAR checkpoints) as a vitscope checkpoint",
  options: IMPORT_SETTINGS,
  async run(opts, ctx) {
    const settings: Record<string, unknown> = {};
    for (const [key, setting] of [['from', 'from'], ['arch', 'arch'], ['out', 'out'], ['source', 'source'], ['pretrained-cfg', 'pretrainedCfg']] as const) {
      const v = opts[key];
      if (v !== undefined && typeof v !== 'string') throw new OptionError(`import: option '--${key}' should be a string, got ${JSON.stringify(v)}`);
      if (v !== undefined) settings[setting] = v;
    }
    checkImportSettings(settings);
    const r = await runImportExperiment(settings, runOptionsOf(ctx));
    try {
      ctx.log(
        `[import] ${settings.from}: ${r.format}${r.wrapper ? ` (state dict under '${r.wrapper}')` : ''}${r.strippedPrefix ? `, prefix '${r.strippedPrefix}' removed` : ''}; ` +
          `${r.source.title} -> ${r.preset}, ${r.numClasses} classes, ${r.params.toLocaleString('en-US')} parameters` +
          (r.ignored.length ? `; ignored ${r.ignored.length} keys (${[...new Set(r.ignored.map((k) => k.split('.').pop()))].join(', ')})` : '') +
          (r.verified.length ? `; checked ${r.verified.length} buffers against the preset (${[...new Set(r.verified.map((k) => k.split('.').pop()))].join(', ')})` : '') +
          `; preprocessing ${JSON.stringify(r.pretrainedCfg)}`,
      );
      process.stdout.write(r.out ? `${r.out}\n` : `checked only (no --out): ${settings.from} imports into ${r.preset}\n`);
    } finally {
      r.model.dispose();
    }
  },
};
