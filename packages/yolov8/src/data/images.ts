import sharp from 'sharp';

/** An RGB image in host memory, HWC. */
export interface Rgb {
  /** Pixels, row-major, 3 bytes each. */
  data: Uint8Array;
  /** Width in pixels. */
  width: number;
  /** Height in pixels. */
  height: number;
}

/** Image suffixes ultralytics accepts (those sharp decodes). */
export const IMG_FORMATS = new Set(['bmp', 'jpeg', 'jpg', 'png', 'tif', 'tiff', 'webp', 'gif', 'avif']);

/**
 * ultralytics `load_image`: decodes (EXIF orientation applied) and resizes so the long side is
 * `imgsz`, keeping the aspect ratio (bilinear, as cv2.INTER_LINEAR).
 */
export async function loadImage(file: string, imgsz: number): Promise<{ img: Rgb; orig: [number, number] }> {
  const base = sharp(file, { failOn: 'error' }).rotate().removeAlpha().toColourspace('srgb');
  const { data, info } = await base.raw().toBuffer({ resolveWithObject: true });
  const h0 = info.height;
  const w0 = info.width;
  const r = imgsz / Math.max(h0, w0);
  if (r === 1) return { img: { data: new Uint8Array(data.buffer, data.byteOffset, data.length), width: w0, height: h0 }, orig: [h0, w0] };
  const w = Math.min(Math.ceil(w0 * r), imgsz);
  const h = Math.min(Math.ceil(h0 * r), imgsz);
  const out = await sharp(data, { raw: { width: w0, height: h0, channels: 3 } }).resize(w, h, { fit: 'fill', kernel: 'linear' }).raw().toBuffer();
  return { img: { data: new Uint8Array(out.buffer, out.byteOffset, out.length), width: w, height: h }, orig: [h0, w0] };
}
