import { mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import sharp from 'sharp';
import type { RgbImage } from './image';

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

const PALETTE = ['FF3838', 'FF9D97', 'FF701F', 'FFB21D', 'CFD231', '48F90A', '92CC17', '3DDB86', '1A9334', '00D4BB', '2C99A8', '00C2FF', '344593', '6473FF', '0018EC', '8438FF', '520085', 'CB38FF', 'FF95C8', 'FF37C7'];

const escapeXml = (s: string) => s.replace(/[<>&'"]/g, (c) => `&#${c.charCodeAt(0)};`);

/** What predict returns per image: boxes in original pixels, class names, timings; can save itself. */
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

  /** The annotated image as an SVG overlay (boxes + `name conf` labels). */
  overlaySvg(): string {
    const [h, w] = this.origShape;
    const lw = Math.max(Math.round(((h + w) / 2) * 0.003), 2);
    const fs = Math.max(lw * 6, 12);
    const parts = this.boxes.xyxy.map(([x1, y1, x2, y2], i) => {
      const c = this.boxes.cls[i]!;
      const col = `#${PALETTE[c % PALETTE.length]}`;
      const label = escapeXml(`${this.names[c] ?? c} ${this.boxes.conf[i]!.toFixed(2)}`);
      const tw = Math.ceil(label.length * fs * 0.6) + 4;
      const ty = y1! - fs - 4 >= 0 ? y1! - fs - 4 : y1!;
      return (
        `<rect x="${x1}" y="${y1}" width="${x2! - x1!}" height="${y2! - y1!}" fill="none" stroke="${col}" stroke-width="${lw}"/>` +
        `<rect x="${x1}" y="${ty}" width="${tw}" height="${fs + 4}" fill="${col}"/>` +
        `<text x="${x1! + 2}" y="${ty + fs}" font-family="sans-serif" font-size="${fs}" fill="#fff">${label}</text>`
      );
    });
    return `<svg xmlns="http://www.w3.org/2000/svg" width="${w}" height="${h}">${parts.join('')}</svg>`;
  }

  /** Writes the annotated image; the format follows the extension (.jpg, .png, .webp). */
  async save(file: string): Promise<string> {
    if (!this.origImg) throw new Error(`save: ${this.path}: the original image was not kept`);
    const { data, width, height } = this.origImg;
    mkdirSync(path.dirname(path.resolve(file)), { recursive: true });
    await sharp(data, { raw: { width, height, channels: 3 } })
      .composite([{ input: Buffer.from(this.overlaySvg()), top: 0, left: 0 }])
      .toFile(file);
    return file;
  }

  /** Writes the fusion maps side by side (P3 | P4 | P5), each scaled to the P3 map's size, as one image. */
  async saveFusionMaps(file: string): Promise<string> {
    const maps = this.fusionMaps;
    if (!maps?.length) throw new Error(`saveFusionMaps: ${this.path}: no fusion maps (predict with fusionMaps: true on a Detect_ASFF model)`);
    const { width: w, height: h } = maps[0]!;
    const tiles = await Promise.all(
      maps.map((m) => sharp(m.data, { raw: { width: m.width, height: m.height, channels: 3 } }).resize(w, h, { kernel: 'nearest' }).png().toBuffer()),
    );
    mkdirSync(path.dirname(path.resolve(file)), { recursive: true });
    await sharp({ create: { width: w * tiles.length, height: h, channels: 3, background: '#000' } })
      .composite(tiles.map((input, i) => ({ input, top: 0, left: i * w })))
      .toFile(file);
    return file;
  }

  /** Writes the original image with each deformable-attention layer's sampled key positions drawn as dots. */
  async saveSamplingPoints(file: string): Promise<string> {
    if (!this.samplingPoints?.length) throw new Error(`saveSamplingPoints: ${this.path}: no sampling points (predict with samplingPoints: true on a DAttention model)`);
    if (!this.origImg) throw new Error(`saveSamplingPoints: ${this.path}: the original image was not kept`);
    const { data, width, height } = this.origImg;
    const r = Math.max(2, Math.round(Math.min(width, height) / 120));
    const dots = this.samplingPoints.flatMap(({ points }, k) =>
      points.map(([x, y]) => `<circle cx="${x.toFixed(1)}" cy="${y.toFixed(1)}" r="${r}" fill="#${PALETTE[(k * 7) % PALETTE.length]}" stroke="#000" stroke-width="${Math.max(1, r / 3)}"/>`),
    );
    mkdirSync(path.dirname(path.resolve(file)), { recursive: true });
    const svg = `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}">${dots.join('')}</svg>`;
    await sharp(data, { raw: { width, height, channels: 3 } }).composite([{ input: Buffer.from(svg), top: 0, left: 0 }]).toFile(file);
    return file;
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

  /** Writes {@link toTxt} to a file. */
  saveTxt(file: string, opts: { saveConf?: boolean } = {}): string {
    mkdirSync(path.dirname(path.resolve(file)), { recursive: true });
    writeFileSync(file, this.toTxt(opts));
    return file;
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

  /** Writes {@link toJSON} to a file. */
  saveJson(file: string): string {
    mkdirSync(path.dirname(path.resolve(file)), { recursive: true });
    writeFileSync(file, JSON.stringify(this.toJSON(), null, 2));
    return file;
  }
}
