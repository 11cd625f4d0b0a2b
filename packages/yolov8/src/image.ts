import sharp from 'sharp';
import type { Rgb } from './data/images';

/** A decoded RGB image in host memory (HWC, 3 bytes per pixel), upright. */
export type RgbImage = Rgb;

/** Python's round(): halves go to the even neighbour (ultralytics computes sizes with it). */
function pyRound(x: number): number {
  const r = Math.round(x);
  return Math.abs(x % 1) === 0.5 && r % 2 !== 0 ? r - 1 : r;
}

/**
 * Decodes a JPEG/PNG/WebP/… file or buffer to RGB with its EXIF orientation applied (sharp
 * `.rotate()`), alpha dropped and grayscale widened to three channels.
 */
export async function decodeImage(src: string | Uint8Array): Promise<RgbImage> {
  const name = typeof src === 'string' ? src : `<buffer of ${src.byteLength} bytes>`;
  try {
    const input = typeof src === 'string' ? src : Buffer.from(src.buffer, src.byteOffset, src.byteLength);
    const { data, info } = await sharp(input, { failOn: 'error' })
      .rotate()
      .removeAlpha()
      .toColourspace('srgb')
      .raw()
      .toBuffer({ resolveWithObject: true });
    if (info.channels !== 3) throw new Error(`decoded to ${info.channels} channels, expected 3`);
    return { data: new Uint8Array(data.buffer, data.byteOffset, data.length), width: info.width, height: info.height };
  } catch (e) {
    throw new Error(`cannot decode image ${name}: ${(e as Error).message}`);
  }
}

/** Options of {@link letterbox} (ultralytics `LetterBox`). */
export interface LetterboxOptions {
  /** Padded sides become multiples of this when `auto` (default 32). */
  stride?: number;
  /** Pad only up to the next multiple of `stride` instead of to the full square (default true). */
  auto?: boolean;
  /** Allow enlarging small images (default true). */
  scaleup?: boolean;
}

/** A letterboxed image and how it was made. */
export interface Letterboxed extends RgbImage {
  /** Resize gain applied to the original. */
  ratio: number;
  /** Left and top padding in pixels. */
  pad: [number, number];
}

/**
 * ultralytics `LetterBox`: resize keeping the aspect ratio (gain `min(new/old)`), then pad with
 * gray 114, split as ultralytics does (`round(d ∓ 0.1)`). Resizing is sharp's bilinear on the raw
 * buffer, the closest match to cv2.INTER_LINEAR it offers (values may differ by a grey level or so).
 */
export async function letterbox(img: RgbImage, imgsz: number | [number, number], opts: LetterboxOptions = {}): Promise<Letterboxed> {
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
  let resized = img.data;
  if (w !== w0 || h !== h0) {
    const buf = await sharp(img.data, { raw: { width: w0, height: h0, channels: 3 } })
      .resize(w, h, { fit: 'fill', kernel: 'linear' })
      .raw()
      .toBuffer();
    resized = new Uint8Array(buf.buffer, buf.byteOffset, buf.length);
  }
  const W = w + left + right;
  const H = h + top + bottom;
  const out = new Uint8Array(W * H * 3).fill(114);
  for (let y = 0; y < h; y++) out.set(resized.subarray(y * w * 3, (y + 1) * w * 3), ((y + top) * W + left) * 3);
  return { data: out, width: W, height: H, ratio: r, pad: [left, top] };
}

/**
 * ultralytics `scale_boxes`: maps `xyxy` boxes (k·4, in place) from the letterboxed `[h, w]` back
 * to the original `[h, w]`, clipped to it.
 */
export function scaleBoxes(from: [number, number], xyxy: Float32Array, to: [number, number]): Float32Array {
  const gain = Math.min(from[0] / to[0], from[1] / to[1]);
  const padX = Math.round((from[1] - to[1] * gain) / 2 - 0.1) || 0;
  const padY = Math.round((from[0] - to[0] * gain) / 2 - 0.1) || 0;
  for (let i = 0; i < xyxy.length; i += 4) {
    xyxy[i] = Math.min(Math.max((xyxy[i]! - padX) / gain, 0), to[1]);
    xyxy[i + 1] = Math.min(Math.max((xyxy[i + 1]! - padY) / gain, 0), to[0]);
    xyxy[i + 2] = Math.min(Math.max((xyxy[i + 2]! - padX) / gain, 0), to[1]);
    xyxy[i + 3] = Math.min(Math.max((xyxy[i + 3]! - padY) / gain, 0), to[0]);
  }
  return xyxy;
}
