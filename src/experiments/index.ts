// The experiments: what the CLI commands, the `all` job, the notebooks and the tests run. Each takes typed
// settings and { progress, signal, log }, and returns a typed result.
export { FIGURE_FORMAT_OPTION, type RunOptions, type ExportFormat } from './run-options.ts';
export { runTrainExperiment, writeTrainingFigure, readSteps, TRAIN_SETTINGS, type TrainSettings, type TrainSummary, type TrainExperimentResult, type StepRecord } from './train.ts';
export { runDataSize, checkDataSizeSettings, DATASIZE_SETTINGS, type DataSizeSettings, type DataSizePoint, type DataSizeResult } from './datasize.ts';
export { trainedModel, trainSettingsFromFile, type TrainedModel } from './trained-model.ts';
export {
  MODEL_OPTIONS, ANALYSIS_DEFAULTS, loadAnalysisModels, loadAnalysisImages, exportAnalysisFigures, modelFingerprint, verifyModelsUnchanged,
  type AnalysisSettings, type ModelSelection, type ProtocolChoice, type AnalysedModel, type AnalysisImages, type AnalysisDataInfo,
  type BlockAnalysisResult, type BlockAnalysisData,
} from './analysis-support.ts';
export {
  runHessianExperiment, resolveHessianSettings, hessianFigures, sampleSizeAdvice, expandRunCheckpoints, HESSIAN_SETTINGS, HESSIAN_ANALYSES,
  type HessianExperimentSettings, type HessianExperimentResult, type HessianReport, type HessianModelResult, type HessianRunSettings,
  type HessianAnalysis, type SampleSizeAdvice,
} from './hessian.ts';
export {
  runFourierExperiment, resolveFourierSettings, fourierFigures, FOURIER_SETTINGS,
  type FourierExperimentSettings, type FourierExperimentResult, type FourierReport,
} from './fourier.ts';
export {
  runNoiseExperiment, resolveNoiseSettings, noiseFigures, NOISE_SETTINGS,
  type NoiseExperimentSettings, type NoiseExperimentResult, type NoiseReport, type NoiseModelResult, type NoiseRunSettings,
} from './noise.ts';
export {
  runVarianceExperiment, resolveVarianceSettings, varianceFigures, VARIANCE_SETTINGS,
  type VarianceExperimentSettings, type VarianceExperimentResult, type VarianceReport,
} from './variance.ts';
export {
  runLandscapeExperiment, resolveLandscapeSettings, landscapeFigures, LANDSCAPE_SETTINGS,
  type LandscapeExperimentSettings, type LandscapeExperimentResult, type LandscapeReport, type LandscapeSurface, type LandscapeRunSettings,
} from './landscape.ts';
export { runImportExperiment, checkImportSettings, IMPORT_SETTINGS, type ImportSettings, type ImportExperimentResult } from './import.ts';
export { runAllExperiment, ALL_SETTINGS, ANALYSES, type AllSettings, type AllResult, type AnalysisName, type StageRecord, type TrainingNumbers } from './all.ts';
