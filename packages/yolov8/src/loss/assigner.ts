import { ciouHost } from './boxes';

/** Options of {@link taskAlignedAssign} (ultralytics `TaskAlignedAssigner` defaults). */
export interface AssignerOptions {
  /** Candidates per ground truth (10). */
  topk?: number;
  /** Exponent of the class score in the alignment metric (0.5). */
  alpha?: number;
  /** Exponent of the IoU in the alignment metric (6). */
  beta?: number;
  /** Numerical floor (1e-9). */
  eps?: number;
}

/** Inputs of {@link taskAlignedAssign}, all host arrays, row-major. */
export interface AssignerInput {
  /** Batch size. */
  bs: number;
  /** Anchors. */
  na: number;
  /** Classes. */
  nc: number;
  /** Padded ground truths per image. */
  nMax: number;
  /** Sigmoid class scores `[bs, na, nc]`. */
  pdScores: ArrayLike<number>;
  /** Predicted boxes `[bs, na, 4]` xyxy in pixels. */
  pdBboxes: ArrayLike<number>;
  /** Anchor centres `[na, 2]` in pixels. */
  ancPoints: ArrayLike<number>;
  /** Ground-truth classes `[bs, nMax]`. */
  gtLabels: ArrayLike<number>;
  /** Ground-truth boxes `[bs, nMax, 4]` xyxy in pixels. */
  gtBboxes: ArrayLike<number>;
  /** 1 for real ground truths, 0 for padding `[bs, nMax]`. */
  maskGt: ArrayLike<number>;
}

/** What the assigner returns (ultralytics' tuple without `target_labels`, which `targetGtIdx` implies). */
export interface AssignResult {
  /** Box each anchor regresses to `[bs, na, 4]` xyxy pixels (the image's first box for background). */
  targetBboxes: Float64Array;
  /** Soft one-hot class targets `[bs, na, nc]` scaled by the normalised alignment. */
  targetScores: Float64Array;
  /** 1 for foreground anchors `[bs, na]`. */
  fgMask: Uint8Array;
  /** Index of the assigned ground truth `[bs, na]`. */
  targetGtIdx: Int32Array;
}

/** Indices of the `k` largest values, ties broken by the lower index. */
function topkIndices(v: Float64Array, k: number): number[] {
  const idx = Array.from(v.keys());
  idx.sort((a, b) => v[b]! - v[a]! || a - b);
  return idx.slice(0, k);
}

/**
 * ultralytics 8.2 `TaskAlignedAssigner.forward` on host arrays: candidates inside each box
 * (`select_candidates_in_gts`), alignment `s^α·CIoU^β`, top-k, one ground truth per anchor by highest
 * overlap (`select_highest_overlaps`), then targets scaled by the normalised alignment.
 */
export function taskAlignedAssign(inp: AssignerInput, opts: AssignerOptions = {}): AssignResult {
  const topk = opts.topk ?? 10;
  const alpha = opts.alpha ?? 0.5;
  const beta = opts.beta ?? 6;
  const eps = opts.eps ?? 1e-9;
  const { bs, na, nc, nMax } = inp;
  const targetBboxes = new Float64Array(bs * na * 4);
  const targetScores = new Float64Array(bs * na * nc);
  const fgMask = new Uint8Array(bs * na);
  const targetGtIdx = new Int32Array(bs * na);
  if (nMax === 0) return { targetBboxes, targetScores, fgMask, targetGtIdx };
  const overlaps = new Float64Array(nMax * na);
  const align = new Float64Array(nMax * na);
  const maskPos = new Uint8Array(nMax * na);
  for (let b = 0; b < bs; b++) {
    overlaps.fill(0);
    align.fill(0);
    maskPos.fill(0);
    for (let m = 0; m < nMax; m++) {
      const g = (b * nMax + m) * 4;
      const valid = inp.maskGt[b * nMax + m]! > 0;
      if (!valid) continue;
      const label = inp.gtLabels[b * nMax + m]!;
      const [x1, y1, x2, y2] = [inp.gtBboxes[g]!, inp.gtBboxes[g + 1]!, inp.gtBboxes[g + 2]!, inp.gtBboxes[g + 3]!];
      const inGt = new Uint8Array(na);
      for (let a = 0; a < na; a++) {
        const ax = inp.ancPoints[2 * a]!;
        const ay = inp.ancPoints[2 * a + 1]!;
        if (Math.min(ax - x1, ay - y1, x2 - ax, y2 - ay) <= eps) continue;
        inGt[a] = 1;
        const ov = Math.max(ciouHost(inp.gtBboxes, g, inp.pdBboxes, (b * na + a) * 4).ciou, 0);
        overlaps[m * na + a] = ov;
        align[m * na + a] = inp.pdScores[(b * na + a) * nc + label]! ** alpha * ov ** beta;
      }
      for (const a of topkIndices(align.subarray(m * na, (m + 1) * na), topk)) if (inGt[a]) maskPos[m * na + a] = 1;
    }
    // select_highest_overlaps: an anchor claimed by several boxes keeps the one it overlaps most.
    for (let a = 0; a < na; a++) {
      let count = 0;
      for (let m = 0; m < nMax; m++) count += maskPos[m * na + a]!;
      if (count > 1) {
        let best = 0;
        for (let m = 1; m < nMax; m++) if (overlaps[m * na + a]! > overlaps[best * na + a]!) best = m;
        for (let m = 0; m < nMax; m++) maskPos[m * na + a] = m === best ? 1 : 0;
        count = 1;
      }
      let idx = 0;
      for (let m = 0; m < nMax; m++) if (maskPos[m * na + a]) { idx = m; break; }
      fgMask[b * na + a] = count;
      targetGtIdx[b * na + a] = idx;
      const g = (b * nMax + idx) * 4;
      for (let c = 0; c < 4; c++) targetBboxes[(b * na + a) * 4 + c] = inp.gtBboxes[g + c]!;
    }
    // Normalise: each box's best-aligned anchor gets that box's best positive IoU.
    const posAlign = new Float64Array(nMax);
    const posOv = new Float64Array(nMax);
    for (let m = 0; m < nMax; m++) {
      for (let a = 0; a < na; a++) {
        if (!maskPos[m * na + a]) continue;
        posAlign[m] = Math.max(posAlign[m]!, align[m * na + a]!);
        posOv[m] = Math.max(posOv[m]!, overlaps[m * na + a]!);
      }
    }
    for (let a = 0; a < na; a++) {
      if (!fgMask[b * na + a]) continue;
      let norm = 0;
      for (let m = 0; m < nMax; m++) {
        const am = maskPos[m * na + a] ? align[m * na + a]! : 0;
        norm = Math.max(norm, (am * posOv[m]!) / (posAlign[m]! + eps));
      }
      const label = Math.max(0, inp.gtLabels[b * nMax + targetGtIdx[b * na + a]!]!);
      targetScores[(b * na + a) * nc + label] = norm;
    }
  }
  return { targetBboxes, targetScores, fgMask, targetGtIdx };
}
