export { Rng } from './random';
export { loadImage, IMG_FORMATS, type Rgb } from './images';
export { loadDataset, listImages, labelPath, checkLabels, type DatasetInfo, type LabelEntry, type LabelCheck } from './dataset';
export { augment, mosaic4, randomPerspective, randomHsv, flip, letterboxSample, resizeRgb, DEFAULT_AUGMENT, type AugmentHyp, type Sample } from './augment';
export { generateSynthetic, renderSyntheticImage, SHAPES, type SyntheticOptions } from './synthetic';
export { YoloDataset, trainBatch, valBatch, valPlan, epochOrder, batchCount, type Batch, type SharedDataset, type ValPlan, type ValPlanOptions } from './loader';
export { BatchPrefetcher, loaderWorkers } from './prefetch';
