// The training package: train(config, hooks) and its parts.
export { train, TrainingDivergedError, type TrainHooks, type TrainResult, type TrainState, type StepInfo, type TrainStatus } from './train.ts';
export { TRAIN_OPTIONS, resolveTrainConfig, trainConfigFromOptions, validateTrainConfig, type TrainConfig } from './config.ts';
export { AdamW, type AdamWOptions } from './adamw.ts';
export { Sgd, type SgdOptions } from './sgd.ts';
export { slotName, type Optimizer, type OptimizerState } from './optimizer.ts';
export { learningRateAt, scheduleCurve, checkSchedule, type ScheduleConfig, type ScheduleName } from './schedule.ts';
export { decayedParams, DEFAULT_NO_DECAY_ROLES, PARAM_ROLES } from './weight-decay.ts';
export { drawMix, applyMix, mixEnabled, type MixConfig, type MixDraw, type MixedBatch } from './mixup.ts';
export { clipByGlobalNorm, clipToNorm, globalNorm, globalNormTensor } from './clip.ts';
export { makeTrainStep, type TrainStep, type StepBatch, type StepOptions, type StepResult } from './step.ts';
export { expectedCalibrationError, CalibrationBins, ECE_BINS } from './calibration.ts';
export { MetricAccumulator, type SplitMetrics } from './metrics.ts';
export { evaluate, type EvaluateOptions } from './evaluate.ts';
export { readMetrics, writeMetrics, curvesFromMetrics, metricsToCsv, METRIC_COLUMNS, type EpochMetrics } from './metrics-log.ts';
export { defaultCheckpointIO, readLatest, pruneEpochCheckpoints, type CheckpointIO, type LatestPointer } from './checkpoint.ts';
export { crossEntropy, softCrossEntropy, smoothedOneHot, l2Penalty } from './losses.ts';
export { lossOfParams, type LossOfParams, type LossOfParamsOptions } from './loss-of-params.ts';
export { PAPER_MIX, NO_MIX, mixTrainingBatch, trainingTargetBatches, type TargetBatch } from './training-targets.ts';
