import { makeAnchors, tf } from '@yolomods/core';
import { taskAlignedAssign, type AssignResult, type AssignerOptions } from './assigner';
import { bbox2dist, ciouAlphaHost, ciouTf } from './boxes';

/** Ground truths of a batch, ultralytics style: one row per object. */
export interface DetectionTargets {
  /** Image index of each object in the batch. */
  batchIdx: ArrayLike<number>;
  /** Class of each object. */
  cls: ArrayLike<number>;
  /** Normalised `cx, cy, w, h` per object (`[n·4]`). */
  bboxes: ArrayLike<number>;
}

/** Loss gains (ultralytics hyperparameters `box`, `cls`, `dfl`). */
export interface LossGains {
  /** Box (CIoU) gain, 7.5. */
  box: number;
  /** Class (BCE) gain, 0.5. */
  cls: number;
  /** DFL gain, 1.5. */
  dfl: number;
}

/** Options of {@link DetectionLoss}. */
export interface DetectionLossOptions {
  /** Number of classes. */
  nc: number;
  /** Head strides, e.g. `[8, 16, 32]`. */
  stride: number[];
  /** DFL bins (16). */
  regMax?: number;
  /** Gains (defaults 7.5 / 0.5 / 1.5). */
  gains?: Partial<LossGains>;
  /** Assigner settings (topk 10, α 0.5, β 6). */
  assigner?: AssignerOptions;
}

/** What {@link DetectionLoss.compute} returns. */
export interface DetectionLossResult {
  /** `sum(items) · batch_size`: what is differentiated. */
  total: tf.Scalar;
  /** `[box, cls, dfl]` after gains (a tensor, no gradient use intended). */
  items: tf.Tensor1D;
  /** The assigner's targets (host arrays). */
  assign: AssignResult;
}

/** Scales, pads and converts targets to ultralytics' `[bs, nMax, 5]` (cls, x1, y1, x2, y2 in pixels). */
function preprocess(t: DetectionTargets, bs: number, imgW: number, imgH: number): { nMax: number; labels: Float64Array; boxes: Float64Array; mask: Float64Array } {
  const n = t.cls.length;
  const counts = new Array<number>(bs).fill(0);
  for (let i = 0; i < n; i++) {
    const b = t.batchIdx[i]!;
    if (!(b >= 0 && b < bs && Number.isInteger(b))) throw new Error(`loss targets: batch_idx[${i}] = ${b} is not an image index in [0, ${bs})`);
    counts[b]!++;
  }
  const nMax = n ? Math.max(...counts) : 0;
  const labels = new Float64Array(bs * nMax);
  const boxes = new Float64Array(bs * nMax * 4);
  const mask = new Float64Array(bs * nMax);
  const fill = new Array<number>(bs).fill(0);
  for (let i = 0; i < n; i++) {
    const b = t.batchIdx[i]!;
    const j = b * nMax + fill[b]!++;
    labels[j] = t.cls[i]!;
    const [cx, cy, w, h] = [t.bboxes[4 * i]! * imgW, t.bboxes[4 * i + 1]! * imgH, t.bboxes[4 * i + 2]! * imgW, t.bboxes[4 * i + 3]! * imgH];
    boxes.set([cx - w / 2, cy - h / 2, cx + w / 2, cy + h / 2], 4 * j);
    mask[j] = boxes[4 * j]! + boxes[4 * j + 1]! + boxes[4 * j + 2]! + boxes[4 * j + 3]! > 0 ? 1 : 0;
  }
  return { nMax, labels, boxes, mask };
}

/**
 * ultralytics 8.2 `v8DetectionLoss`: TaskAlignedAssigner targets, BCE class loss, CIoU box loss and
 * DFL on the train-mode raw maps. The assignment runs on host values (it has no gradient); every
 * term that depends on the maps is a TF.js op, so gradients flow to them.
 */
export class DetectionLoss {
  /** Classes. */
  readonly nc: number;
  /** DFL bins. */
  readonly regMax: number;
  /** Head strides. */
  readonly stride: number[];
  /** Gains. */
  readonly gains: LossGains;
  readonly #assigner: AssignerOptions;

  constructor(opts: DetectionLossOptions) {
    this.nc = opts.nc;
    this.regMax = opts.regMax ?? 16;
    this.stride = opts.stride;
    this.gains = { box: 7.5, cls: 0.5, dfl: 1.5, ...opts.gains };
    this.#assigner = opts.assigner ?? {};
  }

  /** Loss of NHWC raw maps `[B, H_i, W_i, 4·regMax + nc]` (P3 first) against `targets`. */
  compute(feats: tf.Tensor4D[], targets: DetectionTargets): DetectionLossResult {
    const { nc, regMax } = this;
    const no = 4 * regMax + nc;
    if (feats.length !== this.stride.length) throw new Error(`loss: got ${feats.length} maps for ${this.stride.length} strides`);
    feats.forEach((f, i) => {
      if (f.shape[3] !== no) throw new Error(`loss: map ${i} has ${f.shape[3]} channels, expected 4·${regMax} + ${nc} = ${no}`);
    });
    const bs = feats[0]!.shape[0];
    const shapes = feats.map((f) => [f.shape[1], f.shape[2]] as [number, number]);
    const { points, strides } = makeAnchors(shapes, this.stride);
    const na = strides.length;
    const imgH = shapes[0]![0] * this.stride[0]!;
    const imgW = shapes[0]![1] * this.stride[0]!;
    const gt = preprocess(targets, bs, imgW, imgH);
    let assign!: AssignResult;
    const out = tf.tidy(() => {
      const flat = tf.concat(feats.map((f) => tf.reshape(f, [bs, -1, no])), 1);
      const [distri, scores] = tf.split(flat, [4 * regMax, nc], 2) as [tf.Tensor3D, tf.Tensor3D];
      const proj = tf.range(0, regMax, 1, 'float32');
      const dist = tf.sum(tf.mul(tf.softmax(tf.reshape(distri, [bs, na, 4, regMax])), proj), 3); // [bs, na, 4] ltrb
      const anchors = tf.tensor2d(points, [na, 2]);
      const [lt, rb] = tf.split(dist, 2, 2);
      const predBoxes = tf.concat([tf.sub(anchors, lt!), tf.add(anchors, rb!)], 2); // xyxy, grid units
      const boxesHost = predBoxes.dataSync();
      const scoresHost = tf.sigmoid(scores).dataSync();
      const pdPx = new Float64Array(bs * na * 4);
      for (let i = 0; i < bs * na; i++) for (let c = 0; c < 4; c++) pdPx[4 * i + c] = boxesHost[4 * i + c]! * strides[i % na]!;
      const ancPx = new Float64Array(na * 2);
      for (let a = 0; a < na; a++) {
        ancPx[2 * a] = points[2 * a]! * strides[a]!;
        ancPx[2 * a + 1] = points[2 * a + 1]! * strides[a]!;
      }
      assign = taskAlignedAssign(
        { bs, na, nc, nMax: gt.nMax, pdScores: scoresHost, pdBboxes: pdPx, ancPoints: ancPx, gtLabels: gt.labels, gtBboxes: gt.boxes, maskGt: gt.mask },
        this.#assigner,
      );
      let tsSum = 0;
      for (const v of assign.targetScores) tsSum += v;
      tsSum = Math.max(tsSum, 1);
      // BCE with logits, the numerically stable form.
      const z = tf.tensor3d(Float32Array.from(assign.targetScores), [bs, na, nc]);
      const bce = tf.add(tf.sub(tf.relu(scores), tf.mul(scores, z)), tf.log1p(tf.exp(tf.neg(tf.abs(scores)))));
      const lossCls = tf.div(tf.sum(bce), tsSum);
      const fg: number[] = [];
      assign.fgMask.forEach((v, i) => v && fg.push(i));
      let lossBox: tf.Scalar = tf.scalar(0);
      let lossDfl: tf.Scalar = tf.scalar(0);
      if (fg.length) {
        const k = fg.length;
        const tBox = new Float32Array(k * 4);
        const alpha = new Float32Array(k);
        const weight = new Float32Array(k);
        const dflW = new Float32Array(k * 4 * regMax);
        const ltrb = new Float64Array(4);
        fg.forEach((i, j) => {
          const a = i % na;
          const s = strides[a]!;
          for (let c = 0; c < 4; c++) tBox[4 * j + c] = assign.targetBboxes[4 * i + c]! / s;
          alpha[j] = ciouAlphaHost(boxesHost, 4 * i, tBox, 4 * j);
          let w = 0;
          for (let c = 0; c < nc; c++) w += assign.targetScores[i * nc + c]!;
          weight[j] = w;
          bbox2dist(points[2 * a]!, points[2 * a + 1]!, tBox, 4 * j, regMax - 1, ltrb, 0);
          for (let c = 0; c < 4; c++) {
            const tl = Math.floor(ltrb[c]!);
            const wl = tl + 1 - ltrb[c]!;
            dflW[(4 * j + c) * regMax + tl] = wl;
            dflW[(4 * j + c) * regMax + tl + 1] = 1 - wl;
          }
        });
        const idx = tf.tensor1d(fg, 'int32');
        const w = tf.tensor1d(weight);
        const pb = tf.gather(tf.reshape(predBoxes, [bs * na, 4]), idx) as tf.Tensor2D;
        const iou = ciouTf(pb, tf.tensor2d(tBox, [k, 4]), tf.tensor1d(alpha));
        lossBox = tf.div(tf.sum(tf.mul(tf.sub(1, iou), w)), tsSum);
        const pd = tf.gather(tf.reshape(distri, [bs * na, 4 * regMax]), idx);
        const logp = tf.logSoftmax(tf.reshape(pd, [k, 4, regMax]));
        const ce = tf.neg(tf.sum(tf.mul(logp, tf.tensor3d(dflW, [k, 4, regMax])), 2)); // [k, 4]
        lossDfl = tf.div(tf.sum(tf.mul(tf.mean(ce, 1), w)), tsSum);
      }
      const items = tf.stack([tf.mul(lossBox, this.gains.box), tf.mul(lossCls, this.gains.cls), tf.mul(lossDfl, this.gains.dfl)]) as tf.Tensor1D;
      return { total: tf.mul(tf.sum(items), bs) as tf.Scalar, items };
    });
    return { ...out, assign };
  }
}
