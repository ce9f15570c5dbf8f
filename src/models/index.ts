// The models package: the family registry and presets, createModel, complexity, flat parameter views, checkpoints.
// families.ts comes first so that the built-in families are registered before any lookup.
import './families.ts';
export type { AnyModelConfig } from './families.ts';
export type { Model, ModelConfig, ForwardOptions, FeatureMap, BlockKind, ParamInfo, ParamRole, ParamLayout, ParamDecl, PretrainedCfg } from './model.ts';
export { BLOCK_KINDS, PARAM_LAYOUTS } from './model.ts';
export { createModel, resolveConfig, type CreateOptions } from './create.ts';
export {
  registerFamily,
  registerPreset,
  getFamily,
  listFamilies,
  listPresets,
  getPreset,
  validateConfig,
  pretrainedCfgOf,
  checkpointSources,
  nearestName,
  type ModelFamily,
  type FamilyDisplay,
  type Preset,
} from './registry.ts';
export type { ViTConfig } from './vit.ts';
export type { SwinConfig } from './swin.ts';
export type { ResNetConfig } from './resnet.ts';
export type { AlterNetConfig } from './alternet.ts';
export { ModelConfigError } from './config-checks.ts';
export { imagenetPretrainedCfg, cifarPretrainedCfg, checkPretrainedCfg, IMAGENET_MEAN, IMAGENET_STD, INCEPTION_MEAN, INCEPTION_STD } from './pretrained-cfg.ts';
export { torchName, type CheckpointSource, type RefusedCheckpoint, type SourceKey, type DerivedTensor } from './checkpoint-source.ts';
export { selectParams, flatSize, getFlatParams, setFlatParams, unflatten } from './flat-params.ts';
export { countParams, flopsPerImage, complexity, paramInfoCount, type Complexity } from './complexity.ts';
export {
  saveCheckpoint,
  loadCheckpoint,
  loadWeightsInto,
  resolveCheckpointDir,
  CHECKPOINT_FORMAT,
  type CheckpointContents,
  type LoadedCheckpoint,
  type OptimizerCheckpoint,
} from './checkpoint.ts';
export { encodeSafetensors, decodeSafetensors, type SafeTensor } from './safetensors.ts';
export { importCheckpoint, type ImportOptions, type ImportResult } from './import/index.ts';
