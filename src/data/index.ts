// The dataset API used by training and every analysis.
export * from './types.ts';
export { DataError, ChecksumError, DownloadError } from './errors.ts';
export {
  CIFAR100_FILES,
  parseCifar100Bin,
  encodeCifar100Bin,
  parseLabelNames,
  readCifarDir,
  writeCifarDir,
  type CifarDirContents,
} from './cifar-format.ts';
export {
  CIFAR100_URL,
  CIFAR100_MD5,
  CIFAR100_ARCHIVE,
  CIFAR100_DIRNAME,
  downloadFile,
  ensureCifar100,
  extractCifarArchive,
  formatProgress,
  md5File,
  type ProgressSink,
} from './download.ts';
export {
  GENERATED_DEFAULTS,
  GENERATED_MARKER,
  generateDataset,
  generateImageSet,
  generatedLabelNames,
  makeGeneratedDataset,
  readGeneratedMarker,
  type GeneratedDatasetOptions,
} from './generate.ts';
export { loadCifar, dataRoot, generatedWarning, type LoadCifarOptions } from './load.ts';
export { subset, subsetIndices, selectImages, type SubsetOptions } from './subset.ts';
export {
  batchCount,
  epochOrder,
  iterateBatches,
  normalizeImages,
  denormalizeImages,
  gatherBytes,
  gatherLabels,
  toTensor,
  augmentRng,
  type Batch,
  type BatchOptions,
} from './batches.ts';
export { cropFlip, augmentImage, resolveAugment, PAPER_AUGMENT, CROP_PADDING } from './augment.ts';
export { RAND_AUGMENT_OPS, applyRandAugmentOp, randAugment, type RandAugmentOp } from './augment-randaugment.ts';
