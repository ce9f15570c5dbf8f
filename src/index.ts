// vitscope's public entry. Each area is a namespace: `import { hessian, analysis, models } from 'vitscope'`.
export { initBackend, type BackendName, type BackendInfo } from './backend/select.ts';
export { tf } from './backend/tf.ts';
export { Rng } from './util/random.ts';
export type { Model, FeatureMap, BlockKind, ForwardOptions, ModelConfig, ParamInfo, ParamLayout, ParamDecl, PretrainedCfg } from './models/model.ts';
export type { CifarData, ImageSet } from './data/types.ts';
export type { LinearOperator } from './hessian/linear-operator.ts';

export * as hessian from './hessian/index.ts';
export * as analysis from './analysis/index.ts';
export * as models from './models/index.ts';
export * as data from './data/index.ts';
export * as train from './train/index.ts';
export * as plots from './plots/index.ts';
export * as experiments from './experiments/index.ts';
export * as view from './view/index.ts';
