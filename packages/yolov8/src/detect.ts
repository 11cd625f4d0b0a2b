import { tf, type DetectionModel } from '@yolomods/core';
import type { Rgb } from './data/rgb';
import { letterboxInput, letterboxShape, scaleBoxes } from './letterbox';
import { nmsOnArray, type NmsOptions, type PredictionLayout } from './nms';
import type { OnnxDetector } from './onnx-model';
import type { Boxes } from './results-base';

// One image through the detector, shared by Node's predict and the browser entry: letterbox → forward →
// NMS on the raw output → boxes in original pixels. Everything here runs on host arrays.

/** Raw Detect output of one image, in host memory. */
export interface RawOutput {
  data: Float32Array;
  dims: [number, number, number];
  layout: PredictionLayout;
}

/** What runs the network: a TF.js model, an onnxruntime session (Node or web), or an .onnx file. */
export interface Engine {
  names: string[];
  stride: number;
  /** Letterbox to the minimum rectangle (true) or to the full `imgsz` square. */
  rect: boolean;
  layout: 'nhwc' | 'nchw';
  run(input: Float32Array, h: number, w: number): Promise<RawOutput>;
}

/** The TF.js model as an engine (NHWC input; the model must be in eval mode). */
export function tfjsEngine(model: DetectionModel, rect: boolean): Engine {
  return {
    names: model.names,
    stride: Math.max(...model.stride),
    rect,
    layout: 'nhwc',
    async run(input, h, w) {
      const y = tf.tidy(() => {
        const { y: yy, feats } = model.forward(tf.tensor4d(input, [1, h, w, 3]));
        tf.dispose(feats);
        return yy!;
      });
      try {
        return { data: (await y.data()) as Float32Array, dims: y.shape as [number, number, number], layout: 'bac' };
      } finally {
        y.dispose();
      }
    },
  };
}

/** An .onnx file's detector as an engine (NCHW input; a dynamic graph letterboxes to the minimum rectangle). */
export function onnxFileEngine(det: OnnxDetector): Engine {
  return {
    names: det.names,
    stride: det.stride,
    rect: det.dynamic,
    layout: 'nchw',
    async run(input, h, w) {
      const y = await det.forward(input, [1, 3, h, w]);
      return { data: y.data, dims: y.shape as [number, number, number], layout: 'bca' };
    },
  };
}

/** A static graph takes exactly its input size; a dynamic one the requested size (rounded to the stride) as a minimum rectangle. */
export function onnxImgsz(det: OnnxDetector, requested?: number): number | [number, number] {
  return det.dynamic ? roundUp(requested ?? det.imgsz[0], det.stride) : det.imgsz;
}

/** One image's detections and timings (ms), before they become a `Results`. */
export interface Detected {
  boxes: Boxes;
  /** Network input `[h, w]`. */
  inputShape: [number, number];
  preprocess: number;
  inference: number;
  postprocess: number;
}

/** `imgsz` rounded up to a multiple of `stride`. */
export const roundUp = (v: number, stride: number): number => Math.ceil(v / stride) * stride;

// Input arrays of finished runs, per engine: a new one per image costs ~0.5 ms of page faults at 640.
// Runs in flight hold theirs, so concurrent predicts on one engine never share an array.
const spare = new WeakMap<Engine, Float32Array[]>();

function takeInput(engine: Engine, size: number): Float32Array {
  const free = spare.get(engine);
  const i = free ? free.findIndex((a) => a.length === size) : -1;
  return i >= 0 ? free!.splice(i, 1)[0]! : new Float32Array(size);
}

function giveBack(engine: Engine, input: Float32Array): void {
  const free = spare.get(engine) ?? [];
  free.push(input);
  if (free.length > 2) free.shift();
  spare.set(engine, free);
}

/**
 * Detects objects in one decoded image. `afterForward` runs between the forward and NMS (to read
 * per-image state a block kept, given the input size).
 */
export async function detectRgb(
  engine: Engine,
  img: Rgb,
  imgsz: number | [number, number],
  opts: Omit<NmsOptions, 'maxWh' | 'maxNms' | 'multiLabel'>,
  afterForward?: (inputW: number, inputH: number) => void,
): Promise<Detected> {
  const t1 = performance.now();
  const geo = { stride: engine.stride, auto: engine.rect };
  const [h, w] = letterboxShape(img, imgsz, geo);
  const input = takeInput(engine, 3 * h * w);
  letterboxInput(img, imgsz, { ...geo, layout: engine.layout, out: input });
  const t2 = performance.now();
  let y: RawOutput;
  try {
    y = await engine.run(input, h, w);
  } finally {
    giveBack(engine, input);
  }
  const t3 = performance.now();
  afterForward?.(w, h);
  const det = nmsOnArray(y.data, y.dims, y.layout, opts)[0]!;
  const xyxy = scaleBoxes([h, w], det.xyxy, [img.height, img.width]);
  const boxes: Boxes = { xyxy: [], xywh: [], conf: Array.from(det.conf), cls: Array.from(det.cls) };
  for (let j = 0; j < det.count; j++) {
    const [x1, y1, x2, y2] = xyxy.subarray(4 * j, 4 * j + 4) as unknown as [number, number, number, number];
    boxes.xyxy.push([x1, y1, x2, y2]);
    boxes.xywh.push([(x1 + x2) / 2, (y1 + y2) / 2, x2 - x1, y2 - y1]);
  }
  const t4 = performance.now();
  return { boxes, inputShape: [h, w], preprocess: t2 - t1, inference: t3 - t2, postprocess: t4 - t3 };
}
