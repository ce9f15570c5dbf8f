// The models package: createModel and presets, complexity, flat parameter views, checkpoints.
export type { Model, ModelConfig, ForwardOptions, FeatureMap, BlockKind, ParamInfo, ParamRole } from './model.ts';
export { createModel, resolveConfig, type CreateOptions } from './create.ts';
export { listPresets, getPreset, validateConfig } from './configs.ts';
export type { AnyModelConfig, ViTConfig, SwinConfig, ResNetConfig, AlterNetConfig } from './configs.ts';
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
