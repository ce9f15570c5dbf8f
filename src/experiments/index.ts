// The experiments: what the CLI commands, the `all` job, the notebooks and the tests run. Each takes typed
// settings and { progress, signal, log }, and returns a typed result.
export { FIGURE_FORMAT_OPTION, type RunOptions, type ExportFormat } from './run-options.ts';
export { runTrainExperiment, writeTrainingFigure, readSteps, TRAIN_SETTINGS, type TrainSettings, type TrainSummary, type TrainExperimentResult, type StepRecord } from './train.ts';
export { runDataSize, checkDataSizeSettings, DATASIZE_SETTINGS, type DataSizeSettings, type DataSizePoint, type DataSizeResult } from './datasize.ts';
export { trainedModel, trainSettingsFromFile, type TrainedModel } from './trained-model.ts';
