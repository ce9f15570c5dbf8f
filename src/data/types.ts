// The in-memory form of CIFAR-format data, shared by the parser, the generator and the dataset API.

/** Images of one split, kept as bytes (NHWC, uint8) to hold all of CIFAR-100 in 150 MB. */
export interface ImageSet {
  count: number;
  height: number; // 32
  width: number; // 32
  channels: number; // 3
  /** count * height * width * channels bytes, NHWC, RGB. */
  images: Uint8Array;
  /** Class indices (Int32Array: any class count, e.g. ImageNet's 1,000). */
  fineLabels: Int32Array;
  /** CIFAR-100's 20 superclasses; a set without them repeats fineLabels. */
  coarseLabels: Int32Array;
}

export interface CifarData {
  train: ImageSet;
  test: ImageSet;
  fineLabelNames: string[];
  coarseLabelNames: string[];
  /** Where the data came from: the real CIFAR-100 or the project's generated stand-in. */
  source: 'cifar-100' | 'generated';
  dir: string;
}

/** CIFAR-100 per-channel statistics used by the paper (configs/cifar100_*.yaml). */
export const CIFAR100_MEAN: readonly [number, number, number] = [0.5071, 0.4867, 0.4408];
export const CIFAR100_STD: readonly [number, number, number] = [0.2675, 0.2565, 0.2761];

/** CIFAR binary record layout: 1 coarse-label byte, 1 fine-label byte, 3072 pixel bytes (R plane, G plane, B plane). */
export const CIFAR_IMAGE_SIZE = 32;
export const CIFAR_CHANNELS = 3;
export const CIFAR_PIXELS = CIFAR_IMAGE_SIZE * CIFAR_IMAGE_SIZE * CIFAR_CHANNELS; // 3072
export const CIFAR100_RECORD_BYTES = 2 + CIFAR_PIXELS; // 3074
export const CIFAR100_FINE_CLASSES = 100;
export const CIFAR100_COARSE_CLASSES = 20;
/** Sizes of the real CIFAR-100 splits. */
export const CIFAR100_TRAIN_COUNT = 50000;
export const CIFAR100_TEST_COUNT = 10000;

/** Options of the training augmentation; evaluation passes `false`. */
export interface AugmentOptions {
  /** 4-pixel zero-padded random crop. */
  crop: boolean;
  /** Horizontal flip with probability 0.5. */
  flip: boolean;
  /** RandAugment on the bytes after crop/flip; the paper: { ops: 2, magnitude: 9, magnitudeStd: 1 }. */
  randAugment?: RandAugmentOptions;
}

export interface RandAugmentOptions {
  /** Number of operations drawn (with replacement) per image. */
  ops: number;
  /** Magnitude on timm's 0..10 scale. */
  magnitude: number;
  /** Standard deviation of the per-op magnitude draw (timm's `mstd`); 0 = fixed magnitude. */
  magnitudeStd?: number;
  /** Probability that each drawn op is applied (timm's default 0.5). */
  probability?: number;
}

export type LabelKind = 'fine' | 'coarse';
