import { loadConfig, registry as sharedRegistry, type DetectionModel, type ModelConfig, type Plugin, type Registry } from '@yolomods/core';
import { assemble } from '../assemble';
import { detectRgb, onnxFileEngine, onnxImgsz, roundUp, tfjsEngine, type Engine } from '../detect';
import { readBytes, type ByteSource } from '../io/bytes';
import { sourceName } from '../io/fetch';
import type { NmsOptions } from '../nms';
import { OnnxDetector } from '../onnx-model';
import type { OnnxRuntime } from '../io/ort-types';
import { Results } from '../results-base';
import { parseWeights } from '../weights/parse';
import { imageToRgb, type ImageInput } from './pixels';

/** Options of {@link loadDetector}. */
export interface LoadDetectorOptions {
  /** The architecture as YAML text or a config object, for weights that carry none (or to build without weights). */
  model?: string | ModelConfig;
  /** Scale letter (`n`, `s`, …) for a YAML with `scales`. */
  scale?: string;
  /** Class names (default: the file's). */
  names?: string[];
  /** Plugins to register first (importing a plugin package registers it too). */
  plugins?: Plugin[];
  /** Registry to build from (default core's shared one). */
  registry?: Registry;
  /** onnxruntime for `.onnx` files: `await import('onnxruntime-web')` (or a global `ort`). */
  ort?: OnnxRuntime;
}

/** Options of {@link Detector.predict} (ultralytics names and defaults). */
export interface DetectOptions extends Omit<NmsOptions, 'maxWh' | 'maxNms' | 'multiLabel'> {
  /** Inference size, rounded up to the max stride (default 640; a static .onnx graph uses its own). */
  imgsz?: number;
  /** Minimum-rectangle letterbox (default true; a static .onnx graph is always square). */
  rect?: boolean;
  /** Name of the image in the result (default `image`). */
  name?: string;
}

/** A detector in a page: a TF.js model (from .safetensors / .pt weights or a YAML) or an .onnx file on onnxruntime-web. */
export class Detector {
  private constructor(
    /** The TF.js model, or null for an .onnx detector. */
    readonly model: DetectionModel | null,
    /** The .onnx detector, or null for a TF.js one. */
    readonly onnx: OnnxDetector | null,
  ) {}

  private readonly engines = new Map<string, Engine>();

  /** @internal */
  static of(model: DetectionModel | null, onnx: OnnxDetector | null): Detector {
    return new Detector(model, onnx);
  }

  /** Class names, index = class id. */
  get names(): string[] {
    return this.onnx?.names ?? this.model!.names;
  }

  /** Detects objects in one picture: the same letterbox, network and NMS as Node's `predict`. */
  async predict(image: ImageInput, opts: DetectOptions = {}): Promise<Results> {
    const t0 = performance.now();
    const img = await imageToRgb(image);
    const decode = performance.now() - t0;
    // one engine per kind, kept, so a video's frames reuse their input arrays
    const key = this.onnx ? 'onnx' : `tfjs:${opts.rect ?? true}`;
    let engine = this.engines.get(key);
    if (!engine) {
      engine = this.onnx ? onnxFileEngine(this.onnx) : tfjsEngine(this.model!, opts.rect ?? true);
      this.engines.set(key, engine);
    }
    const imgsz = this.onnx ? onnxImgsz(this.onnx, opts.imgsz) : roundUp(opts.imgsz ?? 640, engine.stride);
    const d = await detectRgb(engine, img, imgsz, opts);
    const speed = { decode, preprocess: d.preprocess, inference: d.inference, postprocess: d.postprocess };
    return new Results(opts.name ?? 'image', [img.height, img.width], d.boxes, engine.names, speed, undefined, undefined, undefined, d.inputShape);
  }

  /** Frees the model's tensors (or the onnxruntime session). */
  async dispose(): Promise<void> {
    this.model?.dispose();
    await this.onnx?.dispose();
  }
}

/** safetensors: 8-byte header length, then the JSON header; .pt: a zip. Anything else is tried as ONNX. */
function formatOf(bytes: Uint8Array, name: string): 'weights' | 'onnx' {
  if (/\.onnx$/i.test(name)) return 'onnx';
  if (bytes[0] === 0x50 && bytes[1] === 0x4b) return 'weights';
  if (bytes.length > 8 && bytes[8] === 0x7b) return 'weights';
  return 'onnx';
}

/**
 * Loads a detector from a URL, `File`/`Blob` or bytes: a yolomods `.safetensors` (its YAML and names are
 * in the metadata), an ultralytics `.pt`, or an `.onnx` file (with `opts.ort`). With `src` null, builds
 * `opts.model` untrained. Plugins must be registered (imported) before a model that uses them.
 */
export async function loadDetector(src: ByteSource | null, opts: LoadDetectorOptions = {}): Promise<Detector> {
  const registry = opts.registry ?? sharedRegistry;
  for (const p of opts.plugins ?? []) registry.use(p);
  const cfg = opts.model === undefined ? undefined : loadConfig(opts.model);
  if (src === null) {
    if (!cfg) throw new Error('loadDetector: give weights, or opts.model (YAML text or a config) to build untrained');
    return Detector.of(assemble(cfg, { scale: opts.scale, registry, ...(opts.names ? { names: opts.names } : {}) }), null);
  }
  const name = sourceName(src, 'model file');
  const bytes = await readBytes(src, 'model file');
  if (formatOf(bytes, name) === 'onnx') {
    return Detector.of(null, await OnnxDetector.load(bytes, { file: name, ...(opts.names ? { names: opts.names } : {}), ...(opts.ort ? { ort: opts.ort } : {}) }));
  }
  const w = parseWeights(bytes, name, /\.pt$/i.test(name));
  const arch = cfg ?? w.yaml;
  if (!arch) throw new Error(`${name}: the weights carry no YAML; give opts.model (the YAML text the model was built from)`);
  return Detector.of(assemble(arch, { scale: opts.scale, registry, weights: w, ...(opts.names ? { names: opts.names } : {}) }), null);
}
