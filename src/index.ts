// vitscope's public entry: `import { hessian, analysis, ... } from 'vitscope'`.
export { initBackend, type BackendName, type BackendInfo } from './backend/select.ts';
export { tf } from './backend/tf.ts';
export { Rng } from './util/random.ts';
export type { Model, FeatureMap, BlockKind, ForwardOptions, ModelConfig, ParamInfo } from './models/model.ts';
export type { CifarData, ImageSet } from './data/types.ts';
export type { LinearOperator } from './hessian/linear-operator.ts';
