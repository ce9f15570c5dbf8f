// npm run experiment train -- --config configs/vit-cpu.json [--epochs 2] [--resume]
import type { Command } from '../command.ts';
import { TRAIN_OPTIONS } from '../../train/config.ts';
import { FIGURE_FORMAT_OPTION, runTraining, trainConfigOrExplain, writeTrainingFigure } from '../train-run.ts';

export const command: Command = {
  name: 'train',
  summary: 'train a model (ViT, Swin, ResNet, AlterNet) on CIFAR-100 with checkpoints, metrics and --resume',
  options: [...TRAIN_OPTIONS, FIGURE_FORMAT_OPTION],
  async run(opts, ctx) {
    const config = trainConfigOrExplain(opts);
    const result = await runTraining(config, ctx);
    try {
      if (result.status === 'completed') {
        const last = result.metrics.at(-1);
        if (last)
          ctx.log(
            `[train] done: ${result.config.model} test accuracy ${(last.test_acc * 100).toFixed(2)}%, test NLL ${last.test_nll.toFixed(4)}, ` +
              `${last.images_per_sec.toFixed(1)} img/s; results in ${result.runDir}`,
          );
        await writeTrainingFigure(result.runDir, [{ label: result.config.model, result }], (opts.formats as string[]) ?? ['html'], ctx);
      }
    } finally {
      result.model.dispose();
    }
  },
};
