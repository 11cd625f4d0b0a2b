// --- the detector users start from ---
export { YOLO, type YoloExportOptions } from './yolo';
export { createModel, configsDir, guessModelScale, unscaledName, bundledConfigs, type YoloCreateOptions } from './build';
export { discoverPlugins, findPluginPackages, type InstalledPlugin } from './plugins';
export { predict, expandSources, type PredictOptions, type Source } from './predict';
export { OnnxDetector, type OnnxDetectorOptions } from './onnx-model';
export { Results, type Annotation, type Boxes, type Speed, type DetectionJson, type SamplingPoints } from './results';
export { decodeImage, letterbox, letterboxInput, scaleBoxes, toInput, type RgbImage, type Letterboxed, type LetterboxOptions, type LetterboxedInput, type LetterboxInputOptions } from './image';
export { loadPt, type PtCheckpoint } from './weights/pt';
export { loadPretrained } from './build';
export { transferWeights, alignLayers, layerRows, type TransferReport, type LayerRow } from './weights/transfer';
export { readWeights, type LoadedWeights } from './weights/read';
export { resolveWeights, weightsCacheDir, DEFAULT_ASSETS_URL, type ResolveWeightsOptions } from './weights/download';
export { compare, compareMarkdown, compareCsv, compareSvg, curvesSvg, measureCost, writeComparison, type CompareOptions, type CompareRow, type ComparisonLabels } from './compare';
export { ablation, type AblationOptions, type AblationResult } from './ablation';

// --- training and validation (loss, metrics, data, trainer) ---
export * from './loss/index';
export { IOUV, matchPredictions, processBatch, apPerClass, computeAp, smooth, interp, metricsFrom, DetectionMetrics, type ApPerClass, type DetMetrics } from './metrics';
export * from './data/index';
export * from './train/index';

// --- post-processing ---
export { nonMaxSuppression, nmsOnArray, type NmsOptions, type Detections, type PredictionLayout } from './nms';
export { runCli, type CliIo } from './cli';
