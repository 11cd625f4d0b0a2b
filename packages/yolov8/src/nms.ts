import { tf } from '@yolomods/core';

/** Options of {@link nonMaxSuppression}; ultralytics' names and defaults. */
export interface NmsOptions {
  /** Minimum best-class score of a candidate (default 0.25). */
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

/**
 * ultralytics 8.2 `non_max_suppression` (multi_label=False) on Detect's eval output
 * `[B, A, 4 + nc]` (`cx, cy, w, h` then class scores). Reads the tensor once; does not dispose it.
 */
export function nonMaxSuppression(y: tf.Tensor3D, opts: NmsOptions = {}): Detections[] {
  const confThres = opts.conf ?? 0.25;
  const iouThres = opts.iou ?? 0.7;
  if (!(confThres >= 0 && confThres <= 1)) throw new Error(`nms: conf must be in [0, 1], got ${confThres}`);
  if (!(iouThres >= 0 && iouThres <= 1)) throw new Error(`nms: iou must be in [0, 1], got ${iouThres}`);
  const maxDet = opts.maxDet ?? 300;
  const maxWh = opts.maxWh ?? 7680;
  const maxNms = opts.maxNms ?? 30000;
  const classes = opts.classes ? new Set(opts.classes) : null;
  const [batch, anchors, width] = y.shape;
  const nc = width - 4;
  const data = y.dataSync() as Float32Array;
  const results: Detections[] = [];
  for (let b = 0; b < batch; b++) {
    const cand: { box: number[]; score: number; cls: number }[] = [];
    for (let a = 0; a < anchors; a++) {
      const o = (b * anchors + a) * width;
      let best = 0;
      for (let c = 1; c < nc; c++) if (data[o + 4 + c]! > data[o + 4 + best]!) best = c;
      const score = data[o + 4 + best]!;
      if (!(score > confThres) || (classes && !classes.has(best))) continue;
      const [cx, cy, w, h] = [data[o]!, data[o + 1]!, data[o + 2]!, data[o + 3]!];
      cand.push({ box: [cx - w / 2, cy - h / 2, cx + w / 2, cy + h / 2], score, cls: best });
    }
    cand.sort((p, q) => q.score - p.score);
    if (cand.length > maxNms) cand.length = maxNms;
    // torchvision.ops.nms on class-offset boxes: the offset only keeps classes apart.
    const off = (c: number) => (opts.agnostic ? 0 : c * maxWh);
    const kept: typeof cand = [];
    const suppressed = new Uint8Array(cand.length);
    for (let i = 0; i < cand.length && kept.length < maxDet; i++) {
      if (suppressed[i]) continue;
      const p = cand[i]!;
      kept.push(p);
      const po = off(p.cls);
      for (let j = i + 1; j < cand.length; j++) {
        if (suppressed[j]) continue;
        const q = cand[j]!;
        const qo = off(q.cls);
        if (iou(p.box, po, q.box, qo) > iouThres) suppressed[j] = 1;
      }
    }
    results.push({
      xyxy: Float32Array.from(kept.flatMap((k) => k.box)),
      conf: Float32Array.from(kept.map((k) => k.score)),
      cls: Int32Array.from(kept.map((k) => k.cls)),
      count: kept.length,
    });
  }
  return results;
}

function iou(a: number[], ao: number, b: number[], bo: number): number {
  const iw = Math.min(a[2]! + ao, b[2]! + bo) - Math.max(a[0]! + ao, b[0]! + bo);
  const ih = Math.min(a[3]! + ao, b[3]! + bo) - Math.max(a[1]! + ao, b[1]! + bo);
  if (iw <= 0 || ih <= 0) return 0;
  const inter = iw * ih;
  const area = (r: number[]) => (r[2]! - r[0]!) * (r[3]! - r[1]!);
  return inter / (area(a) + area(b) - inter);
}
