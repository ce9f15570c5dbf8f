// npm run experiment import -- --from FILE --arch PRESET --out DIR
// Weights trained elsewhere (a torch.save checkpoint or safetensors with timm's or the authors' key
// names) into a vitscope checkpoint directory that the analyses read with --checkpoint DIR. The work
// is src/models/import's importCheckpoint; this file parses the options and prints the outcome.
import type { Command } from '../command.ts';
import { OptionError, str } from '../options.ts';
import { importCheckpoint } from '../../models/import/index.ts';
import { SOURCE_ARCHITECTURES } from '../../models/import/architectures/index.ts';
import { countParams } from '../../models/index.ts';

export const command: Command = {
  name: 'import',
  summary: "import PyTorch weights (torch.save zip or safetensors; timm's ViT and ResNet, the authors' CIFAR ResNet) as a vitscope checkpoint",
  options: [
    { name: 'from', type: 'string', help: 'the checkpoint file: torch.save output (.pt/.pth/.pth.tar; zip or legacy format) or .safetensors' },
    { name: 'arch', type: 'string', help: 'the vitscope preset to build, e.g. vit-ti (the authors\' CIFAR ViT-Ti), vit-ti-16-224 (timm vit_tiny_patch16_224), resnet-50' },
    { name: 'out', type: 'string', help: 'the checkpoint directory to write (must not exist); without it the file is only checked' },
    {
      name: 'source',
      type: 'string',
      choices: SOURCE_ARCHITECTURES.map((s) => s.id),
      help: 'the naming of the checkpoint (default: recognised from its keys)',
    },
  ],
  async run(opts, ctx) {
    const from = str(opts, 'from');
    const arch = str(opts, 'arch');
    if (!from) throw new OptionError("import: option '--from' is missing, expected the checkpoint file to import");
    if (!arch) throw new OptionError("import: option '--arch' is missing, expected a preset (npm run experiment models lists them)");
    const r = await importCheckpoint({ from, arch, out: str(opts, 'out'), source: str(opts, 'source') });
    const c = r.model.config;
    const params = countParams(c, { numClasses: c.numClasses });
    ctx.log(
      `[import] ${from}: ${r.format}${r.wrapper ? ` (state dict under '${r.wrapper}')` : ''}${r.strippedPrefix ? `, prefix '${r.strippedPrefix}' removed` : ''}; ` +
        `${r.source.title} -> ${c.preset}, ${c.numClasses} classes, ${params.toLocaleString('en-US')} parameters` +
        (r.ignored.length ? `; ignored ${r.ignored.length} keys (${[...new Set(r.ignored.map((k) => k.split('.').pop()))].join(', ')})` : ''),
    );
    process.stdout.write(r.out ? `${r.out}\n` : `checked only (no --out): ${from} imports into ${c.preset}\n`);
    r.model.dispose();
  },
};
