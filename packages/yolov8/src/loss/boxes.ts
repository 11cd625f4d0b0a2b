import { tf } from '@yolomods/core';

/** ultralytics `bbox_iou(..., xywh=False, CIoU=True)` for two xyxy boxes on host numbers (eps 1e-7). */
export function ciouHost(a: ArrayLike<number>, ai: number, b: ArrayLike<number>, bi: number, eps = 1e-7): { ciou: number; iou: number; v: number } {
  const [ax1, ay1, ax2, ay2] = [a[ai]!, a[ai + 1]!, a[ai + 2]!, a[ai + 3]!];
  const [bx1, by1, bx2, by2] = [b[bi]!, b[bi + 1]!, b[bi + 2]!, b[bi + 3]!];
  const w1 = ax2 - ax1;
  const h1 = ay2 - ay1 + eps;
  const w2 = bx2 - bx1;
  const h2 = by2 - by1 + eps;
  const inter = Math.max(Math.min(ax2, bx2) - Math.max(ax1, bx1), 0) * Math.max(Math.min(ay2, by2) - Math.max(ay1, by1), 0);
  const union = w1 * h1 + w2 * h2 - inter + eps;
  const iou = inter / union;
  const cw = Math.max(ax2, bx2) - Math.min(ax1, bx1);
  const ch = Math.max(ay2, by2) - Math.min(ay1, by1);
  const c2 = cw * cw + ch * ch + eps;
  const rho2 = ((bx1 + bx2 - ax1 - ax2) ** 2 + (by1 + by2 - ay1 - ay2) ** 2) / 4;
  const v = (4 / Math.PI ** 2) * (Math.atan(w2 / h2) - Math.atan(w1 / h1)) ** 2;
  const alpha = v / (v - iou + (1 + eps));
  return { ciou: iou - (rho2 / c2 + v * alpha), iou, v };
}

/** CIoU's trade-off weight α, computed without gradient as ultralytics does (`torch.no_grad`). */
export function ciouAlphaHost(a: ArrayLike<number>, ai: number, b: ArrayLike<number>, bi: number, eps = 1e-7): number {
  const { iou, v } = ciouHost(a, ai, b, bi, eps);
  return v / (v - iou + (1 + eps));
}

/**
 * Differentiable CIoU of `pred` `[n, 4]` against constant `target` `[n, 4]` (both xyxy), with α given
 * (it carries no gradient in ultralytics). Returns `[n]`.
 */
export function ciouTf(pred: tf.Tensor2D, target: tf.Tensor2D, alpha: tf.Tensor1D, eps = 1e-7): tf.Tensor1D {
  return tf.tidy(() => {
    const [b1x1, b1y1, b1x2, b1y2] = tf.unstack(pred, 1) as tf.Tensor1D[];
    const [b2x1, b2y1, b2x2, b2y2] = tf.unstack(target, 1) as tf.Tensor1D[];
    const w1 = tf.sub(b1x2!, b1x1!);
    const h1 = tf.add(tf.sub(b1y2!, b1y1!), eps);
    const w2 = tf.sub(b2x2!, b2x1!);
    const h2 = tf.add(tf.sub(b2y2!, b2y1!), eps);
    const iw = tf.relu(tf.sub(tf.minimum(b1x2!, b2x2!), tf.maximum(b1x1!, b2x1!)));
    const ih = tf.relu(tf.sub(tf.minimum(b1y2!, b2y2!), tf.maximum(b1y1!, b2y1!)));
    const inter = tf.mul(iw, ih);
    const union = tf.add(tf.sub(tf.add(tf.mul(w1, h1), tf.mul(w2, h2)), inter), eps);
    const iou = tf.div(inter, union);
    const cw = tf.sub(tf.maximum(b1x2!, b2x2!), tf.minimum(b1x1!, b2x1!));
    const ch = tf.sub(tf.maximum(b1y2!, b2y2!), tf.minimum(b1y1!, b2y1!));
    const c2 = tf.add(tf.add(tf.square(cw), tf.square(ch)), eps);
    const dx = tf.sub(tf.add(b2x1!, b2x2!), tf.add(b1x1!, b1x2!));
    const dy = tf.sub(tf.add(b2y1!, b2y2!), tf.add(b1y1!, b1y2!));
    const rho2 = tf.div(tf.add(tf.square(dx), tf.square(dy)), 4);
    const v = tf.mul(4 / Math.PI ** 2, tf.square(tf.sub(tf.atan(tf.div(w2, h2)), tf.atan(tf.div(w1, h1)))));
    return tf.sub(iou, tf.add(tf.div(rho2, c2), tf.mul(v, alpha))) as tf.Tensor1D;
  });
}

/** ultralytics `box_iou`: IoU matrix `[n, m]` of xyxy boxes (eps 1e-7), on host. */
export function boxIou(a: ArrayLike<number>, n: number, b: ArrayLike<number>, m: number, eps = 1e-7): Float64Array {
  const out = new Float64Array(n * m);
  for (let i = 0; i < n; i++) {
    const [ax1, ay1, ax2, ay2] = [a[4 * i]!, a[4 * i + 1]!, a[4 * i + 2]!, a[4 * i + 3]!];
    const areaA = (ax2 - ax1) * (ay2 - ay1);
    for (let j = 0; j < m; j++) {
      const [bx1, by1, bx2, by2] = [b[4 * j]!, b[4 * j + 1]!, b[4 * j + 2]!, b[4 * j + 3]!];
      const inter = Math.max(Math.min(ax2, bx2) - Math.max(ax1, bx1), 0) * Math.max(Math.min(ay2, by2) - Math.max(ay1, by1), 0);
      out[i * m + j] = inter / (areaA + (bx2 - bx1) * (by2 - by1) - inter + eps);
    }
  }
  return out;
}

/** ultralytics `bbox2dist`: xyxy box → ltrb distances from an anchor, clamped to `[0, regMax − 0.01]`. */
export function bbox2dist(ax: number, ay: number, box: ArrayLike<number>, bi: number, regMax: number, out: Float64Array, oi: number): void {
  const hi = regMax - 0.01;
  const c = (v: number) => Math.min(Math.max(v, 0), hi);
  out[oi] = c(ax - box[bi]!);
  out[oi + 1] = c(ay - box[bi + 1]!);
  out[oi + 2] = c(box[bi + 2]! - ax);
  out[oi + 3] = c(box[bi + 3]! - ay);
}
