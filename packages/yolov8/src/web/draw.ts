import type { Results } from '../results-base';

/** Options of {@link drawResults}. */
export interface DrawOptions {
  /** Draw this picture first, stretched to the canvas (else the boxes go over what the canvas holds). */
  image?: CanvasImageSource;
  /** Leave the labels out (boxes only). */
  labels?: boolean;
}

type Ctx2d = CanvasRenderingContext2D | OffscreenCanvasRenderingContext2D;

/**
 * Draws one image's detections (boxes, `name conf` labels in ultralytics' colours) on a canvas of any
 * size: boxes are scaled from the original image to the canvas.
 */
export function drawResults(target: HTMLCanvasElement | OffscreenCanvas | Ctx2d, results: Results, opts: DrawOptions = {}): void {
  const ctx = 'getContext' in target ? (target.getContext('2d') as Ctx2d | null) : target;
  if (!ctx) throw new Error('drawResults: the canvas has no 2d context (is it already used for webgl?)');
  const { width, height } = ctx.canvas;
  const [h0, w0] = results.origShape;
  const [sx, sy] = [width / w0, height / h0];
  if (opts.image) ctx.drawImage(opts.image, 0, 0, width, height);
  ctx.save();
  ctx.textBaseline = 'top';
  for (const { xyxy: [x1, y1, x2, y2], color, label, lineWidth, fontSize, labelY } of results.annotations()) {
    const s = Math.min(sx, sy);
    ctx.strokeStyle = color;
    ctx.lineWidth = Math.max(1, lineWidth * s);
    ctx.strokeRect(x1 * sx, y1 * sy, (x2 - x1) * sx, (y2 - y1) * sy);
    if (opts.labels === false) continue;
    const fs = Math.max(10, fontSize * s);
    ctx.font = `${fs}px sans-serif`;
    const ty = labelY === y1 ? y1 * sy : Math.max(0, y1 * sy - fs - 4);
    ctx.fillStyle = color;
    ctx.fillRect(x1 * sx, ty, ctx.measureText(label).width + 4, fs + 4);
    ctx.fillStyle = '#fff';
    ctx.fillText(label, x1 * sx + 2, ty + 2);
  }
  ctx.restore();
}
