// --- training and validation (loss, metrics, data, trainer) ---
export * from './loss/index';
export { IOUV, matchPredictions, processBatch, apPerClass, computeAp, smooth, interp, metricsFrom, DetectionMetrics, type ApPerClass, type DetMetrics } from './metrics';
export * from './data/index';
export * from './train/index';

// --- post-processing ---
export { nonMaxSuppression, type NmsOptions, type Detections } from './nms';
