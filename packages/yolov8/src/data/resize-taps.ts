/** OpenCV's fixed-point resize coefficients: weights are scaled by 2^11. */
const COEF_SCALE = 1 << 11;

/** cv2 `saturate_cast<short>(v * 2048)`: round half to even (cvRound). */
function coef(v: number): number {
  const s = v * COEF_SCALE;
  const r = Math.round(s);
  return Math.abs(s % 1) === 0.5 && r % 2 !== 0 ? r - 1 : r;
}

/** Source index and both weights per destination index, as cv2 computes them for INTER_LINEAR. */
export interface Taps {
  /** Left (or upper) source index. */
  ofs: Int32Array;
  /** Its weight, scaled by 2^11. */
  w0: Int32Array;
  /** The next source index's weight, scaled by 2^11. */
  w1: Int32Array;
}

/** cv2's INTER_LINEAR taps from `src` to `dst` samples; `clampEdges` as its horizontal pass does. */
export function taps(src: number, dst: number, clampEdges: boolean): Taps {
  const scale = 1 / (dst / src);
  const ofs = new Int32Array(dst);
  const w0 = new Int32Array(dst);
  const w1 = new Int32Array(dst);
  for (let d = 0; d < dst; d++) {
    let f = Math.fround((d + 0.5) * scale - 0.5);
    let s = Math.floor(f);
    f = Math.fround(f - s);
    if (clampEdges && s < 0) (f = 0), (s = 0);
    if (clampEdges && s >= src - 1) (f = 0), (s = src - 1);
    ofs[d] = s;
    w0[d] = coef(Math.fround(1 - f));
    w1[d] = coef(f);
  }
  return { ofs, w0, w1 };
}

/** Source row of a vertical tap: cv2 keeps the row weights at the edges and reads a clamped row. */
export function clampRow(sy: number, sh: number): number {
  return sy < 0 ? 0 : sy >= sh ? sh - 1 : sy;
}
