import { boxIou } from './loss/boxes';

/** IoU thresholds 0.5:0.05:0.95 as float32 (ultralytics `iouv = torch.linspace(0.5, 0.95, 10)`). */
export const IOUV: readonly number[] = Array.from({ length: 10 }, (_, i) => Math.fround(0.5 + (0.45 / 9) * i));

/** numpy `linspace(0, 1, n)`: `k · (1 / (n − 1))`, last point exactly 1. */
function unitGrid(n: number): number[] {
  const step = 1 / (n - 1);
  return Array.from({ length: n }, (_, k) => (k === n - 1 ? 1 : k * step));
}

const AP_GRID = unitGrid(101);
const CONF_GRID = unitGrid(1000);

/**
 * ultralytics `BaseValidator.match_predictions`: for each IoU threshold, greedy one-to-one matching
 * of predictions to same-class ground truths (highest IoU first, then its deduplication order).
 * `iou` is `[nGt, nPred]` row-major. Returns `tp` `[nPred, iouv.length]` as 0/1.
 */
export function matchPredictions(predCls: ArrayLike<number>, trueCls: ArrayLike<number>, iou: ArrayLike<number>, iouv: readonly number[] = IOUV): Uint8Array {
  const np = predCls.length;
  const ng = trueCls.length;
  const t = iouv.length;
  const correct = new Uint8Array(np * t);
  const masked = new Float64Array(ng * np);
  for (let g = 0; g < ng; g++) for (let p = 0; p < np; p++) masked[g * np + p] = trueCls[g] === predCls[p] ? iou[g * np + p]! : 0;
  iouv.forEach((thr, ti) => {
    let m: [number, number][] = [];
    for (let g = 0; g < ng; g++) for (let p = 0; p < np; p++) if (masked[g * np + p]! >= thr) m.push([g, p]);
    if (m.length > 1) {
      // numpy: argsort ascending (stable for these sizes) then reversed.
      const v = (x: [number, number]) => masked[x[0] * np + x[1]]!;
      m = m.map((x, i) => [x, i] as const).sort((a, b) => v(a[0]) - v(b[0]) || a[1] - b[1]).map(([x]) => x).reverse();
      m = firstByKey(m, 1);
      m = firstByKey(m, 0);
    }
    for (const [, p] of m) correct[p * t + ti] = 1;
  });
  return correct;
}

/** `rows[np.unique(rows[:, col], return_index=True)[1]]`: first row per key, ordered by key. */
function firstByKey(rows: [number, number][], col: 0 | 1): [number, number][] {
  const first = new Map<number, [number, number]>();
  for (const r of rows) if (!first.has(r[col])) first.set(r[col], r);
  return [...first.entries()].sort((a, b) => a[0] - b[0]).map(([, r]) => r);
}

/** True positives of one image's predictions (`[N, 6]` x1 y1 x2 y2 conf cls rows) against its labels. */
export function processBatch(pred: ArrayLike<number>, gtBoxes: ArrayLike<number>, gtCls: ArrayLike<number>, iouv: readonly number[] = IOUV): Uint8Array {
  const n = pred.length / 6;
  const m = gtCls.length;
  if (m === 0 || n === 0) return new Uint8Array(n * iouv.length);
  const boxes = new Float64Array(n * 4);
  const cls = new Float64Array(n);
  for (let i = 0; i < n; i++) {
    for (let c = 0; c < 4; c++) boxes[4 * i + c] = pred[6 * i + c]!;
    cls[i] = pred[6 * i + 5]!;
  }
  return matchPredictions(cls, gtCls, boxIou(gtBoxes, m, boxes, n), iouv);
}

/**
 * Rows sorted by confidence, highest first (stable). ultralytics matches NMS output, which is in this
 * order, and its greedy matcher breaks equal IoUs by position — so sorting makes any input order agree.
 */
function byConfidence(pred: ArrayLike<number>, n: number): ArrayLike<number> {
  const order = Array.from({ length: n }, (_, i) => i).sort((a, b) => pred[6 * b + 4]! - pred[6 * a + 4]! || a - b);
  if (order.every((v, i) => v === i)) return pred;
  const out = new Float64Array(6 * n);
  order.forEach((src, dst) => {
    for (let c = 0; c < 6; c++) out[6 * dst + c] = pred[6 * src + c]!;
  });
  return out;
}

/** numpy `interp(x, xp, fp, left, right)` for non-decreasing `xp`. */
export function interp(x: number, xp: ArrayLike<number>, fp: ArrayLike<number>, left = fp[0]!, right = fp[fp.length - 1]!): number {
  const n = xp.length;
  if (x < xp[0]!) return left;
  if (x > xp[n - 1]!) return right;
  let lo = 0;
  let hi = n - 1;
  while (lo < hi) {
    const mid = (lo + hi + 1) >> 1;
    if (xp[mid]! <= x) lo = mid;
    else hi = mid - 1;
  }
  const j = lo;
  if (j === n - 1 || xp[j] === x) return fp[j]!;
  const slope = (fp[j + 1]! - fp[j]!) / (xp[j + 1]! - xp[j]!);
  return slope * (x - xp[j]!) + fp[j]!;
}

/** ultralytics `compute_ap`: 101-point interpolated area under the monotone precision envelope. */
export function computeAp(recall: ArrayLike<number>, precision: ArrayLike<number>): number {
  const n = recall.length;
  const mrec = [0, ...Array.from(recall), 1];
  const mpre = [1, ...Array.from(precision), 0];
  for (let i = n; i >= 0; i--) mpre[i] = Math.max(mpre[i]!, mpre[i + 1]!);
  let ap = 0;
  let prev = interp(AP_GRID[0]!, mrec, mpre);
  for (let k = 1; k < AP_GRID.length; k++) {
    const y = interp(AP_GRID[k]!, mrec, mpre);
    ap += ((AP_GRID[k]! - AP_GRID[k - 1]!) * (prev + y)) / 2;
    prev = y;
  }
  return ap;
}

/** ultralytics `smooth(y, f)`: box filter of `round(len·f·2)//2 + 1` taps with edge padding. */
export function smooth(y: ArrayLike<number>, f = 0.05): Float64Array {
  const nf = Math.floor(Math.round(y.length * f * 2) / 2) + 1;
  const half = nf >> 1;
  const yp = [...new Array<number>(half).fill(y[0]!), ...Array.from(y), ...new Array<number>(half).fill(y[y.length - 1]!)];
  const out = new Float64Array(y.length);
  const w = 1 / nf;
  for (let i = 0; i < y.length; i++) {
    let s = 0;
    for (let j = 0; j < nf; j++) s += yp[i + j]! * w;
    out[i] = s;
  }
  return out;
}

/** Per-class results of {@link apPerClass} (rows follow `apClassIndex`). */
export interface ApPerClass {
  /** Classes present in the labels, ascending. */
  apClassIndex: number[];
  /** Precision at the best mean-F1 confidence. */
  p: Float64Array;
  /** Recall at the best mean-F1 confidence. */
  r: Float64Array;
  /** F1 at that confidence. */
  f1: Float64Array;
  /** AP per class × IoU threshold, `[nc][iouv]`. */
  ap: Float64Array[];
}

/**
 * ultralytics `ap_per_class`: per-class AP at every IoU threshold (COCO 101-point), and P/R at the
 * confidence maximising the smoothed (f 0.1) mean F1 over a 1000-point grid.
 */
export function apPerClass(tp: Uint8Array, nt: number, conf: ArrayLike<number>, predCls: ArrayLike<number>, targetCls: ArrayLike<number>, eps = 1e-16): ApPerClass {
  const np = conf.length;
  const order = Array.from({ length: np }, (_, i) => i).sort((a, b) => conf[b]! - conf[a]! || a - b);
  const counts = new Map<number, number>();
  for (const c of Array.from(targetCls)) counts.set(c, (counts.get(c) ?? 0) + 1);
  const classes = [...counts.keys()].sort((a, b) => a - b);
  const grid = CONF_GRID;
  const pCurve = classes.map(() => new Float64Array(1000));
  const rCurve = classes.map(() => new Float64Array(1000));
  const ap = classes.map(() => new Float64Array(nt));
  classes.forEach((c, ci) => {
    const idx = order.filter((i) => predCls[i] === c);
    const nl = counts.get(c)!;
    if (idx.length === 0) return;
    const negConf = idx.map((i) => -conf[i]!);
    const tpc = Array.from({ length: nt }, () => new Float64Array(idx.length));
    const fpc = Array.from({ length: nt }, () => new Float64Array(idx.length));
    for (let j = 0; j < nt; j++) {
      let t = 0;
      let f = 0;
      idx.forEach((i, k) => {
        t += tp[i * nt + j]!;
        f += 1 - tp[i * nt + j]!;
        tpc[j]![k] = t;
        fpc[j]![k] = f;
      });
    }
    const recall = tpc.map((a) => a.map((v) => v / (nl + eps)));
    const precision = tpc.map((a, j) => a.map((v, k) => v / (v + fpc[j]![k]!)));
    for (let g = 0; g < 1000; g++) {
      rCurve[ci]![g] = interp(-grid[g]!, negConf, recall[0]!, 0);
      pCurve[ci]![g] = interp(-grid[g]!, negConf, precision[0]!, 1);
    }
    for (let j = 0; j < nt; j++) ap[ci]![j] = computeAp(recall[j]!, precision[j]!);
  });
  const f1Curve = classes.map((_, ci) => pCurve[ci]!.map((p, g) => (2 * p * rCurve[ci]![g]!) / (p + rCurve[ci]![g]! + eps)));
  const meanF1 = grid.map((_, g) => f1Curve.reduce((s, f) => s + f[g]!, 0) / Math.max(classes.length, 1));
  const sm = smooth(meanF1, 0.1);
  let best = 0;
  for (let g = 1; g < sm.length; g++) if (sm[g]! > sm[best]!) best = g;
  return {
    apClassIndex: classes,
    p: Float64Array.from(pCurve.map((c) => c[best]!)),
    r: Float64Array.from(rCurve.map((c) => c[best]!)),
    f1: Float64Array.from(f1Curve.map((c) => c[best]!)),
    ap,
  };
}

/** Detection metrics as ultralytics' `DetMetrics` reports them. */
export interface DetMetrics {
  /** Per-class results (empty when no prediction was ever correct, as ultralytics skips them). */
  perClass: ApPerClass;
  /** `[mP, mR, mAP50, mAP50-95]`. */
  meanResults: [number, number, number, number];
  /** mAP50-95 per class id over all `nc` names (absent classes get the overall mAP50-95). */
  maps: Float64Array;
  /** `0.1·mAP50 + 0.9·mAP50-95`. */
  fitness: number;
}

/** Accumulates per-image statistics and computes {@link DetMetrics} (ultralytics DetectionValidator). */
export class DetectionMetrics {
  readonly #tp: Uint8Array[] = [];
  readonly #conf: number[] = [];
  readonly #cls: number[] = [];
  readonly #target: number[] = [];
  /** Per-class image and instance counts, for the per-class table. */
  readonly seen = { images: 0 };

  constructor(readonly nc: number, readonly iouv: readonly number[] = IOUV) {}

  /** Adds one image: predictions `[N, 6]` (x1 y1 x2 y2 conf cls, pixels) and its labels (xyxy pixels). */
  update(pred: ArrayLike<number>, gtBoxes: ArrayLike<number>, gtCls: ArrayLike<number>): void {
    this.seen.images++;
    const n = pred.length / 6;
    this.#target.push(...Array.from(gtCls));
    if (n === 0) return;
    pred = byConfidence(pred, n);
    this.#tp.push(processBatch(pred, gtBoxes, gtCls, this.iouv));
    for (let i = 0; i < n; i++) {
      this.#conf.push(pred[6 * i + 4]!);
      this.#cls.push(pred[6 * i + 5]!);
    }
  }

  /** Instances per class in the labels seen so far. */
  instances(): number[] {
    const out = new Array<number>(this.nc).fill(0);
    for (const c of this.#target) out[c] = (out[c] ?? 0) + 1;
    return out;
  }

  /** Computes the metrics over everything added. */
  compute(): DetMetrics {
    const nt = this.iouv.length;
    const tp = new Uint8Array(this.#tp.reduce((s, t) => s + t.length, 0));
    let o = 0;
    for (const t of this.#tp) {
      tp.set(t, o);
      o += t.length;
    }
    return metricsFrom(tp, nt, this.#conf, this.#cls, this.#target, this.nc);
  }
}

/** {@link DetMetrics} from concatenated statistics (`tp` `[N, nt]`). */
export function metricsFrom(tp: Uint8Array, nt: number, conf: ArrayLike<number>, predCls: ArrayLike<number>, targetCls: ArrayLike<number>, nc: number): DetMetrics {
  const any = tp.some((v) => v > 0);
  const perClass: ApPerClass = any ? apPerClass(tp, nt, conf, predCls, targetCls) : { apClassIndex: [], p: new Float64Array(), r: new Float64Array(), f1: new Float64Array(), ap: [] };
  const mean = (a: ArrayLike<number>) => (a.length ? Array.from(a).reduce((s, v) => s + v, 0) / a.length : 0);
  const ap50 = perClass.ap.map((a) => a[0]!);
  const apAll = perClass.ap.map((a) => mean(a));
  const meanResults: [number, number, number, number] = [mean(perClass.p), mean(perClass.r), mean(ap50), mean(apAll)];
  const maps = new Float64Array(nc).fill(meanResults[3]);
  perClass.apClassIndex.forEach((c, i) => {
    if (c >= 0 && c < nc) maps[c] = apAll[i]!;
  });
  return { perClass, meanResults, maps, fitness: 0.1 * meanResults[2] + 0.9 * meanResults[3] };
}
