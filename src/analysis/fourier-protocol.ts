// Settings of the Fourier analysis of feature maps, by protocol (src/util/protocol.ts).
import type { AnalysisProtocols } from '../util/protocol.ts';
import type { FourierDiagonal } from './fourier.ts';

export interface FourierSettings {
  /** fourier.ts FourierDiagonal: 'authors' = diag[H/2 : H], 'nyquist' = one point more, at pi. */
  diagonal: FourierDiagonal;
  images: number;
  batchSize: number;
  split: 'test' | 'train';
}

export type FourierProtocol = 'paper' | 'vitscope';

export const FOURIER_PROTOCOLS: AnalysisProtocols<FourierSettings, FourierProtocol> = {
  analysis: 'fourier',
  defaultProtocol: 'paper',
  why: "it costs the same as the alternative and gives the numbers the paper's figures show (its Δ at \"π\" is the last diagonal point, (1 − 2/H)π)",
  protocols: {
    paper: {
      description: "fourier_analysis.ipynb: log(|FFT2|+1e-6) rolled by H/2, mean over images and channels, diag[H/2 : H] minus its first entry, drawn on 0…1",
      settings: { diagonal: 'authors', images: 256, batchSize: 64, split: 'test' },
    },
    vitscope: {
      description: 'as paper, plus the Nyquist point (the only one at π on 8 x 8 maps), drawn at its true frequency',
      settings: { diagonal: 'nyquist', images: 256, batchSize: 64, split: 'test' },
    },
  },
  settings: {
    diagonal: { option: 'diagonal', type: 'string', choices: ['authors', 'nyquist'], help: "half-diagonal: 'authors' = indices H/2…H−1 (up to (1−2/H)π), 'nyquist' = up to π" },
    images: { option: 'images', type: 'integer', help: 'images analysed (class-balanced seeded subset)' },
    batchSize: { option: 'batch-size', type: 'integer', help: 'images per forward pass (does not change the result)' },
    split: { option: 'split', type: 'string', choices: ['test', 'train'], help: 'data split' },
  },
};
