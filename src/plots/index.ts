// Figure builders (docs/PLOTS-API.md), export, reports and the notebook display helper.
export { checkFigure, isFigureName, slug, type Figure, type PlotlyTrace, type PlotlyLayout, type BlockKind } from './figure.ts';
export { trainingCurvesFigure, stepLossFigure, trainingFigures, epochsShown, MIN_EPOCHS_FOR_CURVES, type TrainingCurves, type StepLoss } from './training.ts';
export { unitProgressFigure, type UnitProgressSeries } from './progress.ts';
export { dataSizeFigure, type DataSizeSeries } from './datasize.ts';
export { spectralDensityFigure, maxEigenvalueSpectrumFigure, type SpectralDensitySeries, type MaxEigenvalueSeries } from './hessian.ts';
export { fourierDepthFigure, relativeLogAmplitudeFigure, type FourierDepthSeries, type RelativeLogAmplitude } from './fourier.ts';
export { noiseRobustnessFigure, type NoiseRobustnessSeries } from './noise.ts';
export { varianceDepthFigure, type VarianceDepthSeries } from './variance.ts';
export { lossLandscapeFigure, type LossSurface } from './landscape.ts';
export { colorFor, colorsFor, familyOf, familyColor } from './style.ts';
export { exportFigures, figuresDir, EXPORT_FORMATS, type ExportFormat, type ExportOptions } from './export.ts';
export { ChromiumRenderer, chromiumPath } from './chromium.ts';
export { figurePage, figureDiv } from './html.ts';
export { writeReport, readRunFigures, readAllFigures, findRunDirs, parseCsv, keyNumbers } from './report.ts';
export { show, showHtml, resetShow, figureMimeBundle, notebookProgress, progressHtml, PLOTLY_MIME, type HtmlDisplay, type MimeDisplay } from './notebook.ts';
