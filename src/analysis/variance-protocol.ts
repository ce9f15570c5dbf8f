// Settings of the feature-map variance analysis, by protocol (src/util/protocol.ts).
import type { AnalysisProtocols } from '../util/protocol.ts';

export interface VarianceSettings {
  images: number;
  batchSize: number;
  split: 'test' | 'train';
}

export type VarianceProtocol = 'paper';

export const VARIANCE_PROTOCOLS: AnalysisProtocols<VarianceSettings, VarianceProtocol> = {
  analysis: 'variance',
  defaultProtocol: 'paper',
  why: 'vitscope computes exactly what featuremap_variance.ipynb does; there is no other convention to offer',
  protocols: {
    paper: {
      description: 'featuremap_variance.ipynb: unbiased variance over H x W per channel, mean over images and channels, one test batch of 256',
      settings: { images: 256, batchSize: 64, split: 'test' },
    },
  },
  settings: {
    images: { option: 'images', type: 'integer', help: 'images analysed (class-balanced seeded subset)' },
    batchSize: { option: 'batch-size', type: 'integer', help: 'images per forward pass (does not change the result)' },
    split: { option: 'split', type: 'string', choices: ['test', 'train'], help: 'data split' },
  },
};
