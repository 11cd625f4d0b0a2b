// The browser entry (`browser` export condition): load a detector from a URL/File/bytes, detect in a
// picture on the page, draw the boxes. Same letterbox, NMS and Results as the Node entry; no Node APIs.
export { loadDetector, Detector, type LoadDetectorOptions, type DetectOptions } from './web/detector';
export { imageToRgb, type ImageInput } from './web/pixels';
export { drawResults, type DrawOptions } from './web/draw';
export { Results, PALETTE, type Annotation, type Boxes, type Speed, type DetectionJson } from './results-base';
export { OnnxDetector, type OnnxDetectorOptions, type OnnxRuntime } from './onnx-model';
export { letterbox, letterboxInput, scaleBoxes, toInput, type Letterboxed, type LetterboxOptions, type LetterboxedInput, type LetterboxInputOptions } from './letterbox';
export { nmsOnArray, type NmsOptions, type Detections, type PredictionLayout } from './nms';
export { parseWeights } from './weights/parse';
export type { Rgb } from './data/rgb';
export type { ByteSource } from './io/fetch';
export type { LoadedWeights } from './weights/read';
