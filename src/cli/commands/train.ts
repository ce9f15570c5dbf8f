// npm run experiment train -- --config configs/vit-cpu.json [--epochs 2] [--resume]
import type { Command } from '../command.ts';
import { runTrainExperiment, TRAIN_SETTINGS } from '../../experiments/train.ts';
import { formatsOf, runOptionsOf, trainConfigOrExplain } from '../train-run.ts';

export const command: Command = {
  name: 'train',
  summary: 'train a model (ViT, Swin, ResNet, AlterNet) on CIFAR-100 with checkpoints, metrics and --resume',
  options: TRAIN_SETTINGS,
  async run(opts, ctx) {
    const config = trainConfigOrExplain(opts);
    const result = await runTrainExperiment({ ...config, formats: formatsOf(opts) }, runOptionsOf(ctx));
    try {
      const s = result.summary;
      if (result.status === 'completed' && s)
        ctx.log(
          `[train] done: ${result.config.model} test accuracy ${(s.testAcc * 100).toFixed(2)}%, test NLL ${s.testNll.toFixed(4)}, ` +
            `${s.imagesPerSec.toFixed(1)} img/s; results in ${result.runDir}`,
        );
    } finally {
      result.model.dispose();
    }
  },
};
