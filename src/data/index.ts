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
export { CIFAR100_NORMALIZATION, type Normalization } from './batches.ts';
export { labelClassCount } from './labels.ts';
export { pilResize, type Interpolation } from './pil-resize.ts';
export { decodeImageBytes, decodeImageFile, IMAGE_EXTENSIONS, IMAGE_FORMATS, type RgbImage } from './image-decode.ts';
export { listImageFolder, listImageListFile, isImageFileName, type ImageListing } from './image-folder.ts';
export {
  PREPROCESS_NAMES,
  IMAGENET_MEAN,
  IMAGENET_STD,
  TIMM_DEFAULT_CROP_PCT,
  defaultInputConfig,
  resolvePreprocessing,
  resizedShorterSide,
  centerCrop,
  transformImage,
  type PreprocessName,
  type ModelInputConfig,
  type Preprocessing,
  type Triple,
} from './preprocess.ts';
export {
  loadDataset,
  chooseImages,
  loadImageSet,
  imageBatches,
  type Dataset,
  type DatasetKind,
  type DatasetSpec,
  type ImageSource,
  type ImageBatch,
} from './dataset.ts';
