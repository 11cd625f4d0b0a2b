import { existsSync, readdirSync, statSync } from 'node:fs';
import path from 'node:path';
import { exportOnnx, tf, type DetectionModel } from '@yolomods/core';
import { IMG_FORMATS } from './data/images';
import { detectRgb, onnxFileEngine, onnxImgsz, roundUp, tfjsEngine, type Engine } from './detect';
import { decodeImage, scaleBoxes, type RgbImage } from './image';
import type { NmsOptions } from './nms';
import { OnnxDetector } from './onnx-model';
import { Results } from './results';

/** An image source: file, directory, glob (`dir/*.jpg`), encoded bytes, or an RGB tensor `[H, W, 3]` / `[B, H, W, 3]` in 0–1. */
export type Source = string | Uint8Array | tf.Tensor;

/** Options of {@link predict} (ultralytics names and defaults). */
export interface PredictOptions extends Omit<NmsOptions, 'maxWh' | 'maxNms' | 'multiLabel'> {
  /** Inference size, rounded up to a multiple of the max stride (default 640). */
  imgsz?: number;
  /** Minimal-rectangle letterbox (ultralytics `auto`; default true for tfjs, always false for onnxruntime; a dynamic .onnx file always true, a static one false). */
  rect?: boolean;
  /** `tfjs` (default, the active TF.js backend) or `onnxruntime` (needs the optional onnxruntime-node). */
  backend?: 'tfjs' | 'onnxruntime';
  /** Keep the decoded original image on each result so `save()` works (default true). */
  keepImage?: boolean;
  /** Called after each image. */
  onProgress?: (done: number, total: number) => void;
  /**
   * Keep the fusion weight maps of a head that has them (`Detect_ASFF` from `@yolomods/asff`) on each
   * result, as RGB images: red = P5, green = P4, blue = P3 share at each place (TF.js engine only).
   */
  fusionMaps?: boolean;
  /**
   * Keep where deformable-attention blocks (`DAttention` from `@yolomods/dat`) sampled their keys, in
   * original-image pixels, on each result (TF.js engine only); `Results.saveSamplingPoints` draws them.
   */
  samplingPoints?: boolean;
}

/** A block that can keep its sampling positions (duck-typed: `DAttention`), without depending on its package. */
interface SamplingBlock {
  vis: boolean;
  clearPositions?: () => void;
  readonly lastPositions: tf.Tensor4D | null;
  readonly lastInputSize: [number, number];
}

function samplingBlocks(model: DetectionModel): { layer: number; block: SamplingBlock }[] {
  return model.model.items.flatMap((m, layer) => {
    const b = m as unknown as Partial<SamplingBlock>;
    return typeof b.vis === 'boolean' && 'lastPositions' in b && 'lastInputSize' in b ? [{ layer, block: b as SamplingBlock }] : [];
  });
}

/** Normalised (y, x) align-corners positions of one block → letterboxed-input pixels `[x, y, x, y]` per point. */
function samplingPixels(block: SamplingBlock, inputW: number, inputH: number): Float32Array {
  const pos = block.lastPositions!;
  const [h, w] = block.lastInputSize;
  const [sy, sx] = [inputH / h, inputW / w];
  const v = pos.dataSync();
  const out = new Float32Array((v.length / 2) * 4);
  for (let i = 0; i < v.length / 2; i++) {
    // feature-map pixel (align_corners: −1 → 0, 1 → size−1) → centre of that cell in the network input
    const x = (((v[2 * i + 1]! + 1) / 2) * (w - 1) + 0.5) * sx;
    const y = (((v[2 * i]! + 1) / 2) * (h - 1) + 0.5) * sy;
    out.set([x, y, x, y], 4 * i);
  }
  return out;
}

/** A head that can keep per-level fusion weights (duck-typed: `Detect_ASFF`), without depending on its package. */
interface FusionHead {
  vis: boolean;
  fusionWeights(): ({ weights: tf.Tensor4D } | null)[];
}

function fusionHead(model: DetectionModel): FusionHead | null {
  const head = model.model.items.at(-1) as unknown as Partial<FusionHead>;
  return typeof head.fusionWeights === 'function' && typeof head.vis === 'boolean' ? (head as FusionHead) : null;
}

/** `[1, H, W, 3]` level weights (P5, P4, P3 order) → an RGB image per head level (P3, P4, P5). */
function fusionImages(head: FusionHead): RgbImage[] {
  return head.fusionWeights().flatMap((w) => {
    if (!w) return [];
    const [, height, width] = w.weights.shape as number[];
    const data = tf.tidy(() => tf.clipByValue(tf.round(tf.mul(w.weights, 255)), 0, 255).cast('int32'));
    const img = { data: Uint8Array.from(data.dataSync()), width: width!, height: height! };
    data.dispose();
    return [img];
  });
}

/** A single image to run, still undecoded. */
interface Item {
  path: string;
  load: () => Promise<RgbImage>;
}

/** `*` and `?` wildcards on one path segment. */
function wildcard(pattern: string): RegExp {
  return new RegExp(`^${pattern.replace(/[.+^${}()|[\]\\]/g, '\\$&').replace(/\*/g, '.*').replace(/\?/g, '.')}$`);
}

const isImageFile = (f: string) => IMG_FORMATS.has(path.extname(f).slice(1).toLowerCase());

/** Expands sources into images: directories (sorted images inside), globs on the file name, files, bytes, tensors. */
export function expandSources(sources: Source | Source[]): Item[] {
  const list = Array.isArray(sources) ? sources : [sources];
  const items: Item[] = [];
  list.forEach((s, k) => {
    if (typeof s === 'string') {
      if (/[*?]/.test(path.basename(s))) {
        const dir = path.dirname(s);
        if (/[*?]/.test(dir)) throw new Error(`source ${s}: wildcards are supported in the file name only`);
        const re = wildcard(path.basename(s));
        const files = existsSync(dir) ? readdirSync(dir).filter((f) => re.test(f) && isImageFile(f)).sort() : [];
        if (!files.length) throw new Error(`source ${s}: no images match`);
        for (const f of files) items.push(fileItem(path.join(dir, f)));
      } else if (existsSync(s) && statSync(s).isDirectory()) {
        const files = readdirSync(s).filter(isImageFile).sort();
        if (!files.length) throw new Error(`source ${s}: the directory has no images (${[...IMG_FORMATS].join(', ')})`);
        for (const f of files) items.push(fileItem(path.join(s, f)));
      } else if (existsSync(s)) items.push(fileItem(s));
      else throw new Error(`source ${s} does not exist`);
    } else if (s instanceof tf.Tensor) {
      items.push(...tensorItems(s, k));
    } else if (s instanceof Uint8Array) {
      items.push({ path: `image${k}`, load: () => decodeImage(s) });
    } else throw new Error(`source ${k}: expected a path, bytes or a tensor, got ${typeof s}`);
  });
  return items;
}

function fileItem(f: string): Item {
  return { path: f, load: () => decodeImage(f) };
}

function tensorItems(t: tf.Tensor, k: number): Item[] {
  const shape = t.shape;
  if (!((t.rank === 3 || t.rank === 4) && shape[shape.length - 1] === 3)) {
    throw new Error(`source ${k}: a tensor source must be RGB NHWC [H, W, 3] or [B, H, W, 3] in 0..1, got [${shape.join(', ')}]`);
  }
  const b = t.rank === 4 ? shape[0]! : 1;
  const [h, w] = t.rank === 4 ? [shape[1]!, shape[2]!] : [shape[0]!, shape[1]!];
  // Read once; the caller keeps ownership of the tensor.
  const u8 = tf.tidy(() => tf.clipByValue(tf.round(tf.mul(t, 255)), 0, 255).cast('int32'));
  const bytes = u8.dataSync();
  u8.dispose();
  return Array.from({ length: b }, (_, i) => ({
    path: `image${k}${b > 1 ? `_${i}` : ''}`,
    load: async () => ({ data: Uint8Array.from(bytes.subarray(i * h * w * 3, (i + 1) * h * w * 3)), width: w, height: h }),
  }));
}

type Ort = typeof import('onnxruntime-node');
type Session = import('onnxruntime-node').InferenceSession;

const ortSessions = new WeakMap<DetectionModel, Map<number, Promise<Session>>>();

async function loadOrt(): Promise<Ort> {
  try {
    return (await import('onnxruntime-node')) as Ort;
  } catch (e) {
    throw new Error(`backend 'onnxruntime' needs the optional dependency onnxruntime-node (pnpm add onnxruntime-node): ${(e as Error).message}`);
  }
}

/** The model exported to ONNX once per size (dynamic batch) and loaded into onnxruntime. */
function ortSession(ort: Ort, model: DetectionModel, imgsz: number): Promise<Session> {
  let byModel = ortSessions.get(model);
  if (!byModel) ortSessions.set(model, (byModel = new Map()));
  let s = byModel.get(imgsz);
  if (!s) {
    s = ort.InferenceSession.create(exportOnnx(model, { imgsz, dynamic: true }));
    byModel.set(imgsz, s);
  }
  return s;
}

function ortEngine(ort: Ort, model: DetectionModel, imgsz: number): Engine {
  return {
    names: model.names,
    stride: Math.max(...model.stride),
    rect: false,
    layout: 'nchw',
    async run(input, h, w) {
      const session = await ortSession(ort, model, imgsz);
      const out = await session.run({ images: new ort.Tensor('float32', input, [1, 3, h, w]) });
      const o = out.output0!;
      return { data: o.data as Float32Array, dims: o.dims as [number, number, number], layout: 'bca' };
    },
  };
}

/**
 * ultralytics predict: decode (EXIF applied) → letterbox (cv2-exact) → forward (eval) → NMS on the raw
 * output → boxes scaled back to the original image. One image at a time; leaves no tensors behind.
 * `model` is a TF.js detection model or an {@link OnnxDetector} (an .onnx file alone).
 */
export async function predict(model: DetectionModel | OnnxDetector, source: Source | Source[], opts: PredictOptions = {}): Promise<Results[]> {
  if (opts.backend && opts.backend !== 'tfjs' && opts.backend !== 'onnxruntime') throw new Error(`predict: backend must be tfjs or onnxruntime, got ${String(opts.backend)}`);
  if (model instanceof OnnxDetector) {
    if (opts.fusionMaps || opts.samplingPoints) throw new Error(`predict: fusionMaps and samplingPoints need the TF.js model, not the .onnx file ${model.file}`);
    return run(onnxFileEngine(model), onnxImgsz(model, opts.imgsz), source, opts, {});
  }
  const stride = Math.max(...model.stride);
  const imgsz = roundUp(opts.imgsz ?? 640, stride);
  const ort = opts.backend === 'onnxruntime' ? await loadOrt() : null;
  const head = fusionHead(model);
  if (opts.fusionMaps && !head) throw new Error('predict: fusionMaps needs a head that keeps fusion weights (Detect_ASFF from @yolomods/asff)');
  if (opts.fusionMaps && ort) throw new Error("predict: fusionMaps works with the TF.js engine, not backend 'onnxruntime'");
  const samplers = opts.samplingPoints ? samplingBlocks(model) : [];
  if (opts.samplingPoints && !samplers.length) throw new Error('predict: samplingPoints needs a deformable-attention block that keeps its positions (DAttention from @yolomods/dat)');
  if (opts.samplingPoints && ort) throw new Error("predict: samplingPoints works with the TF.js engine, not backend 'onnxruntime'");
  const wasTraining = model.training;
  model.eval();
  const wasVis = head?.vis ?? false;
  if (head && opts.fusionMaps) head.vis = true;
  const samplersVis = samplers.map(({ block }) => block.vis);
  for (const { block } of samplers) block.vis = true;
  try {
    const engine = ort ? ortEngine(ort, model, imgsz) : tfjsEngine(model, opts.rect ?? true);
    return await run(engine, imgsz, source, opts, {
      ...(head && opts.fusionMaps ? { maps: () => fusionImages(head) } : {}),
      ...(opts.samplingPoints ? { points: (w: number, h: number) => samplers.map(({ layer, block }) => ({ layer, xyxy: samplingPixels(block, w, h) })) } : {}),
    });
  } finally {
    if (head && opts.fusionMaps) head.vis = wasVis;
    samplers.forEach(({ block }, i) => {
      block.vis = samplersVis[i]!;
      if (!block.vis) block.clearPositions?.(); // leave no tensor behind that the caller did not ask to keep
    });
    if (wasTraining) model.train(true);
  }
}

/** Per-image extras read after the forward (TF.js engine only). */
interface Extras {
  maps?: () => RgbImage[];
  points?: (w: number, h: number) => { layer: number; xyxy: Float32Array }[];
}

async function run(engine: Engine, imgsz: number | [number, number], source: Source | Source[], opts: PredictOptions, extras: Extras): Promise<Results[]> {
  const items = expandSources(source);
  const results: Results[] = [];
  for (const [i, item] of items.entries()) {
    const t0 = performance.now();
    const img = await item.load();
    const decode = performance.now() - t0;
    let maps: RgbImage[] | undefined;
    let points: { layer: number; xyxy: Float32Array }[] | undefined;
    const d = await detectRgb(engine, img, imgsz, opts, (w, h) => {
      maps = extras.maps?.();
      points = extras.points?.(w, h);
    });
    const orig: [number, number] = [img.height, img.width];
    const sampling = points?.map(({ layer, xyxy: p }) => {
      const px = scaleBoxes(d.inputShape, p, orig);
      return { layer, points: Array.from({ length: px.length / 4 }, (_, j) => [px[4 * j]!, px[4 * j + 1]!] as [number, number]) };
    });
    const speed = { decode, preprocess: d.preprocess, inference: d.inference, postprocess: d.postprocess };
    results.push(new Results(item.path, orig, d.boxes, engine.names, speed, opts.keepImage === false ? undefined : img, maps, sampling, d.inputShape));
    opts.onProgress?.(i + 1, items.length);
  }
  return results;
}
