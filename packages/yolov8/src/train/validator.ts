import { tf, type DetectionModel } from '@yolomods/core';
import { nmsOnArray, nonMaxSuppression, type Detections, type NmsOptions } from '../nms';
import type { OnnxDetector } from '../onnx-model';
import { DetectionMetrics, type DetMetrics } from '../metrics';
import { DetectionLoss } from '../loss/index';
import { valBatch, valPlan, type Batch, type YoloDataset } from '../data/index';
import { scaleBoxes } from '../letterbox';

/** Options of {@link validate}. */
export interface ValidateOptions {
  /** Batch size (default 16). */
  batch?: number;
  /** ultralytics' rectangular batches (default true); false letterboxes every image to a square. */
  rect?: boolean;
  /** NMS confidence threshold (0.001). */
  conf?: number;
  /** NMS IoU threshold (0.7). */
  iou?: number;
  /** Detections kept per image (300). */
  maxDet?: number;
  /** Also compute validation losses with this loss. */
  loss?: DetectionLoss;
  /** Class names for the table. */
  names?: string[];
  /** Print ultralytics' table (default false). */
  verbose?: boolean;
  /** Where the table goes (default console.log). */
  log?: (line: string) => void;
}

/** What {@link validate} returns. */
export interface ValidateResult {
  /** P, R, mAP50, mAP50-95 overall and per class. */
  metrics: DetMetrics;
  /** Mean `[box, cls, dfl]` validation losses (zeros without a loss). */
  loss: [number, number, number];
  /** Images validated. */
  images: number;
  /** Instances per class. */
  instances: number[];
  /** ultralytics' metrics dictionary. */
  results: Record<string, number>;
}

const fmt = (v: number) => (v === 0 ? '0' : Number(v.toPrecision(3)).toString());

/** Adds one batch's detections and labels to `metrics`, both in original pixels (predictions clipped). */
function scoreBatch(metrics: DetectionMetrics, dets: Detections[], b: Batch): void {
  dets.forEach((d, i) => {
    const { orig, ratio, pad } = b.meta[i]!;
    const toOrig = (xyxy: Float32Array) => scaleBoxes([b.height, b.width], xyxy, orig, { gain: ratio, pad });
    const boxes = toOrig(d.xyxy.slice());
    const pred = new Float32Array(d.count * 6);
    for (let j = 0; j < d.count; j++) {
      pred.set(boxes.subarray(4 * j, 4 * j + 4), 6 * j);
      pred[6 * j + 4] = d.conf[j]!;
      pred[6 * j + 5] = d.cls[j]!;
    }
    const gt: number[] = [];
    const gtCls: number[] = [];
    for (let o = 0; o < b.cls.length; o++) {
      if (b.batchIdx[o] !== i) continue;
      const [cx, cy, w, h] = b.bboxes.subarray(4 * o, 4 * o + 4) as unknown as [number, number, number, number];
      gt.push((cx - w / 2) * b.width, (cy - h / 2) * b.height, (cx + w / 2) * b.width, (cy + h / 2) * b.height);
      gtCls.push(b.cls[o]!);
    }
    metrics.update(pred, toOrig(Float32Array.from(gt)), gtCls);
  });
}

const nmsOptions = (opts: ValidateOptions): NmsOptions => ({ conf: opts.conf ?? 0.001, iou: opts.iou ?? 0.7, maxDet: opts.maxDet ?? 300, multiLabel: true });

/**
 * ultralytics DetectionValidator on a dataset: rectangular batches (pad 0.5), eval-mode forward, NMS
 * (conf 0.001, iou 0.7, multi-label), predictions and labels scaled back to original pixels
 * (predictions clipped to the image), matching at IoU 0.5:0.95 and AP.
 */
export function validate(model: DetectionModel, ds: YoloDataset, opts: ValidateOptions = {}): ValidateResult {
  const training = model.training;
  model.eval();
  const metrics = new DetectionMetrics(model.nc);
  const lossSum = [0, 0, 0];
  const plan = valPlan(ds, { batch: opts.batch ?? 16, rect: opts.rect ?? true, stride: Math.max(...model.stride) });
  try {
    for (let k = 0; k < plan.batches.length; k++) {
      const b = valBatch(ds, plan, k);
      let dets: Detections[] = [];
      tf.tidy(() => {
        const out = model.forward(tf.tensor4d(b.images, [b.size, b.height, b.width, 3]));
        if (opts.loss) {
          const items = opts.loss.compute(out.feats, b).items.dataSync();
          for (let j = 0; j < 3; j++) lossSum[j]! += items[j]!;
        }
        dets = nonMaxSuppression(out.y!, nmsOptions(opts));
      });
      scoreBatch(metrics, dets, b);
    }
  } finally {
    model.train(training);
  }
  return report(metrics, ds, lossSum.map((v) => v / plan.batches.length) as [number, number, number], opts);
}

/**
 * {@link validate} for a model in an `.onnx` file alone: a graph with dynamic height and width gets
 * the rectangular batches, a static one (as ultralytics does) square `imgsz` letterboxes, in batches
 * of the graph's own size when its batch dimension is fixed.
 */
export async function validateOnnx(det: OnnxDetector, ds: YoloDataset, opts: ValidateOptions = {}): Promise<ValidateResult> {
  if (!det.dynamic && (det.imgsz[0] !== ds.imgsz || det.imgsz[1] !== ds.imgsz))
    throw new Error(`${det.file}: the graph takes ${det.imgsz.join('x')} images, not imgsz=${ds.imgsz} (export it again at that size, or pass imgsz=${det.imgsz[0]})`);
  const metrics = new DetectionMetrics(det.names.length);
  const plan = valPlan(ds, { batch: det.batch ?? opts.batch ?? 16, rect: det.dynamic && (opts.rect ?? true), stride: det.stride });
  if (det.batch !== null && ds.length % det.batch !== 0)
    throw new Error(`${det.file}: the graph takes batches of exactly ${det.batch}; ${ds.length} images do not split into them (export it with batch=1 or a dynamic batch)`);
  for (let k = 0; k < plan.batches.length; k++) {
    const b = valBatch(ds, plan, k, 'nchw'); // onnxruntime takes NCHW: written so, not transposed
    const y = await det.forward(b.images, [b.size, 3, b.height, b.width]);
    scoreBatch(metrics, nmsOnArray(y.data, y.shape as [number, number, number], 'bca', nmsOptions(opts)), b);
  }
  return report(metrics, ds, [0, 0, 0], opts);
}

/** ultralytics' table and metrics dictionary. */
function report(metrics: DetectionMetrics, ds: YoloDataset, loss: [number, number, number], opts: ValidateOptions): ValidateResult {
  const m = metrics.compute();
  const instances = metrics.instances();
  const [mp, mr, map50, map] = m.meanResults;
  if (opts.verbose) {
    const log = opts.log ?? ((l: string) => console.log(l));
    log(`${'Class'.padStart(22)}${'Images'.padStart(11)}${'Instances'.padStart(11)}${'Box(P'.padStart(11)}${'R'.padStart(11)}${'mAP50'.padStart(11)}${'mAP50-95)'.padStart(11)}`);
    const total = instances.reduce((s, v) => s + v, 0);
    log(`${'all'.padStart(22)}${String(ds.length).padStart(11)}${String(total).padStart(11)}${[mp, mr, map50, map].map((v) => fmt(v).padStart(11)).join('')}`);
    m.perClass.apClassIndex.forEach((c, i) => {
      const ap = m.perClass.ap[i]!;
      const name = opts.names?.[c] ?? String(c);
      log(`${name.padStart(22)}${String(ds.length).padStart(11)}${String(instances[c]).padStart(11)}${[m.perClass.p[i]!, m.perClass.r[i]!, ap[0]!, ap.reduce((s, v) => s + v, 0) / ap.length].map((v) => fmt(v).padStart(11)).join('')}`);
    });
  }
  return {
    metrics: m,
    loss,
    images: ds.length,
    instances,
    results: { 'metrics/precision(B)': mp, 'metrics/recall(B)': mr, 'metrics/mAP50(B)': map50, 'metrics/mAP50-95(B)': map, fitness: m.fitness },
  };
}
