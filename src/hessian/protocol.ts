// Settings of the Hessian spectra, by protocol (src/util/protocol.ts).
import type { AnalysisProtocols } from '../util/protocol.ts';

export type HessianAugment = 'none' | 'crop-flip' | 'paper';

export interface HessianSettings {
  /** Share of the training set the batches come from (0: just enough images). */
  fraction: number;
  /** Mini-batches of the max-eigenvalue spectrum (0: every batch of the fraction). */
  batches: number;
  batchSize: number;
  augment: HessianAugment;
  /** mixup/CutMix soft targets (train/training-targets.ts PAPER_MIX), one seeded draw per batch. */
  mix: boolean;
  labelSmoothing: number;
  /** c of (c/2)·‖θ‖² added to the NLL (shifts every eigenvalue by +c). */
  l2: number;
  k: number;
  tol: number;
  maxIter: number;
  groups: number;
  subsets: number;
  subsetBatches: number;
  lanczosSteps: number;
  slqSteps: number;
  slqRuns: number;
  traceSamples: number;
  /** Solver of the max-eigenvalue spectrum's top-k per batch (spectrum.ts MaxEigenSolver). */
  eigensolver: 'power' | 'lanczos';
  /** Power iteration: PyHessian's hessian.eigenvalues step for step, or vitscope's (see power.ts). */
  power: 'vitscope' | 'pyhessian';
}

export type HessianProtocol = 'paper' | 'quick';

/** "NLL + L2 on augmented data": the training pipeline's images and soft targets, BatchNorm in evaluation mode. */
const PAPER_LOSS = { augment: 'paper', mix: true, labelSmoothing: 0.1, l2: 0.05 } as const;

export const HESSIAN_PROTOCOLS: AnalysisProtocols<HessianSettings, HessianProtocol> = {
  analysis: 'hessian',
  defaultProtocol: 'quick',
  why:
    "the paper's sample (every batch of 16 from 10% of the training set, ≈312 on CIFAR-100, top-5 each, up to 100 products per eigenvalue) " +
    "takes hours per model on a CPU; 'quick' keeps the paper's loss, data, batch size and tolerance on 8 batches, finds each batch's top-2 " +
    'by Lanczos (both ends of the spectrum in one Krylov space: where the top eigenvalues come in pairs of opposite sign, power iteration ' +
    "stalls at its cap far from them), and hessian.json's " +
    'sampleSize says how many batches a ±10% mean would need',
  protocols: {
    paper: {
      description:
        "PyHessian power iteration with deflation, top-5 per batch of 16 from 10% of the training data (tol 1e-3, 100 iterations); loss NLL + L2 on " +
        'augmented data (crop, flip, RandAugment, mixup/CutMix soft targets, smoothing 0.1), BatchNorm in evaluation mode',
      settings: {
        fraction: 0.1, batches: 0, batchSize: 16, ...PAPER_LOSS, k: 5, tol: 1e-3, maxIter: 100, groups: 5,
        subsets: 5, subsetBatches: 4, lanczosSteps: 30, slqSteps: 30, slqRuns: 2, traceSamples: 10, eigensolver: 'power', power: 'pyhessian',
      },
    },
    quick: {
      description: "the paper's loss and data on 8 batches of 16, top-2 by magnitude per batch by Lanczos (tol 1e-3, 40 products at most)",
      settings: {
        fraction: 0, batches: 8, batchSize: 16, ...PAPER_LOSS, k: 2, tol: 1e-3, maxIter: 20, groups: 4,
        subsets: 2, subsetBatches: 2, lanczosSteps: 16, slqSteps: 16, slqRuns: 1, traceSamples: 8, eigensolver: 'lanczos', power: 'vitscope',
      },
    },
  },
  settings: {
    fraction: { option: 'fraction', type: 'number', help: 'share of the training set the batches come from (0 = just enough images)' },
    batches: { option: 'batches', type: 'integer', help: 'mini-batches for the max-eigenvalue spectrum (0 = all batches of the fraction)' },
    batchSize: { option: 'batch-size', type: 'integer', help: 'images per mini-batch' },
    augment: { option: 'augment', type: 'string', choices: ['none', 'crop-flip', 'paper'], help: "augmentation of the Hessian data ('paper': crop, flip, RandAugment 2/9)" },
    mix: { option: 'mix', type: 'boolean', help: 'mixup/CutMix soft targets as in training (α 1.0 / 0.8, every batch)' },
    labelSmoothing: { option: 'label-smoothing', type: 'number', help: 'label smoothing of the targets' },
    l2: { option: 'l2', type: 'number', help: 'L2 coefficient c of (c/2)‖θ‖² added to the NLL (the recipe’s weight decay; shifts eigenvalues by +c)' },
    k: { option: 'k', type: 'integer', help: 'eigenvalues per mini-batch (by magnitude) and at each end of the averaged spectrum (Lanczos)' },
    tol: { option: 'tol', type: 'number', help: 'max-eigenvalue spectrum: relative change that stops the solver' },
    maxIter: { option: 'max-iter', type: 'integer', help: 'max-eigenvalue spectrum: maximum products per eigenvalue (Lanczos: k times this in all)' },
    groups: { option: 'groups', type: 'integer', help: 'disjoint groups of batches for the CIs of NEP/APE' },
    subsets: { option: 'subsets', type: 'integer', help: 'disjoint data subsets for the averaged-Hessian spectrum (CIs over them)' },
    subsetBatches: { option: 'subset-batches', type: 'integer', help: 'batches averaged in each subset’s Hessian' },
    lanczosSteps: { option: 'lanczos-steps', type: 'integer', help: 'Lanczos steps for top/bottom eigenvalues' },
    slqSteps: { option: 'slq-steps', type: 'integer', help: 'Lanczos steps per SLQ run' },
    slqRuns: { option: 'slq-runs', type: 'integer', help: 'SLQ runs per subset' },
    traceSamples: { option: 'trace-samples', type: 'integer', help: 'Hutchinson probes per subset' },
    eigensolver: {
      option: 'eigensolver', type: 'string', choices: ['power', 'lanczos'],
      help: "top-k per batch: 'power' iteration with deflation (maxIter products per eigenvalue; the paper's), or 'lanczos' until the k of largest magnitude settle to tol (k·maxIter products at most, and no more basis vectors than a sixth of memory holds)",
    },
    power: {
      option: 'power', type: 'string', choices: ['vitscope', 'pyhessian'],
      help: "power iteration: 'pyhessian' follows PyHessian's hessian.eigenvalues exactly (the paper's); 'vitscope' re-orthogonalises twice and keeps the last quotient",
    },
  },
};
