import { mkdirSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import sharp from 'sharp';
import yaml from 'js-yaml';
import { Rng } from './random';

/** Shape classes the generator can draw, in class-id order. */
export const SHAPES = ['rectangle', 'ellipse', 'triangle', 'cross', 'diamond', 'ring'] as const;

/** Options of {@link generateSynthetic}. */
export interface SyntheticOptions {
  /** Output folder (created). */
  dir: string;
  /** Training images (default 200). */
  train?: number;
  /** Validation images (default 50). */
  val?: number;
  /** Image size in pixels, square (default 128). */
  imgsz?: number;
  /** Number of shape classes, taken from {@link SHAPES} in order (default 4). */
  classes?: number;
  /** Objects per image, inclusive range (default [1, 4]). */
  objects?: [number, number];
  /** Object size as a fraction of the image side, range (default [0.15, 0.5]). */
  size?: [number, number];
  /** Seed (default 0). */
  seed?: number;
  /** Background noise amplitude 0–255 (default 24). */
  noise?: number;
}

type Inside = (x: number, y: number) => boolean;

/** Point-in-shape test for a class inside the box `[x1, y1, x2, y2]` (the shape touches all four sides). */
function shapeTest(kind: (typeof SHAPES)[number], x1: number, y1: number, x2: number, y2: number, rng: Rng): Inside {
  const cx = (x1 + x2) / 2;
  const cy = (y1 + y2) / 2;
  const rx = (x2 - x1) / 2;
  const ry = (y2 - y1) / 2;
  switch (kind) {
    case 'rectangle':
      return () => true;
    case 'ellipse':
      return (x, y) => ((x - cx) / rx) ** 2 + ((y - cy) / ry) ** 2 <= 1;
    case 'ring':
      return (x, y) => {
        const d = ((x - cx) / rx) ** 2 + ((y - cy) / ry) ** 2;
        return d <= 1 && d >= 0.4;
      };
    case 'diamond':
      return (x, y) => Math.abs(x - cx) / rx + Math.abs(y - cy) / ry <= 1;
    case 'cross': {
      const t = rng.uniform(0.25, 0.4);
      return (x, y) => Math.abs(x - cx) <= t * rx || Math.abs(y - cy) <= t * ry;
    }
    case 'triangle': {
      const apex = x1 + rng.uniform(0, 1) * (x2 - x1);
      // Apex on the top edge, base on the bottom edge.
      return (x, y) => {
        const f = (y - y1) / (y2 - y1);
        return x >= apex + (x1 - apex) * f && x <= apex + (x2 - apex) * f;
      };
    }
  }
}

function background(w: number, h: number, rng: Rng, noise: number): Uint8Array {
  const d = new Uint8Array(w * h * 3);
  const c0 = [0, 1, 2].map(() => rng.uniform(40, 215));
  const c1 = [0, 1, 2].map(() => rng.uniform(40, 215));
  const angle = rng.uniform(0, Math.PI);
  const [ux, uy] = [Math.cos(angle), Math.sin(angle)];
  const stripes = rng.random() < 0.4 ? rng.uniform(4, 16) : 0;
  for (let y = 0; y < h; y++) {
    for (let x = 0; x < w; x++) {
      let t = (ux * x) / w + (uy * y) / h;
      t = Math.min(Math.max(t / 1.5, 0), 1);
      const stripe = stripes ? (Math.sin(((x * ux - y * uy) / stripes) * Math.PI) > 0 ? 12 : -12) : 0;
      for (let c = 0; c < 3; c++) d[(y * w + x) * 3 + c] = clampByte(c0[c]! * (1 - t) + c1[c]! * t + stripe + rng.normal() * noise * 0.5);
    }
  }
  return d;
}

const clampByte = (v: number) => Math.min(255, Math.max(0, Math.round(v)));

/** Renders one image: returns pixels and label lines (`class cx cy w h`, normalised). */
export function renderSyntheticImage(imgsz: number, rng: Rng, opts: Required<Omit<SyntheticOptions, 'dir' | 'train' | 'val' | 'seed' | 'imgsz'>>): { data: Uint8Array; labels: string[] } {
  const data = background(imgsz, imgsz, rng, opts.noise);
  const n = opts.objects[0] + rng.int(opts.objects[1] - opts.objects[0] + 1);
  const labels: string[] = [];
  for (let k = 0; k < n; k++) {
    const cls = rng.int(opts.classes);
    const bw = Math.round(rng.uniform(opts.size[0], opts.size[1]) * imgsz);
    const bh = Math.round(Math.min(Math.max(bw * rng.uniform(0.6, 1.6), opts.size[0] * imgsz), opts.size[1] * imgsz * 1.2));
    const x1 = rng.int(Math.max(imgsz - bw, 1));
    const y1 = rng.int(Math.max(imgsz - bh, 1));
    const x2 = Math.min(x1 + bw, imgsz);
    const y2 = Math.min(y1 + bh, imgsz);
    const inside = shapeTest(SHAPES[cls]!, x1, y1, x2, y2, rng);
    const colour = [0, 1, 2].map(() => (rng.random() < 0.5 ? rng.uniform(0, 70) : rng.uniform(185, 255)));
    let [mx1, my1, mx2, my2] = [Infinity, Infinity, -Infinity, -Infinity];
    for (let y = y1; y < y2; y++) {
      for (let x = x1; x < x2; x++) {
        if (!inside(x + 0.5, y + 0.5)) continue;
        const o = (y * imgsz + x) * 3;
        for (let c = 0; c < 3; c++) data[o + c] = clampByte(colour[c]! + rng.normal() * opts.noise * 0.3);
        mx1 = Math.min(mx1, x);
        my1 = Math.min(my1, y);
        mx2 = Math.max(mx2, x + 1);
        my2 = Math.max(my2, y + 1);
      }
    }
    if (mx2 - mx1 < 3 || my2 - my1 < 3) continue;
    const f = (v: number) => (v / imgsz).toFixed(6);
    labels.push(`${cls} ${f((mx1 + mx2) / 2)} ${f((my1 + my2) / 2)} ${f(mx2 - mx1)} ${f(my2 - my1)}`);
  }
  return { data, labels };
}

/**
 * Deletes files this generator named (`<split>_NNNNN<ext>`) from an earlier, larger run into the same
 * folder: they would silently join the dataset. Other files are left alone.
 */
function removeStale(dir: string, split: string, count: number, ext: string): void {
  const ours = new RegExp(`^${split}_(\\d{5})\\${ext}$`);
  for (const f of readdirSync(dir)) {
    const m = ours.exec(f);
    if (m && Number(m[1]) >= count) rmSync(path.join(dir, f));
  }
}

/**
 * Writes a seeded synthetic detection dataset in the ultralytics layout: `images/{train,val}/*.png`,
 * `labels/{train,val}/*.txt` and `data.yaml`. Later shapes may overlap earlier ones (the label keeps
 * the full box, as with occlusion). Regenerating into the same folder replaces the previous set (its
 * own files beyond the new counts are removed). Returns the YAML path.
 */
export async function generateSynthetic(options: SyntheticOptions): Promise<string> {
  const o = { train: 200, val: 50, imgsz: 128, classes: 4, objects: [1, 4] as [number, number], size: [0.15, 0.5] as [number, number], seed: 0, noise: 24, ...options };
  if (!(o.classes >= 1 && o.classes <= SHAPES.length)) throw new Error(`synthetic dataset: classes must be 1..${SHAPES.length}, got ${o.classes}`);
  const rng = new Rng(o.seed);
  for (const [split, count] of [['train', o.train], ['val', o.val]] as const) {
    const imDir = path.join(o.dir, 'images', split);
    const lbDir = path.join(o.dir, 'labels', split);
    mkdirSync(imDir, { recursive: true });
    mkdirSync(lbDir, { recursive: true });
    for (let i = 0; i < count; i++) {
      const { data, labels } = renderSyntheticImage(o.imgsz, rng, o);
      const name = `${split}_${String(i).padStart(5, '0')}`;
      await sharp(data, { raw: { width: o.imgsz, height: o.imgsz, channels: 3 } }).png().toFile(path.join(imDir, `${name}.png`));
      writeFileSync(path.join(lbDir, `${name}.txt`), labels.join('\n') + (labels.length ? '\n' : ''));
    }
    removeStale(imDir, split, count, '.png');
    removeStale(lbDir, split, count, '.txt');
  }
  const file = path.join(o.dir, 'data.yaml');
  const names = Object.fromEntries(SHAPES.slice(0, o.classes).map((n, i) => [i, n]));
  writeFileSync(file, `# synthetic shapes dataset (yolomods generateSynthetic, seed ${o.seed})\n` + yaml.dump({ path: '.', train: 'images/train', val: 'images/val', names }));
  return file;
}
