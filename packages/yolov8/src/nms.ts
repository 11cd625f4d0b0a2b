import { tf } from '@yolomods/core';

/** Options of {@link nonMaxSuppression}; ultralytics' names and defaults. */
export interface NmsOptions {
  /** Minimum class score of a candidate (default 0.25). */
  conf?: number;
  /** A box is suppressed when its IoU with a kept box of the same class is above this (default 0.7). */
  iou?: number;
  /** Keep only these class ids. */
  classes?: number[];
  /** Suppress across classes (default false). */
  agnostic?: boolean;
  /** Keep at most this many boxes per image (default 300). */
  maxDet?: number;
  /** Class offset ultralytics adds to boxes for class-aware NMS (default 7680). */
  maxWh?: number;
  /** Candidates considered per image, best first (default 30000). */
  maxNms?: number;
  /** Every class above `conf` is a candidate of its own, not only the best one (validation does this; default false). */
  multiLabel?: boolean;
}

/** Kept boxes of one image, in descending confidence. */
export interface Detections {
  /** `x1, y1, x2, y2` per box (k·4), in the pixels of the tensor given to NMS. */
  xyxy: Float32Array;
  /** Confidence per box. */
  conf: Float32Array;
  /** Class id per box. */
  cls: Int32Array;
  /** Number of boxes. */
  count: number;
}

/** Memory layout of raw Detect output: `bac` = `[B, anchors, 4 + nc]` (TF.js), `bca` = `[B, 4 + nc, anchors]` (ONNX / PyTorch). */
export type PredictionLayout = 'bac' | 'bca';

const f32 = Math.fround;

/** Each anchor's top class score, read in memory order (class rows of `bca` one after another). */
function maxScores(data: Float32Array, base: number, anchors: number, nc: number, layout: PredictionLayout): Float32Array {
  if (layout === 'bca') {
    const top = data.slice(base + 4 * anchors, base + 5 * anchors);
    for (let c = 1; c < nc; c++) {
      const row = base + (4 + c) * anchors;
      for (let a = 0; a < anchors; a++) {
        const s = data[row + a]!;
        if (s > top[a]!) top[a] = s;
      }
    }
    return top;
  }
  const top = new Float32Array(anchors);
  const width = nc + 4;
  for (let a = 0, o = base + 4; a < anchors; a++, o += width) {
    let score = data[o]!;
    for (let c = 1; c < nc; c++) if (data[o + c]! > score) score = data[o + c]!;
    top[a] = score;
  }
  return top;
}

/**
 * ultralytics `non_max_suppression` on raw Detect output held in a typed array (`cx, cy, w, h`, then
 * class scores per anchor), one pass over the scores and no tensors. Boxes, class offsets and IoU
 * are computed in float32 as torchvision's CPU kernel does, so near-threshold decisions match.
 */
export function nmsOnArray(data: Float32Array, dims: [number, number, number], layout: PredictionLayout, opts: NmsOptions = {}): Detections[] {
  const confThres = opts.conf ?? 0.25;
  const iouThres = opts.iou ?? 0.7;
  if (!(confThres >= 0 && confThres <= 1)) throw new Error(`nms: conf must be in [0, 1], got ${confThres}`);
  if (!(iouThres >= 0 && iouThres <= 1)) throw new Error(`nms: iou must be in [0, 1], got ${iouThres}`);
  const maxDet = opts.maxDet ?? 300;
  const maxWh = opts.maxWh ?? 7680;
  const maxNms = opts.maxNms ?? 30000;
  const classes = opts.classes ? new Set(opts.classes) : null;
  const [batch, d1, d2] = dims;
  const [anchors, width] = layout === 'bac' ? [d1, d2] : [d2, d1];
  const nc = width - 4;
  if (!(nc >= 1)) throw new Error(`nms: predictions have ${width} values per anchor, need 4 box values and at least one class`);
  if (data.length < batch * anchors * width) throw new Error(`nms: ${data.length} values do not fill [${dims.join(', ')}]`);
  // element (anchor a, channel c) of image b
  const [sa, sc] = layout === 'bac' ? [width, 1] : [1, anchors];
  const results: Detections[] = [];
  for (let b = 0; b < batch; b++) {
    const base = b * anchors * width;
    const candA: number[] = [];
    const candC: number[] = [];
    const candS: number[] = [];
    if (opts.multiLabel) {
      for (let a = 0; a < anchors; a++) {
        const o = base + a * sa + 4 * sc;
        for (let c = 0; c < nc; c++) {
          const s = data[o + c * sc]!;
          if (s > confThres && (!classes || classes.has(c))) (candA.push(a), candC.push(c), candS.push(s));
        }
      }
    } else {
      const top = maxScores(data, base, anchors, nc, layout);
      for (let a = 0; a < anchors; a++) {
        if (!(top[a]! > confThres)) continue;
        // the first class with the top score, as torch's max
        const o = base + a * sa + 4 * sc;
        let best = 0;
        while (data[o + best * sc]! !== top[a]) best++;
        if (!classes || classes.has(best)) (candA.push(a), candC.push(best), candS.push(top[a]!));
      }
    }
    // descending score; ties keep anchor order (stable), as torch's stable sort
    const order = Array.from(candS.keys()).sort((p, q) => candS[q]! - candS[p]!);
    if (order.length > maxNms) order.length = maxNms;
    const n = order.length;
    const box = new Float32Array(4 * n);
    const obox = new Float32Array(4 * n); // class-offset boxes, float32 as torchvision sees them
    const area = new Float32Array(n);
    for (let i = 0; i < n; i++) {
      const k = order[i]!;
      const o = base + candA[k]! * sa;
      const cx = data[o]!;
      const cy = data[o + sc]!;
      const hw = f32(data[o + 2 * sc]! / 2);
      const hh = f32(data[o + 3 * sc]! / 2);
      box[4 * i] = cx - hw;
      box[4 * i + 1] = cy - hh;
      box[4 * i + 2] = cx + hw;
      box[4 * i + 3] = cy + hh;
      const off = opts.agnostic ? 0 : f32(candC[k]! * maxWh);
      for (let j = 0; j < 4; j++) obox[4 * i + j] = box[4 * i + j]! + off;
      area[i] = f32(f32(obox[4 * i + 2]! - obox[4 * i]!) * f32(obox[4 * i + 3]! - obox[4 * i + 1]!));
    }
    const kept: number[] = [];
    const suppressed = new Uint8Array(n);
    for (let i = 0; i < n && kept.length < maxDet; i++) {
      if (suppressed[i]) continue;
      kept.push(i);
      const [x1, y1, x2, y2] = [obox[4 * i]!, obox[4 * i + 1]!, obox[4 * i + 2]!, obox[4 * i + 3]!];
      for (let j = i + 1; j < n; j++) {
        if (suppressed[j]) continue;
        const w = f32(Math.min(x2, obox[4 * j + 2]!) - Math.max(x1, obox[4 * j]!));
        const h = f32(Math.min(y2, obox[4 * j + 3]!) - Math.max(y1, obox[4 * j + 1]!));
        if (w <= 0 || h <= 0) continue;
        const inter = f32(w * h);
        if (f32(inter / f32(f32(area[i]! + area[j]!) - inter)) > iouThres) suppressed[j] = 1;
      }
    }
    const det: Detections = { xyxy: new Float32Array(4 * kept.length), conf: new Float32Array(kept.length), cls: new Int32Array(kept.length), count: kept.length };
    kept.forEach((i, r) => {
      det.xyxy.set(box.subarray(4 * i, 4 * i + 4), 4 * r);
      det.conf[r] = candS[order[i]!]!;
      det.cls[r] = candC[order[i]!]!;
    });
    results.push(det);
  }
  return results;
}

/** {@link nmsOnArray} on Detect's TF.js eval output `[B, anchors, 4 + nc]`; reads the tensor once, does not dispose it. */
export function nonMaxSuppression(y: tf.Tensor3D, opts: NmsOptions = {}): Detections[] {
  return nmsOnArray(y.dataSync() as Float32Array, y.shape, 'bac', opts);
}
