import type { Rgb as RgbImage } from './data/rgb';

/** Detected boxes of one image, in original-image pixels (plain arrays). */
export interface Boxes {
  /** `[x1, y1, x2, y2]` per box. */
  xyxy: number[][];
  /** `[cx, cy, w, h]` per box. */
  xywh: number[][];
  /** Confidence per box. */
  conf: number[];
  /** Class id per box. */
  cls: number[];
}

/** Milliseconds per stage for one image. */
export interface Speed {
  /** Reading and decoding the image (ultralytics' loader does it, outside its preprocess time). */
  decode: number;
  /** Letterbox and input tensor. */
  preprocess: number;
  /** Network forward. */
  inference: number;
  /** NMS and box scaling. */
  postprocess: number;
}

/** Key positions one deformable-attention layer sampled for an image. */
export interface SamplingPoints {
  /** Layer index in the model. */
  layer: number;
  /** `[x, y]` in original-image pixels, one per sampled key (all offset groups). */
  points: [number, number][];
}

/** One detection in {@link Results.toJSON} (ultralytics' `tojson` layout). */
export interface DetectionJson {
  name: string;
  class: number;
  confidence: number;
  box: { x1: number; y1: number; x2: number; y2: number };
}

/** One box to draw: see {@link Results.annotations}. */
export interface Annotation {
  /** `[x1, y1, x2, y2]` in original pixels. */
  xyxy: [number, number, number, number];
  /** Class colour, `#rrggbb`. */
  color: string;
  /** `name conf`, e.g. `person 0.87`. */
  label: string;
  /** Box outline width in pixels. */
  lineWidth: number;
  /** Label font size in pixels. */
  fontSize: number;
  /** Top of the label's background. */
  labelY: number;
}

/** ultralytics' colour palette, `#rrggbb` without the `#`; class `c` uses entry `c % 20`. */
export const PALETTE = ['FF3838', 'FF9D97', 'FF701F', 'FFB21D', 'CFD231', '48F90A', '92CC17', '3DDB86', '1A9334', '00D4BB', '2C99A8', '00C2FF', '344593', '6473FF', '0018EC', '8438FF', '520085', 'CB38FF', 'FF95C8', 'FF37C7'];

const escapeXml = (s: string) => s.replace(/[<>&'"]/g, (c) => `&#${c.charCodeAt(0)};`);

/** What predict returns per image: boxes in original pixels, class names, timings (no file I/O: the Node entry's `Results` adds saving). */
export class Results {
  constructor(
    /** Source path (or `image<i>` for buffers and tensors). */
    readonly path: string,
    /** Original (upright) `[height, width]`. */
    readonly origShape: [number, number],
    /** Detections, best first. */
    readonly boxes: Boxes,
    /** Class names, index = class id. */
    readonly names: string[],
    /** Timings in ms. */
    readonly speed: Speed,
    /** The decoded original image (for {@link save}). */
    readonly origImg?: RgbImage,
    /** ASFF fusion weights per head level (P3, P4, P5) as RGB (red P5, green P4, blue P3), with `fusionMaps`. */
    readonly fusionMaps?: RgbImage[],
    /** Where each deformable-attention layer sampled its keys, `[x, y]` in original pixels, with `samplingPoints`. */
    readonly samplingPoints?: SamplingPoints[],
    /** The network input `[h, w]` (after the letterbox). */
    readonly inputShape?: [number, number],
  ) {}

  /** Number of detections. */
  get length(): number {
    return this.boxes.conf.length;
  }

  /** ultralytics `verbose()`: e.g. `2 persons, 1 bus`. */
  summary(): string {
    const counts = new Map<number, number>();
    for (const c of this.boxes.cls) counts.set(c, (counts.get(c) ?? 0) + 1);
    if (!counts.size) return '(no detections)';
    return [...counts].map(([c, n]) => `${n} ${this.names[c] ?? c}${n > 1 ? 's' : ''}`).join(', ');
  }

  /** What to draw per box (shared by the SVG overlay and the canvas helper): colour, label, line and font size in pixels. */
  annotations(): Annotation[] {
    const [h, w] = this.origShape;
    const lineWidth = Math.max(Math.round(((h + w) / 2) * 0.003), 2);
    const fontSize = Math.max(lineWidth * 6, 12);
    return this.boxes.xyxy.map(([x1, y1, x2, y2], i) => {
      const c = this.boxes.cls[i]!;
      // the label sits above the box, or inside it where the box touches the top edge
      const labelY = y1! - fontSize - 4 >= 0 ? y1! - fontSize - 4 : y1!;
      return { xyxy: [x1!, y1!, x2!, y2!], color: `#${PALETTE[c % PALETTE.length]}`, label: `${this.names[c] ?? c} ${this.boxes.conf[i]!.toFixed(2)}`, lineWidth, fontSize, labelY };
    });
  }

  /** The annotated image as an SVG overlay (boxes + `name conf` labels). */
  overlaySvg(): string {
    const [h, w] = this.origShape;
    const parts = this.annotations().map(({ xyxy: [x1, y1, x2, y2], color, label, lineWidth, fontSize, labelY }) => {
      const tw = Math.ceil(label.length * fontSize * 0.6) + 4;
      return (
        `<rect x="${x1}" y="${y1}" width="${x2 - x1}" height="${y2 - y1}" fill="none" stroke="${color}" stroke-width="${lineWidth}"/>` +
        `<rect x="${x1}" y="${labelY}" width="${tw}" height="${fontSize + 4}" fill="${color}"/>` +
        `<text x="${x1 + 2}" y="${labelY + fontSize}" font-family="sans-serif" font-size="${fontSize}" fill="#fff">${escapeXml(label)}</text>`
      );
    });
    return `<svg xmlns="http://www.w3.org/2000/svg" width="${w}" height="${h}">${parts.join('')}</svg>`;
  }

  /** ultralytics `save_txt` lines: `cls cx cy w h [conf]`, normalised to the image size. */
  toTxt(opts: { saveConf?: boolean } = {}): string {
    const [h, w] = this.origShape;
    return this.boxes.xywh
      .map(([cx, cy, bw, bh], i) => {
        const v = [cx! / w, cy! / h, bw! / w, bh! / h].map((x) => x.toFixed(6));
        return [String(this.boxes.cls[i]), ...v, ...(opts.saveConf ? [this.boxes.conf[i]!.toFixed(6)] : [])].join(' ');
      })
      .map((l) => `${l}\n`)
      .join('');
  }

  /** ultralytics `tojson` records (plus nothing else): name, class, confidence, box in pixels. */
  toJSON(): DetectionJson[] {
    return this.boxes.xyxy.map(([x1, y1, x2, y2], i) => ({
      name: this.names[this.boxes.cls[i]!] ?? String(this.boxes.cls[i]),
      class: this.boxes.cls[i]!,
      confidence: this.boxes.conf[i]!,
      box: { x1: x1!, y1: y1!, x2: x2!, y2: y2! },
    }));
  }

}
