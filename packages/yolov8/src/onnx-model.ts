import { parseNamesLiteral, readOnnxInfo } from '@yolomods/core';
import { readBytes, type ByteSource } from './io/bytes';
import { sourceName } from './io/fetch';
import { loadOnnxRuntime } from './io/ort';
import type { OnnxRuntime, OrtSession } from './io/ort-types';

export type { OnnxRuntime };

/** Options of {@link OnnxDetector.load}. */
export interface OnnxDetectorOptions {
  /** Class names overriding (or standing in for) the file's `names` metadata. */
  names?: string[];
  /** Name for messages when `src` is bytes (default `ONNX model`). */
  file?: string;
  /** The onnxruntime module to run on (a page: `await import('onnxruntime-web')`; Node default: onnxruntime-node). */
  ort?: OnnxRuntime;
}

/**
 * A YOLOv8 detector run from an `.onnx` file on onnxruntime-node, no YAML or weights needed.
 * Names, stride, imgsz, batch, task and dynamic come from ultralytics' `metadata_props`; without them the input
 * size is the graph's input shape, stride 32 and names `class0…` (as ultralytics' AutoBackend does).
 */
export class OnnxDetector {
  private constructor(
    private readonly session: OrtSession,
    private readonly ort: OnnxRuntime,
    /** File the model came from (named in errors). */
    readonly file: string,
    /** Class names, index = class id. */
    readonly names: string[],
    /** Largest stride. */
    readonly stride: number,
    /** Network input size `[h, w]`. */
    readonly imgsz: [number, number],
    /** Batch the graph takes (`null`: any, a symbolic batch dimension). */
    readonly batch: number | null,
    /** Whether height and width are symbolic (dynamic): letterbox to the minimum rectangle, else to `imgsz`. */
    readonly dynamic: boolean,
    /** Input tensor name. */
    readonly inputName: string,
  ) {}

  /** Loads a detector from an `.onnx` file (path or URL, bytes, Blob); throws naming the file when it is not a detector. */
  static async load(src: ByteSource, opts: OnnxDetectorOptions = {}): Promise<OnnxDetector> {
    const file = opts.file ?? sourceName(src, 'ONNX model');
    const bytes = await readBytes(src, file);
    const info = readOnnxInfo(bytes, file);
    const meta = info.metadata;
    if (meta.task && meta.task !== 'detect') throw new Error(`${file}: task '${meta.task}' is not supported (only detect)`);
    const input = info.inputs[0];
    if (info.inputs.length !== 1 || !input || input.shape.length !== 4)
      throw new Error(`${file}: expected one image input [B, 3, H, W], got ${JSON.stringify(info.inputs)}`);
    const out = info.outputs[0]!;
    const nc = typeof out.shape[1] === 'number' ? out.shape[1] - 4 : NaN;
    if (out.shape.length !== 3 || !(nc >= 1))
      throw new Error(`${file}: output '${out.name}' ${JSON.stringify(out.shape)} is not a detect head [B, 4 + nc, anchors]`);
    const dynamic = input.shape.slice(2).some((d) => typeof d !== 'number');
    const imgsz = meta.imgsz ? parseImgsz(meta.imgsz, file) : (input.shape.slice(2) as number[]);
    if (!imgsz.every((d) => typeof d === 'number' && d > 0)) throw new Error(`${file}: input size unknown (no imgsz metadata, shape ${JSON.stringify(input.shape)})`);
    let names = opts.names ?? (meta.names ? parseNamesLiteral(meta.names) : Array.from({ length: nc }, (_, i) => `class${i}`));
    if (names.length !== nc) throw new Error(`${file}: ${names.length} class names given but the output has ${nc} classes`);
    const ort = await loadOnnxRuntime(file, opts.ort);
    const session = await ort.InferenceSession.create(bytes).catch((e: Error) => {
      throw new Error(`${file}: onnxruntime cannot load it: ${e.message}`);
    });
    names = [...names];
    const batch = typeof input.shape[0] === 'number' ? input.shape[0] : null;
    return new OnnxDetector(session, ort, file, names, Number(meta.stride ?? 32), imgsz as [number, number], batch, dynamic, input.name);
  }

  /** Runs the network on a letterboxed NCHW float32 batch (RGB 0–1): returns `[B, 4 + nc, anchors]` raw predictions. */
  async forward(data: Float32Array, shape: [number, number, number, number]): Promise<{ data: Float32Array; shape: number[] }> {
    const feeds = { [this.inputName]: new this.ort.Tensor('float32', data, shape) };
    const res = await this.session.run(feeds);
    const y = res[this.session.outputNames[0]!]!;
    return { data: y.data as Float32Array, shape: [...y.dims] };
  }

  /** Releases the onnxruntime session. */
  async dispose(): Promise<void> {
    await this.session.release();
  }
}

/** ultralytics writes imgsz as `[640, 640]`; older files may hold one number. */
function parseImgsz(s: string, file: string): [number, number] {
  let v: number[] = [];
  try {
    v = (JSON.parse(s.trim().startsWith('[') ? s : `[${s}, ${s}]`) as unknown[]).map(Number);
  } catch {
    /* reported below */
  }
  if (v.length !== 2 || !v.every((d) => d > 0)) throw new Error(`${file}: bad imgsz metadata '${s}'`);
  return v as [number, number];
}
