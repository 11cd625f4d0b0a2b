import { augment, letterboxSample, type AugmentHyp, type Sample } from './augment';
import { checkLabels, type LabelCheck, type LabelEntry } from './dataset';
import { loadImage, type Rgb } from './images';
import { Rng } from './random';

/** One collated batch, ready for the model and the loss. */
export interface Batch {
  /** NHWC pixels in [0, 1], `[B, imgsz, imgsz, 3]` row-major. */
  images: Float32Array;
  /** Batch size. */
  size: number;
  /** Image side. */
  imgsz: number;
  /** Image index per object. */
  batchIdx: Float32Array;
  /** Class per object. */
  cls: Float32Array;
  /** Normalised `cx, cy, w, h` per object. */
  bboxes: Float32Array;
  /** Source files. */
  files: string[];
  /** Per image: original `[h, w]`, letterbox ratio and padding (validation only). */
  meta: { orig: [number, number]; ratio: number; pad: [number, number] }[];
}

/** A {@link YoloDataset} as plain data for worker threads (images in shared memory, not copied). */
export interface SharedDataset {
  /** Usable label entries. */
  labels: LabelEntry[];
  /** The label check. */
  check: LabelCheck;
  /** Load size. */
  imgsz: number;
  /** Decoded images (data backed by a SharedArrayBuffer where the runtime has one). */
  images: Rgb[];
  /** Original `[h, w]` per image. */
  orig: [number, number][];
}

/** `data` in shared memory, so worker threads read it without a copy (a plain copy where there is none). */
function shareable(data: Uint8Array): Uint8Array {
  if (typeof SharedArrayBuffer === 'undefined' || data.buffer instanceof SharedArrayBuffer) return data;
  const out = new Uint8Array(new SharedArrayBuffer(data.length));
  out.set(data);
  return out;
}

/** A checked split with its images decoded once (resized so the long side is `imgsz`) and kept in memory. */
export class YoloDataset {
  readonly #images: Rgb[] = [];
  readonly #orig: [number, number][] = [];

  private constructor(
    readonly labels: LabelEntry[],
    readonly check: LabelCheck,
    readonly imgsz: number,
  ) {}

  /** Checks labels (cached) and loads every usable image. */
  static async load(files: string[], nc: number, imgsz: number, opts: { cache?: boolean; log?: (m: string) => void } = {}): Promise<YoloDataset> {
    const check = await checkLabels(files, nc, opts);
    if (!check.labels.length) throw new Error(`dataset: none of the ${files.length} images is usable (see the warnings above)`);
    const ds = new YoloDataset(check.labels, check, imgsz);
    for (const e of check.labels) {
      const { img, orig } = await loadImage(e.im, imgsz);
      ds.#images.push({ ...img, data: shareable(img.data) });
      ds.#orig.push(orig);
    }
    return ds;
  }

  /** The dataset as plain data for a worker thread: the decoded images are shared, not copied. */
  toShared(): SharedDataset {
    return { labels: this.labels, check: this.check, imgsz: this.imgsz, images: this.#images, orig: this.#orig };
  }

  /** A dataset over {@link toShared}'s output (in a worker thread). */
  static fromShared(s: SharedDataset): YoloDataset {
    const ds = new YoloDataset(s.labels, s.check, s.imgsz);
    ds.#images.push(...s.images);
    ds.#orig.push(...s.orig);
    return ds;
  }

  /** Number of images. */
  get length(): number {
    return this.labels.length;
  }

  /** Image `i` at load size with its boxes in pixels. */
  sample(i: number): Sample {
    const img = this.#images[i]!;
    const e = this.labels[i]!;
    const boxes: number[] = [];
    for (let k = 0; k < e.cls.length; k++) {
      const [cx, cy, w, h] = e.bboxes.slice(4 * k, 4 * k + 4) as [number, number, number, number];
      boxes.push((cx - w / 2) * img.width, (cy - h / 2) * img.height, (cx + w / 2) * img.width, (cy + h / 2) * img.height);
    }
    return { img: { data: img.data.slice(), width: img.width, height: img.height }, cls: [...e.cls], boxes };
  }

  /** Original `[h, w]` of image `i`. */
  orig(i: number): [number, number] {
    return this.#orig[i]!;
  }
}

function seedOf(...parts: number[]): number {
  let h = 2166136261;
  for (const p of parts) {
    h = Math.imul(h ^ (p >>> 0), 16777619) >>> 0;
    h = Math.imul(h ^ (h >>> 15), 0x2c1b3c6d) >>> 0;
  }
  return h >>> 0;
}

/** The image order of an epoch: a shuffle seeded by (seed, epoch), so resuming needs only the epoch. */
export function epochOrder(n: number, seed: number, epoch: number): number[] {
  return new Rng(seedOf(seed, epoch, 0x5eed)).shuffle(Array.from({ length: n }, (_, i) => i));
}

function collate(samples: Sample[], imgsz: number, files: string[], meta: Batch['meta']): Batch {
  const images = new Float32Array(samples.length * imgsz * imgsz * 3);
  const bi: number[] = [];
  const cls: number[] = [];
  const bb: number[] = [];
  samples.forEach((s, b) => {
    const o = b * imgsz * imgsz * 3;
    for (let i = 0; i < s.img.data.length; i++) images[o + i] = s.img.data[i]! / 255;
    for (let k = 0; k < s.cls.length; k++) {
      const [x1, y1, x2, y2] = s.boxes.slice(4 * k, 4 * k + 4) as [number, number, number, number];
      bi.push(b);
      cls.push(s.cls[k]!);
      bb.push((x1 + x2) / 2 / imgsz, (y1 + y2) / 2 / imgsz, (x2 - x1) / imgsz, (y2 - y1) / imgsz);
    }
  });
  return { images, size: samples.length, imgsz, batchIdx: Float32Array.from(bi), cls: Float32Array.from(cls), bboxes: Float32Array.from(bb), files, meta };
}

/**
 * Training batch `k` of `epoch`: every random draw comes from a generator seeded by
 * (seed, epoch, image index), so a batch is the same whenever it is built (resume-safe).
 */
export function trainBatch(ds: YoloDataset, order: number[], k: number, batch: number, hyp: AugmentHyp, seed: number, epoch: number): Batch {
  const idx = order.slice(k * batch, (k + 1) * batch);
  const samples = idx.map((i) => {
    const rng = new Rng(seedOf(seed, epoch, i, k));
    return augment(ds.sample(i), () => [0, 1, 2].map(() => ds.sample(rng.int(ds.length))), ds.imgsz, hyp, rng);
  });
  return collate(samples, ds.imgsz, idx.map((i) => ds.labels[i]!.im), []);
}

/** Validation batch `k`: letterboxed (no upscaling) to `imgsz`×`imgsz`, no augmentation. */
export function valBatch(ds: YoloDataset, k: number, batch: number): Batch {
  const idx = Array.from({ length: Math.min(batch, ds.length - k * batch) }, (_, j) => k * batch + j);
  const meta: Batch['meta'] = [];
  const samples = idx.map((i) => {
    const s = ds.sample(i);
    const lb = letterboxSample(s, ds.imgsz, ds.imgsz, false);
    const [h0] = ds.orig(i);
    meta.push({ orig: ds.orig(i), ratio: lb.ratio * (s.img.height / h0), pad: lb.pad });
    return lb;
  });
  return collate(samples, ds.imgsz, idx.map((i) => ds.labels[i]!.im), meta);
}

/** Number of batches per epoch (the last one may be partial). */
export function batchCount(n: number, batch: number): number {
  return Math.ceil(n / batch);
}
