import sharp from 'sharp';
import { resizeLinear } from './resize';
import type { Rgb } from './rgb';

export type { Rgb } from './rgb';

/** Image suffixes ultralytics accepts (those sharp decodes). */
export const IMG_FORMATS = new Set(['bmp', 'jpeg', 'jpg', 'png', 'tif', 'tiff', 'webp', 'gif', 'avif']);

/**
 * Decodes a JPEG/PNG/WebP/… file or buffer to RGB as `cv2.imread` does: EXIF orientation applied,
 * alpha dropped, grayscale widened to three channels, and an embedded ICC profile ignored (cv2 does
 * not convert colour spaces, so an Adobe RGB photo keeps its raw values, as ultralytics sees it).
 */
export async function decodeImage(src: string | Uint8Array): Promise<Rgb> {
  const name = typeof src === 'string' ? src : `<buffer of ${src.byteLength} bytes>`;
  try {
    const input = typeof src === 'string' ? src : Buffer.from(src.buffer, src.byteOffset, src.byteLength);
    const { data, info } = await sharp(input, { failOn: 'error', ignoreIcc: true })
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

/**
 * ultralytics `load_image`: decodes as {@link decodeImage} and resizes so the long side is `imgsz`,
 * keeping the aspect ratio (`ceil` sizes, cv2-exact INTER_LINEAR).
 */
export async function loadImage(file: string, imgsz: number): Promise<{ img: Rgb; orig: [number, number] }> {
  const img = await decodeImage(file);
  const { width: w0, height: h0 } = img;
  const r = imgsz / Math.max(h0, w0);
  if (r === 1) return { img, orig: [h0, w0] };
  const w = Math.min(Math.ceil(w0 * r), imgsz);
  const h = Math.min(Math.ceil(h0 * r), imgsz);
  return { img: resizeLinear(img, w, h), orig: [h0, w0] };
}
