import type { Rgb } from './data/rgb';
import { resizeLinearInto, resizeLinearToInput, UNIT } from './data/resize';

/** Python's round(): halves go to the even neighbour (ultralytics computes sizes with it). */
export function pyRound(x: number): number {
  const r = Math.round(x);
  return Math.abs(x % 1) === 0.5 && r % 2 !== 0 ? r - 1 : r;
}

/** Options of {@link letterbox} (ultralytics `LetterBox`). */
export interface LetterboxOptions {
  /** Padded sides become multiples of this when `auto` (default 32). */
  stride?: number;
  /** Pad only up to the next multiple of `stride` instead of to the full size (default true). */
  auto?: boolean;
  /** Allow enlarging small images (default true). */
  scaleup?: boolean;
}

/** A letterboxed image and how it was made. */
export interface Letterboxed extends Rgb {
  /** Resize gain applied to the original. */
  ratio: number;
  /** Left and top padding in pixels. */
  pad: [number, number];
}

const PAD = 114;

/**
 * Fills what lies outside the `w`×`h` picture at (`left`, `top`) of a `W`×`H` canvas that starts at `o`,
 * with `ch` values per pixel (3 interleaved, or 1 for one plane of a planar image).
 */
function fillBorder(out: Uint8Array | Float32Array, value: number, o: number, ch: number, g: { w: number; h: number; W: number; H: number; left: number; top: number }): void {
  const { w, h, W, H, left, top } = g;
  const row = W * ch;
  out.fill(value, o, o + top * row);
  out.fill(value, o + (top + h) * row, o + H * row);
  for (let y = top; y < top + h; y++) {
    out.fill(value, o + y * row, o + (y * W + left) * ch);
    out.fill(value, o + (y * W + left + w) * ch, o + (y + 1) * row);
  }
}

/** Resized size and padding of a letterbox: the image is `w`×`h` at (`left`, `top`) of a `W`×`H` canvas. */
function geometry(img: Rgb, imgsz: number | [number, number], opts: LetterboxOptions): { w: number; h: number; W: number; H: number; left: number; top: number; r: number } {
  const stride = opts.stride ?? 32;
  const auto = opts.auto ?? true;
  const [nh, nw] = typeof imgsz === 'number' ? [imgsz, imgsz] : imgsz;
  if (!(nh > 0 && nw > 0)) throw new Error(`letterbox: imgsz must be positive, got ${String(imgsz)}`);
  const { width: w0, height: h0 } = img;
  let r = Math.min(nh / h0, nw / w0);
  if (!(opts.scaleup ?? true)) r = Math.min(r, 1);
  const w = pyRound(w0 * r);
  const h = pyRound(h0 * r);
  let dw = nw - w;
  let dh = nh - h;
  if (auto) {
    dw %= stride;
    dh %= stride;
  }
  dw /= 2;
  dh /= 2;
  const top = Math.round(dh - 0.1) || 0; // `|| 0`: no -0
  const bottom = Math.round(dh + 0.1);
  const left = Math.round(dw - 0.1) || 0;
  const right = Math.round(dw + 0.1);
  return { w, h, W: w + left + right, H: h + top + bottom, left, top, r };
}

/** Canvas `[height, width]` a letterbox of `img` to `imgsz` gets (what {@link letterboxInput} fills). */
export function letterboxShape(img: Rgb, imgsz: number | [number, number], opts: LetterboxOptions = {}): [number, number] {
  const { W, H } = geometry(img, imgsz, opts);
  return [H, W];
}

/**
 * ultralytics `LetterBox`: resize keeping the aspect ratio (gain `min(new/old)`, size by Python's
 * round), cv2-exact bilinear resize straight into a canvas of gray 114, padding split as ultralytics
 * does (`round(d ∓ 0.1)`). `imgsz` is a side or `[h, w]`.
 */
export function letterbox(img: Rgb, imgsz: number | [number, number], opts: LetterboxOptions = {}): Letterboxed {
  const g = geometry(img, imgsz, opts);
  const { w, h, W, H, left, top, r } = g;
  const out = new Uint8Array(W * H * 3);
  fillBorder(out, PAD, 0, 3, g);
  resizeLinearInto(img, w, h, out, W * 3, (top * W + left) * 3);
  return { data: out, width: W, height: H, ratio: r, pad: [left, top] };
}

/** Options of {@link letterboxInput}: the letterbox's, the input layout, and where to write it. */
export interface LetterboxInputOptions extends LetterboxOptions {
  /** `nhwc` (TF.js) or `nchw` (onnxruntime); default `nhwc`. */
  layout?: 'nhwc' | 'nchw';
  /** Array to write into (a batch), else a new one. */
  out?: Float32Array;
  /** Index in `out` where this image starts (default 0). */
  offset?: number;
}

/** A letterboxed image as network input, and how it was made. */
export interface LetterboxedInput {
  /** The input values in 0–1, `3 × height × width` from `offset`, in the layout asked for. */
  input: Float32Array;
  /** Canvas width in pixels. */
  width: number;
  /** Canvas height in pixels. */
  height: number;
  /** Resize gain applied to the original. */
  ratio: number;
  /** Left and top padding in pixels. */
  pad: [number, number];
}

/**
 * {@link letterbox} then {@link toInput} in one pass: the cv2-exact resize writes the float32 input
 * (`nhwc` or `nchw`) directly, gray 114 only in the padding, with no byte canvas in between. The
 * values are exactly those of `toInput(letterbox(img, imgsz, opts), layout)`.
 */
export function letterboxInput(img: Rgb, imgsz: number | [number, number], opts: LetterboxInputOptions = {}): LetterboxedInput {
  const g = geometry(img, imgsz, opts);
  const { w, h, W, H, left, top, r } = g;
  const layout = opts.layout ?? 'nhwc';
  if (layout !== 'nhwc' && layout !== 'nchw') throw new Error(`letterboxInput: layout must be nhwc or nchw, got ${String(layout)}`);
  const offset = opts.offset ?? 0;
  const out = opts.out ?? new Float32Array(offset + W * H * 3);
  if (out.length < offset + W * H * 3) throw new Error(`letterboxInput: output holds ${out.length} values, needs ${offset + W * H * 3}`);
  const gray = UNIT[PAD]!;
  if (layout === 'nhwc') fillBorder(out, gray, offset, 3, g);
  else for (let c = 0; c < 3; c++) fillBorder(out, gray, offset + c * W * H, 1, g);
  resizeLinearToInput(img, w, h, out, layout, { width: W, height: H, left, top, offset });
  return { input: out, width: W, height: H, ratio: r, pad: [left, top] };
}

/**
 * An RGB image as network input in 0–1: `nhwc` (TF.js) or `nchw` (onnxruntime), written into `out`
 * at `offset` (a batch slot) or into a new array.
 */
export function toInput(img: Rgb, layout: 'nhwc' | 'nchw', out?: Float32Array, offset = 0): Float32Array {
  const { data, width, height } = img;
  const n = width * height;
  const dst = out ?? new Float32Array(3 * n);
  if (dst.length < offset + 3 * n) throw new Error(`toInput: output holds ${dst.length} values, needs ${offset + 3 * n}`);
  if (layout === 'nhwc') {
    for (let i = 0; i < 3 * n; i++) dst[offset + i] = UNIT[data[i]!]!;
  } else {
    for (let i = 0, j = 0; i < n; i++, j += 3) {
      dst[offset + i] = UNIT[data[j]!]!;
      dst[offset + n + i] = UNIT[data[j + 1]!]!;
      dst[offset + 2 * n + i] = UNIT[data[j + 2]!]!;
    }
  }
  return dst;
}

/**
 * ultralytics `scale_boxes`: maps `xyxy` boxes (k·4, in place) from the letterboxed `[h, w]` back
 * to the original `[h, w]`, clipped to it. `ratioPad` (gain, `[left, top]`) replaces the gain and
 * padding computed from the shapes, as the validator passes them.
 */
export function scaleBoxes(from: [number, number], xyxy: Float32Array, to: [number, number], ratioPad?: { gain: number; pad: [number, number] }): Float32Array {
  const gain = ratioPad?.gain ?? Math.min(from[0] / to[0], from[1] / to[1]);
  const padX = ratioPad ? ratioPad.pad[0] : Math.round((from[1] - to[1] * gain) / 2 - 0.1) || 0;
  const padY = ratioPad ? ratioPad.pad[1] : Math.round((from[0] - to[0] * gain) / 2 - 0.1) || 0;
  for (let i = 0; i < xyxy.length; i += 4) {
    xyxy[i] = Math.min(Math.max((xyxy[i]! - padX) / gain, 0), to[1]);
    xyxy[i + 1] = Math.min(Math.max((xyxy[i + 1]! - padY) / gain, 0), to[0]);
    xyxy[i + 2] = Math.min(Math.max((xyxy[i + 2]! - padX) / gain, 0), to[1]);
    xyxy[i + 3] = Math.min(Math.max((xyxy[i + 3]! - padY) / gain, 0), to[0]);
  }
  return xyxy;
}
