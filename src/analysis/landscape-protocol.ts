// Settings of the loss landscape, by protocol (src/util/protocol.ts).
import type { AnalysisProtocols } from '../util/protocol.ts';
import type { DirectionNormalization } from './landscape.ts';

export type LandscapeAugment = 'none' | 'crop-flip' | 'paper';

export interface LandscapeSettings {
  resolution: number;
  range: readonly number[];
  /** Training images evaluated at every grid point. */
  images: number;
  batchSize: number;
  normalization: DirectionNormalization;
  /** Coefficient of the authors' sum of unsquared parameter norms added to the NLL. */
  l2: number;
  labelSmoothing: number;
  augment: LandscapeAugment;
  /** mixup/CutMix soft targets (train/training-targets.ts PAPER_MIX). */
  mix: boolean;
  /** Points more than this above the minimum are dropped from the plotted surface (0: none). */
  clip: number;
}

export type LandscapeProtocol = 'paper' | 'quick';

const PAPER_LOSS = { normalization: 'authors', l2: 0.05, labelSmoothing: 0.1, augment: 'paper', mix: true, clip: 42 } as const;

export const LANDSCAPE_PROTOCOLS: AnalysisProtocols<LandscapeSettings, LandscapeProtocol> = {
  analysis: 'landscape',
  defaultProtocol: 'quick',
  why: "the paper's 21 x 21 grid costs 441 evaluations of the sample, minutes per model on a CPU; 'quick' keeps its directions, loss and data",
  protocols: {
    paper: {
      description:
        "losslandscape.ipynb + ops/loss_landscapes.py: directions normalised by torch.norm(w, dim=0), NLL on augmented training data (RandAugment, " +
        'mixup/CutMix soft targets, smoothing 0.1) + 0.05·Σ‖p‖₂, 21 x 21 grid on [−1, 1]², values > 42 above the minimum dropped. Sample: the authors evaluate ' +
        'every training image with fresh augmentations at each point; here one seeded augmented sample serves every point',
      settings: { resolution: 21, range: [-1, 1], images: 1024, batchSize: 64, ...PAPER_LOSS },
    },
    quick: {
      description: "the paper's directions, loss and data on a 7 x 7 grid of 64 images",
      settings: { resolution: 7, range: [-1, 1], images: 64, batchSize: 64, ...PAPER_LOSS },
    },
  },
  settings: {
    resolution: { option: 'resolution', type: 'integer', help: 'grid points per axis' },
    range: { option: 'range', type: 'numbers', help: 'min,max of both grid axes' },
    images: { option: 'images', type: 'integer', help: 'training images evaluated at every grid point' },
    batchSize: { option: 'batch-size', type: 'integer', help: 'images per forward pass' },
    normalization: {
      option: 'normalization', type: 'string', choices: ['authors', 'filter', 'tensor'],
      help: "direction scaling: 'authors' = torch.norm(w, dim=0) on PyTorch layouts (our last axis of kernels), 'filter' = Li et al. per filter, 'tensor' = per tensor",
    },
    l2: { option: 'l2', type: 'number', help: 'coefficient of Σ‖p‖₂ (unsquared norms) added to the NLL' },
    labelSmoothing: { option: 'label-smoothing', type: 'number', help: 'label smoothing of the targets' },
    augment: { option: 'augment', type: 'string', choices: ['none', 'crop-flip', 'paper'], help: "augmentation of the fixed image sample ('paper': crop, flip, RandAugment 2/9)" },
    mix: { option: 'mix', type: 'boolean', help: 'mixup/CutMix soft targets (α 1.0 / 0.8, every batch), one seeded draw per batch' },
    clip: { option: 'clip', type: 'number', help: 'figure and landscape.json clipped: loss − min, points above this dropped (0: none)' },
  },
};
