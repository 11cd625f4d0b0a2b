import { augment, letterboxSample, type AugmentHyp, type Sample } from './augment';
import { checkLabels, type LabelCheck, type LabelEntry } from './dataset';
import { loadImage, type Rgb } from './images';
import { Rng } from './random';
import { toInput } from '../letterbox';

/** One collated batch, ready for the model and the loss. */
export interface Batch {
  /** Pixels in [0, 1], row-major: NHWC `[B, height, width, 3]`, or NCHW `[B, 3, height, width]` where {@link valBatch} was asked for it. */
  images: Float32Array;
  /** Batch size. */
  size: number;
  /** Load size (the long side). */
  imgsz: number;
  /** Image height: `imgsz`, or the batch's rectangle in validation. */
  height: number;
  /** Image width: `imgsz`, or the batch's rectangle in validation. */
  width: number;
  /** Image index per object. */
  batchIdx: Float32Array;
  /** Class per object. */
  cls: Float32Array;
  /** `cx, cy, w, h` per object, normalised by width and height. */
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

function collate(samples: Sample[], imgsz: number, height: number, width: number, files: string[], meta: Batch['meta'], layout: 'nhwc' | 'nchw' = 'nhwc'): Batch {
  const images = new Float32Array(samples.length * height * width * 3);
  const bi: number[] = [];
  const cls: number[] = [];
  const bb: number[] = [];
  samples.forEach((s, b) => {
    toInput(s.img, layout, images, b * height * width * 3);
    for (let k = 0; k < s.cls.length; k++) {
      const [x1, y1, x2, y2] = s.boxes.slice(4 * k, 4 * k + 4) as [number, number, number, number];
      bi.push(b);
      cls.push(s.cls[k]!);
      bb.push((x1 + x2) / 2 / width, (y1 + y2) / 2 / height, (x2 - x1) / width, (y2 - y1) / height);
    }
  });
  return { images, size: samples.length, imgsz, height, width, batchIdx: Float32Array.from(bi), cls: Float32Array.from(cls), bboxes: Float32Array.from(bb), files, meta };
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
  return collate(samples, ds.imgsz, ds.imgsz, ds.imgsz, idx.map((i) => ds.labels[i]!.im), []);
}

/** Options of {@link valPlan}: ultralytics' rectangular validation batches. */
export interface ValPlanOptions {
  /** Images per batch (default 16). */
  batch?: number;
  /** Rectangular batches (default true); false letterboxes every image to `imgsz`×`imgsz`. */
  rect?: boolean;
  /** Batch sides become multiples of this (default 32). */
  stride?: number;
  /** Extra padding in strides (ultralytics' validator uses 0.5). */
  pad?: number;
}

/** Which images form each validation batch and the `[h, w]` they are letterboxed to. */
export interface ValPlan {
  /** Image indices per batch. */
  batches: number[][];
  /** `[h, w]` per batch. */
  shapes: [number, number][];
}

/**
 * ultralytics `set_rectangle`: images sorted by aspect ratio (h/w of the original), batched in that
 * order, each batch letterboxed to the smallest stride-multiple rectangle its ratios fit, plus `pad`
 * strides. Ties keep file order (a stable sort; numpy's is not, which only moves equal-ratio images).
 */
export function valPlan(ds: YoloDataset, opts: ValPlanOptions = {}): ValPlan {
  const batch = opts.batch ?? 16;
  const stride = opts.stride ?? 32;
  const pad = opts.pad ?? 0.5;
  const n = ds.length;
  const idx = Array.from({ length: n }, (_, i) => i);
  const batches: number[][] = [];
  const shapes: [number, number][] = [];
  if (!(opts.rect ?? true)) {
    for (let k = 0; k * batch < n; k++) (batches.push(idx.slice(k * batch, (k + 1) * batch)), shapes.push([ds.imgsz, ds.imgsz]));
    return { batches, shapes };
  }
  const ar = idx.map((i) => ds.orig(i)[0] / ds.orig(i)[1]);
  idx.sort((a, b) => ar[a]! - ar[b]!);
  for (let k = 0; k * batch < n; k++) {
    const members = idx.slice(k * batch, (k + 1) * batch);
    const ratios = members.map((i) => ar[i]!);
    const mini = Math.min(...ratios);
    const maxi = Math.max(...ratios);
    const s: [number, number] = maxi < 1 ? [maxi, 1] : mini > 1 ? [1, 1 / mini] : [1, 1];
    batches.push(members);
    shapes.push(s.map((v) => Math.ceil((v * ds.imgsz) / stride + pad) * stride) as [number, number]);
  }
  return { batches, shapes };
}

/** Validation batch `k` of `plan`: each image letterboxed (no upscaling) to the batch's shape, no augmentation; `images` in `layout` (default `nhwc`; `nchw` for onnxruntime). */
export function valBatch(ds: YoloDataset, plan: ValPlan, k: number, layout: 'nhwc' | 'nchw' = 'nhwc'): Batch {
  const idx = plan.batches[k];
  if (!idx) throw new Error(`valBatch: batch ${k} does not exist (the plan has ${plan.batches.length})`);
  const [h, w] = plan.shapes[k]!;
  const meta: Batch['meta'] = [];
  const samples = idx.map((i) => {
    const s = ds.sample(i);
    const lb = letterboxSample(s, h, w, false);
    const [h0] = ds.orig(i);
    meta.push({ orig: ds.orig(i), ratio: lb.ratio * (s.img.height / h0), pad: lb.pad });
    return lb;
  });
  return collate(samples, ds.imgsz, h, w, idx.map((i) => ds.labels[i]!.im), meta, layout);
}

/** Number of batches per epoch (the last one may be partial). */
export function batchCount(n: number, batch: number): number {
  return Math.ceil(n / batch);
}
