import type { Rgb } from './rgb';

/** OpenCV's fixed-point resize coefficients: weights are scaled by 2^11. */
const COEF_BITS = 11;
const COEF_SCALE = 1 << COEF_BITS;

/** cv2 `saturate_cast<short>(v * 2048)`: round half to even (cvRound). */
function coef(v: number): number {
  const s = v * COEF_SCALE;
  const r = Math.round(s);
  return Math.abs(s % 1) === 0.5 && r % 2 !== 0 ? r - 1 : r;
}

/** Source offset and weights per destination index, as cv2 computes them for INTER_LINEAR. */
function taps(src: number, dst: number, clampEdges: boolean): { ofs: Int32Array; w0: Int32Array; w1: Int32Array } {
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

/** cv2's 2×2 box average (`INTER_AREA` fast path it takes for an exact halving). */
function halve(img: Rgb, out: Uint8Array, outStride: number, outOffset: number): void {
  const { data, width: sw } = img;
  const dw = sw >> 1;
  const dh = img.height >> 1;
  for (let y = 0; y < dh; y++) {
    const r0 = 2 * y * sw * 3;
    const r1 = r0 + sw * 3;
    const o = outOffset + y * outStride;
    for (let x = 0; x < dw; x++) {
      for (let c = 0; c < 3; c++) {
        const i = 6 * x + c;
        out[o + 3 * x + c] = (data[r0 + i]! + data[r0 + i + 3]! + data[r1 + i]! + data[r1 + i + 3]! + 2) >> 2;
      }
    }
  }
}

/**
 * Bilinear resize bit-exact with OpenCV 4 `cv2.resize(..., INTER_LINEAR)` on 8-bit 3-channel images
 * (what ultralytics uses), written into `out` at `outOffset` with `outStride` bytes per row, so a
 * letterbox can resize straight into its padded canvas. Checked pixel for pixel against cv2 4.6 on
 * down- and upscales (test/resize.test.ts), including its edge rows and its exact-halving shortcut.
 */
export function resizeLinearInto(img: Rgb, w: number, h: number, out: Uint8Array, outStride = w * 3, outOffset = 0): void {
  const { data, width: sw, height: sh } = img;
  if (!(w > 0 && h > 0 && Number.isInteger(w) && Number.isInteger(h))) throw new Error(`resize: size must be positive integers, got ${w}×${h}`);
  if (w === sw && h === sh) {
    for (let y = 0; y < h; y++) out.set(data.subarray(y * sw * 3, (y + 1) * sw * 3), outOffset + y * outStride);
    return;
  }
  if (sw === 2 * w && sh === 2 * h) return halve(img, out, outStride, outOffset);
  const xt = taps(sw, w, true);
  // Rows keep their weights at the edges and read a clamped row instead, as cv2 does.
  const yt = taps(sh, h, false);
  const rowLen = w * 3;
  // Source byte offsets of both taps per destination pixel (the right tap clamped at the edge).
  const s0 = new Int32Array(w);
  const s1 = new Int32Array(w);
  for (let x = 0; x < w; x++) {
    s0[x] = xt.ofs[x]! * 3;
    s1[x] = xt.ofs[x]! + 1 < sw ? s0[x]! + 3 : s0[x]!;
  }
  const a0 = xt.w0;
  const a1 = xt.w1;
  // Horizontally resized source rows, cached as cv2 does (two live rows).
  const rows = [new Int32Array(rowLen), new Int32Array(rowLen)];
  const rowOf = [-1, -1];
  const row = (sy: number): Int32Array => {
    if (rowOf[0] === sy) return rows[0]!;
    if (rowOf[1] === sy) return rows[1]!;
    // replace the older row: source rows are visited in increasing order
    const k = rowOf[0]! < rowOf[1]! ? 0 : 1;
    const buf = rows[k]!;
    const base = sy * sw * 3;
    for (let x = 0, d = 0; x < w; x++, d += 3) {
      const p = base + s0[x]!;
      const q = base + s1[x]!;
      const u = a0[x]!;
      const v = a1[x]!;
      buf[d] = data[p]! * u + data[q]! * v;
      buf[d + 1] = data[p + 1]! * u + data[q + 1]! * v;
      buf[d + 2] = data[p + 2]! * u + data[q + 2]! * v;
    }
    rowOf[k] = sy;
    return buf;
  };
  for (let y = 0; y < h; y++) {
    const sy = yt.ofs[y]!;
    const b0 = yt.w0[y]!;
    const b1 = yt.w1[y]!;
    const r0 = row(Math.min(Math.max(sy, 0), sh - 1));
    const r1 = row(Math.min(Math.max(sy + 1, 0), sh - 1));
    const o = outOffset + y * outStride;
    for (let x = 0; x < rowLen; x++) {
      // v_mul_hi on (S >> 4), then (+2) >> 2: VResizeLinearVec_32s8u's rounding, not the exact (+2^21) >> 22
      const v = ((((r0[x]! >> 4) * b0) >> 16) + (((r1[x]! >> 4) * b1) >> 16) + 2) >> 2;
      out[o + x] = v < 0 ? 0 : v > 255 ? 255 : v;
    }
  }
}

/** {@link resizeLinearInto} into a new image. */
export function resizeLinear(img: Rgb, w: number, h: number): Rgb {
  const out = new Uint8Array(w * h * 3);
  resizeLinearInto(img, w, h, out);
  return { data: out, width: w, height: h };
}
