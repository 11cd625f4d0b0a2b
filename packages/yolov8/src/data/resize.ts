import type { Rgb } from './rgb';
import { simdResize } from './resize-simd';
import { clampRow, taps } from './resize-taps';

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

/** byte → byte / 255 as float32 (network input in 0–1), looked up instead of divided. */
export const UNIT = Float32Array.from({ length: 256 }, (_, i) => i / 255);

/** Where {@link resizeLinearInto} writes: bytes, or float32 network input in 0–1 (HWC or planar CHW). */
type Sink =
  | { kind: 'u8'; out: Uint8Array; stride: number; offset: number }
  | { kind: 'nhwc' | 'nchw'; out: Float32Array; stride: number; offset: number; plane: number };

/** One horizontally resized source row (3 channels, int32 sums scaled by 2^11), as cv2's HResizeLinear. */
function hrow(data: Uint8Array, base: number, w: number, s0: Int32Array, s1: Int32Array, ab: Int32Array, buf: Int32Array): void {
  for (let x = 0, d = 0; x < w; x++, d += 3) {
    const p = base + s0[x]!;
    const q = base + s1[x]!;
    const t = ab[x]!;
    const u = t & 0xffff;
    const v = t >>> 16;
    buf[d] = data[p]! * u + data[q]! * v;
    buf[d + 1] = data[p + 1]! * u + data[q + 1]! * v;
    buf[d + 2] = data[p + 2]! * u + data[q + 2]! * v;
  }
}

// cv2's VResizeLinearVec_32s8u: v_mul_hi on (S >> 4), then (+2) >> 2, not the exact (+2^21) >> 22.
// Weights are ≥ 0 and sum to 2^11, so the result is already in 0–255 (no clamp).

/** One output row as bytes. */
function vrowU8(r0: Int32Array, r1: Int32Array, b0: number, b1: number, n: number, out: Uint8Array, o: number): void {
  for (let x = 0; x < n; x++) out[o + x] = ((((r0[x]! >> 4) * b0) >> 16) + (((r1[x]! >> 4) * b1) >> 16) + 2) >> 2;
}

/** One output row as HWC float32 in 0–1. */
function vrowNhwc(r0: Int32Array, r1: Int32Array, b0: number, b1: number, n: number, out: Float32Array, o: number): void {
  for (let x = 0; x < n; x++) out[o + x] = UNIT[((((r0[x]! >> 4) * b0) >> 16) + (((r1[x]! >> 4) * b1) >> 16) + 2) >> 2]!;
}

/** One output row as planar CHW float32 in 0–1 (`plane` values between channels). */
function vrowNchw(r0: Int32Array, r1: Int32Array, b0: number, b1: number, w: number, out: Float32Array, o: number, plane: number): void {
  const g = o + plane;
  const b = g + plane;
  for (let x = 0, d = 0; x < w; x++, d += 3) {
    out[o + x] = UNIT[((((r0[d]! >> 4) * b0) >> 16) + (((r1[d]! >> 4) * b1) >> 16) + 2) >> 2]!;
    out[g + x] = UNIT[((((r0[d + 1]! >> 4) * b0) >> 16) + (((r1[d + 1]! >> 4) * b1) >> 16) + 2) >> 2]!;
    out[b + x] = UNIT[((((r0[d + 2]! >> 4) * b0) >> 16) + (((r1[d + 2]! >> 4) * b1) >> 16) + 2) >> 2]!;
  }
}

/** Bytes (`w`×`h`, HWC) written into a sink. */
function bytesInto(src: Uint8Array, w: number, h: number, sink: Sink): void {
  const n = w * 3;
  for (let y = 0; y < h; y++) {
    const row = src.subarray(y * n, (y + 1) * n);
    const o = sink.offset + y * sink.stride;
    if (sink.kind === 'u8') sink.out.set(row, o);
    else if (sink.kind === 'nhwc') for (let i = 0; i < n; i++) sink.out[o + i] = UNIT[row[i]!]!;
    else {
      const { out, plane } = sink;
      for (let x = 0; x < w; x++) {
        out[o + x] = UNIT[row[3 * x]!]!;
        out[o + plane + x] = UNIT[row[3 * x + 1]!]!;
        out[o + 2 * plane + x] = UNIT[row[3 * x + 2]!]!;
      }
    }
  }
}

/** Compact rows (`3w` values each, or three `w`×`h` planes for `nchw`) copied into a sink. */
function placeRows(rows: Uint8Array | Float32Array, w: number, h: number, sink: Sink): void {
  const n = w * 3;
  if (sink.kind !== 'nchw') for (let y = 0; y < h; y++) sink.out.set(rows.subarray(y * n, y * n + n), sink.offset + y * sink.stride);
  else
    for (let c = 0; c < 3; c++)
      for (let y = 0, i = c * w * h; y < h; y++, i += w) sink.out.set(rows.subarray(i, i + w), sink.offset + c * sink.plane + y * sink.stride);
}

function resizeInto(img: Rgb, w: number, h: number, sink: Sink): void {
  const { data, width: sw, height: sh } = img;
  if (!(w > 0 && h > 0 && Number.isInteger(w) && Number.isInteger(h))) throw new Error(`resize: size must be positive integers, got ${w}×${h}`);
  if (data.length < sw * sh * 3) throw new Error(`resize: ${data.length} bytes do not hold a ${sw}×${sh} RGB image`);
  if (w === sw && h === sh) return bytesInto(data, w, h, sink);
  if (sw === 2 * w && sh === 2 * h) {
    if (sink.kind === 'u8') return halve(img, sink.out, sink.stride, sink.offset);
    const tmp = new Uint8Array(w * h * 3);
    halve(img, tmp, w * 3, 0);
    return bytesInto(tmp, w, h, sink);
  }
  const xt = taps(sw, w, true);
  // Rows keep their weights at the edges and read a clamped row instead, as cv2 does.
  const yt = taps(sh, h, false);
  const simd = simdResize(img, w, h, xt, yt, sink.kind);
  if (simd) return placeRows(simd, w, h, sink);
  const n = w * 3;
  // Source byte offsets of both taps per destination pixel (the right tap clamped at the edge), both weights in one int.
  const s0 = new Int32Array(w);
  const s1 = new Int32Array(w);
  const ab = new Int32Array(w);
  for (let x = 0; x < w; x++) {
    s0[x] = xt.ofs[x]! * 3;
    s1[x] = xt.ofs[x]! + 1 < sw ? s0[x]! + 3 : s0[x]!;
    ab[x] = xt.w0[x]! | (xt.w1[x]! << 16);
  }
  // Two live horizontally resized rows, as cv2 keeps: source rows are visited in increasing order.
  let ra = new Int32Array(n);
  let rb = new Int32Array(n);
  let ya = -1;
  let yb = -1;
  const rs = sw * 3;
  for (let y = 0; y < h; y++) {
    const sy = yt.ofs[y]!;
    const y0 = clampRow(sy, sh);
    const y1 = clampRow(sy + 1, sh);
    if (ya !== y0) {
      if (yb === y0) {
        const t = ra;
        ra = rb;
        rb = t;
        yb = -1;
      } else hrow(data, y0 * rs, w, s0, s1, ab, ra);
      ya = y0;
    }
    if (yb !== y1) {
      if (y1 === y0) rb.set(ra);
      else hrow(data, y1 * rs, w, s0, s1, ab, rb);
      yb = y1;
    }
    const o = sink.offset + y * sink.stride;
    if (sink.kind === 'u8') vrowU8(ra, rb, yt.w0[y]!, yt.w1[y]!, n, sink.out, o);
    else if (sink.kind === 'nhwc') vrowNhwc(ra, rb, yt.w0[y]!, yt.w1[y]!, n, sink.out, o);
    else vrowNchw(ra, rb, yt.w0[y]!, yt.w1[y]!, w, sink.out, o, sink.plane);
  }
}

/**
 * Bilinear resize bit-exact with OpenCV 4 `cv2.resize(..., INTER_LINEAR)` on 8-bit 3-channel images
 * (what ultralytics uses), written into `out` at `outOffset` with `outStride` bytes per row, so a
 * letterbox can resize straight into its padded canvas. Checked pixel for pixel against cv2 4.6 on
 * down- and upscales (test/resize.test.ts), including its edge rows and its exact-halving shortcut.
 */
export function resizeLinearInto(img: Rgb, w: number, h: number, out: Uint8Array, outStride = w * 3, outOffset = 0): void {
  resizeInto(img, w, h, { kind: 'u8', out, stride: outStride, offset: outOffset });
}

/**
 * {@link resizeLinearInto} written straight as float32 network input (`byte / 255`), HWC (`nhwc`) or
 * planar (`nchw`), at pixel (`left`, `top`) of a `canvas.width`×`canvas.height` image that starts at
 * `canvas.offset` of `out`: the same bytes, with no intermediate byte canvas.
 */
export function resizeLinearToInput(img: Rgb, w: number, h: number, out: Float32Array, layout: 'nhwc' | 'nchw', canvas: { width: number; height: number; left: number; top: number; offset?: number }): void {
  const { width: W, height: H, left, top, offset = 0 } = canvas;
  if (left < 0 || top < 0 || left + w > W || top + h > H) throw new Error(`resize: a ${w}×${h} image does not fit a ${W}×${H} canvas at (${left}, ${top})`);
  if (out.length < offset + W * H * 3) throw new Error(`resize: output holds ${out.length} values, needs ${offset + W * H * 3}`);
  if (layout === 'nhwc') resizeInto(img, w, h, { kind: 'nhwc', out, stride: W * 3, offset: offset + (top * W + left) * 3, plane: 0 });
  else resizeInto(img, w, h, { kind: 'nchw', out, stride: W, offset: offset + top * W + left, plane: W * H });
}

/** {@link resizeLinearInto} into a new image. */
export function resizeLinear(img: Rgb, w: number, h: number): Rgb {
  const out = new Uint8Array(w * h * 3);
  resizeLinearInto(img, w, h, out);
  return { data: out, width: w, height: h };
}
