import { mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import sharp from 'sharp';
import { PALETTE, Results as ResultsBase } from './results-base';

export type { Annotation, Boxes, Speed, SamplingPoints, DetectionJson } from './results-base';

/** What predict returns per image: boxes in original pixels, class names, timings; can save itself. */
export class Results extends ResultsBase {
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

  /** Writes {@link toTxt} to a file. */
  saveTxt(file: string, opts: { saveConf?: boolean } = {}): string {
    mkdirSync(path.dirname(path.resolve(file)), { recursive: true });
    writeFileSync(file, this.toTxt(opts));
    return file;
  }

  /** Writes {@link toJSON} to a file. */
  saveJson(file: string): string {
    mkdirSync(path.dirname(path.resolve(file)), { recursive: true });
    writeFileSync(file, JSON.stringify(this.toJSON(), null, 2));
    return file;
  }
}
