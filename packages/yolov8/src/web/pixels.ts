import type { Rgb } from '../data/rgb';

/** What a page can detect in: an element or bitmap that holds a picture, raw `ImageData`, or an encoded file (`Blob`/`File`). */
export type ImageInput = HTMLImageElement | HTMLCanvasElement | HTMLVideoElement | ImageBitmap | OffscreenCanvas | ImageData | Blob;

/** Pixel size of a drawable source (natural size for images, video frame size for videos). */
function sizeOf(src: Exclude<ImageInput, ImageData | Blob>): [number, number] {
  if (typeof HTMLImageElement !== 'undefined' && src instanceof HTMLImageElement) return [src.naturalWidth, src.naturalHeight];
  if (typeof HTMLVideoElement !== 'undefined' && src instanceof HTMLVideoElement) return [src.videoWidth, src.videoHeight];
  return [src.width, src.height];
}

/** RGBA → packed RGB (alpha dropped, as cv2.imread does). */
function dropAlpha(rgba: Uint8ClampedArray, width: number, height: number): Rgb {
  const data = new Uint8Array(width * height * 3);
  for (let i = 0, j = 0; j < data.length; i += 4, j += 3) {
    data[j] = rgba[i]!;
    data[j + 1] = rgba[i + 1]!;
    data[j + 2] = rgba[i + 2]!;
  }
  return { data, width, height };
}

/**
 * Reads a picture's pixels as RGB. A `Blob` is decoded with its EXIF orientation applied and its ICC
 * profile ignored (as cv2 decodes, so results equal Node's); an `<img>` is read as the browser shows it.
 */
export async function imageToRgb(src: ImageInput): Promise<Rgb> {
  if (typeof ImageData !== 'undefined' && src instanceof ImageData) return dropAlpha(src.data, src.width, src.height);
  let owned: ImageBitmap | null = null;
  if (src instanceof Blob) {
    try {
      owned = await createImageBitmap(src, { colorSpaceConversion: 'none', imageOrientation: 'from-image', premultiplyAlpha: 'none' });
    } catch (e) {
      throw new Error(`cannot decode image ${(src as File).name ?? `blob of ${src.size} bytes`} (${src.type || 'unknown type'}): ${(e as Error).message}`);
    }
  }
  const drawable = (owned ?? src) as Exclude<ImageInput, ImageData | Blob>;
  const [width, height] = sizeOf(drawable);
  if (!width || !height) throw new Error('image has no pixels yet (an <img> still loading, or a video before its first frame)');
  try {
    const canvas = new OffscreenCanvas(width, height);
    const ctx = canvas.getContext('2d', { willReadFrequently: true });
    if (!ctx) throw new Error('no 2d canvas context');
    ctx.drawImage(drawable, 0, 0);
    return dropAlpha(ctx.getImageData(0, 0, width, height).data, width, height);
  } finally {
    owned?.close();
  }
}
