// The evaluation transforms, by name (--preprocess), from a decoded RGB image to the model's input bytes, then
// normalisation (v/255 - mean)/std with the model's or checkpoint's statistics:
// - 'timm-eval': timm's transforms_imagenet_eval with crop_mode 'center' = torchvision Resize(floor(size /
//   crop_pct)) of the shorter side (aspect kept), CenterCrop(size) (offsets rounded half to even, as Python's
//   round; zero padding when the image is smaller), in the checkpoint's interpolation; mean/std of its config.
// - 'authors-fourier': fourier_analysis.ipynb (xxxnell/how-do-vits-work): PIL resize to size x size (bicubic, the
//   default of Image.resize; no crop, aspect not kept), /255, ImageNet mean/std whatever the model.
// - 'cifar': the images as they are (they must already have the model's size), CIFAR-100 mean/std — the
//   pipeline of every CIFAR run.
import { DataError } from './errors.ts';
import type { RgbImage } from './image-decode.ts';
import { pilResize, type Interpolation } from './pil-resize.ts';
import { CIFAR100_MEAN, CIFAR100_STD } from './types.ts';

export type { Interpolation };

export const PREPROCESS_NAMES = ['timm-eval', 'authors-fourier', 'cifar'] as const;
export type PreprocessName = (typeof PREPROCESS_NAMES)[number];

export type Triple = readonly [number, number, number];

export const IMAGENET_MEAN: Triple = [0.485, 0.456, 0.406];
export const IMAGENET_STD: Triple = [0.229, 0.224, 0.225];
/** timm's DEFAULT_CROP_PCT. */
export const TIMM_DEFAULT_CROP_PCT = 0.875;

/**
 * What a model expects of its input, as timm's pretrained_cfg records it (input_size, crop_pct, interpolation,
 * mean, std). Square inputs only (every preset is square).
 */
export interface ModelInputConfig {
  inputSize: number;
  cropPct: number;
  interpolation: Interpolation;
  mean: Triple;
  std: Triple;
}

/**
 * The input config of a model that records none (a vitscope preset or an older checkpoint): CIFAR-100's
 * statistics, no crop, at 32 px (the paper's CIFAR models); timm's defaults (ImageNet statistics, crop 0.875,
 * bicubic) at any other size.
 */
export function defaultInputConfig(imageSize: number): ModelInputConfig {
  return imageSize === 32
    ? { inputSize: 32, cropPct: 1, interpolation: 'bicubic', mean: CIFAR100_MEAN, std: CIFAR100_STD }
    : { inputSize: imageSize, cropPct: TIMM_DEFAULT_CROP_PCT, interpolation: 'bicubic', mean: IMAGENET_MEAN, std: IMAGENET_STD };
}

/** A resolved transform: geometry and statistics. `key` is equal for transforms that give equal tensors. */
export interface Preprocessing {
  name: PreprocessName;
  /** Output size (square). */
  size: number;
  /** 'resize-crop': shorter side to `resize`, centre crop `size`; 'resize': to size x size; 'none': must already be size x size. */
  geometry: 'resize-crop' | 'resize' | 'none';
  resize: number;
  interpolation: Interpolation;
  mean: Triple;
  std: Triple;
  key: string;
}

/** The transform `name` for a model with input config `input`. */
export function resolvePreprocessing(name: PreprocessName, input: ModelInputConfig): Preprocessing {
  const size = input.inputSize;
  let p: Omit<Preprocessing, 'key'>;
  if (name === 'timm-eval') {
    if (!(input.cropPct > 0)) throw new RangeError(`crop_pct ${input.cropPct} is not positive`);
    p = { name, size, geometry: 'resize-crop', resize: Math.floor(size / input.cropPct), interpolation: input.interpolation, mean: input.mean, std: input.std };
  } else if (name === 'authors-fourier') {
    p = { name, size, geometry: 'resize', resize: size, interpolation: 'bicubic', mean: IMAGENET_MEAN, std: IMAGENET_STD };
  } else {
    p = { name, size, geometry: 'none', resize: size, interpolation: input.interpolation, mean: input.mean, std: input.std };
  }
  return { ...p, key: JSON.stringify([p.geometry, p.size, p.resize, p.interpolation, p.mean, p.std]) };
}

/** Python's round(): half to even. */
function roundHalfEven(x: number): number {
  const r = Math.round(x);
  return Math.abs(x % 1) === 0.5 && r % 2 !== 0 ? r - 1 : r;
}

/** torchvision's Resize(int) output size: the shorter side to `size`, the longer int(size * long / short). */
export function resizedShorterSide(width: number, height: number, size: number): { width: number; height: number } {
  if (width <= height) return { width: size, height: Math.trunc((size * height) / width) };
  return { width: Math.trunc((size * width) / height), height: size };
}

/** torchvision's CenterCrop on bytes: zero-pads a smaller image (left/top get the floor half), then crops at round((H - h)/2). */
export function centerCrop(image: RgbImage, size: number): RgbImage {
  let { width, height, data } = image;
  if (width < size || height < size) {
    const padLeft = width < size ? Math.floor((size - width) / 2) : 0;
    const padTop = height < size ? Math.floor((size - height) / 2) : 0;
    const w2 = Math.max(width, size);
    const h2 = Math.max(height, size);
    const padded = new Uint8Array(w2 * h2 * 3);
    for (let y = 0; y < height; y++) padded.set(data.subarray(y * width * 3, (y + 1) * width * 3), ((y + padTop) * w2 + padLeft) * 3);
    width = w2;
    height = h2;
    data = padded;
  }
  const top = roundHalfEven((height - size) / 2);
  const left = roundHalfEven((width - size) / 2);
  const out = new Uint8Array(size * size * 3);
  for (let y = 0; y < size; y++) out.set(data.subarray(((top + y) * width + left) * 3, ((top + y) * width + left + size) * 3), y * size * 3);
  return { width: size, height: size, data: out };
}

/** The model's input bytes (size x size x 3) of one decoded image; `file` names it in errors. */
export function transformImage(image: RgbImage, p: Preprocessing, file: string): Uint8Array {
  if (p.geometry === 'none') {
    if (image.width !== p.size || image.height !== p.size)
      throw new DataError(file, `a ${image.width} x ${image.height} image`, `${p.size} x ${p.size} for --preprocess ${p.name} (or --preprocess timm-eval / authors-fourier to resize)`);
    return image.data;
  }
  if (p.geometry === 'resize') return pilResize(image.data, image.width, image.height, 3, p.size, p.size, p.interpolation);
  const to = resizedShorterSide(image.width, image.height, p.resize);
  // torchvision skips the resize when the shorter side already has the size (same bytes as resizing to itself).
  const resized = to.width === image.width && to.height === image.height ? image : { ...to, data: pilResize(image.data, image.width, image.height, 3, to.width, to.height, p.interpolation) };
  return centerCrop(resized, p.size).data;
}
