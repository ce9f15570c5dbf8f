// The in-memory form of CIFAR-format data, shared by the parser, the generator and the dataset API.

/** Images of one split, kept as bytes (NHWC, uint8) to hold all of CIFAR-100 in 150 MB. */
export interface ImageSet {
  count: number;
  height: number; // 32
  width: number; // 32
  channels: number; // 3
  /** count * height * width * channels bytes, NHWC, RGB. */
  images: Uint8Array;
  fineLabels: Uint8Array;
  coarseLabels: Uint8Array;
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
