import { writeFileSync } from 'node:fs';
import { exportOnnx, writeSafetensors, type DetectionModel, type ModelInfo } from '@yolomods/core';
import { createModel, loadPretrained, type YoloCreateOptions } from './build';
import type { TransferReport } from './weights/transfer';
import { train, type TrainOptions, type TrainResult } from './train/trainer';
import { val, type ValOptions } from './train/commands';
import type { ValidateResult } from './train/validator';
import { predict, type PredictOptions, type Source } from './predict';
import { OnnxDetector } from './onnx-model';
import type { Results } from './results';

/** Options of {@link YOLO.export}. */
export interface YoloExportOptions {
  /** `safetensors` (weights, PyTorch keys, YAML and names in the metadata) or `onnx`. */
  format: 'safetensors' | 'onnx';
  /** ONNX input size (default 640). */
  imgsz?: number | [number, number];
  /** ONNX dynamic batch (default false). */
  dynamic?: boolean;
  /** ONNX opset (default 17; GridSample needs at least 16). */
  opset?: number;
  /** Also write the bytes here. */
  file?: string;
}

/** A detector: build it from a YAML (bundled, plugin-provided or yours), load weights, predict, export, train. */
export class YOLO {
  private constructor(
    private current: DetectionModel | null,
    private readonly onnx: OnnxDetector | null = null,
  ) {}

  /** The underlying detection model (NHWC TF.js modules with PyTorch state-dict keys); throws for an `.onnx` detector. */
  get model(): DetectionModel {
    if (!this.current) throw new Error(`${this.onnx!.file}: an .onnx file holds no TF.js model; it can predict and val (build from its YAML and weights to train, export or inspect it)`);
    return this.current;
  }

  /** The `.onnx` model this detector runs, when it was created from one (else null). */
  get onnxModel(): OnnxDetector | null {
    return this.onnx;
  }

  /** Class names, index = class id. */
  get names(): string[] {
    return this.onnx?.names ?? this.model.names;
  }

  /**
   * Builds a detector (installed plugins discovered first); see {@link createModel}. A `model` (or
   * `weights`) ending in `.onnx` runs that file on onnxruntime-node, no YAML needed; `names` then
   * stands in for its names metadata.
   */
  static async create(opts: YoloCreateOptions = {}): Promise<YOLO> {
    const onnx = [opts.model, opts.weights].find((v): v is string => typeof v === 'string' && /\.onnx$/i.test(v));
    if (onnx) return new YOLO(null, await OnnxDetector.load(onnx, opts.names ? { names: opts.names } : {}));
    return new YOLO(await createModel(opts));
  }

  /**
   * ultralytics `model.load(weights)`: copies every tensor of a `.safetensors` / `.pt` (a path, bytes,
   * or a release name such as `yolov8n.pt`, downloaded once) whose key and shape fit, layers matched
   * by structure so a variant with an inserted or replaced block still gets the rest; logs
   * `Transferred N/M items` and the layers left at their initialisation.
   */
  load(weights: string | Uint8Array, opts: { log?: (line: string) => void } = {}): Promise<TransferReport> {
    return loadPretrained(this.model, weights, opts.log);
  }

  /** Detects objects; see {@link PredictOptions}. One {@link Results} per image. */
  predict(source: Source | Source[], opts: PredictOptions = {}): Promise<Results[]> {
    return predict(this.onnx ?? this.model, source, opts);
  }

  /** `{ layers, parameters, gradients, gflops }` plus the per-layer table and ultralytics' summary line. */
  info(opts: { imgsz?: number } = {}): ModelInfo & { table: string; summary: string } {
    const i = this.model.info({ imgsz: opts.imgsz ?? 640 });
    return { ...i, table: this.model.table(), summary: this.model.summaryLine(i) };
  }

  /** Writes the model as safetensors (weights + YAML + names) or ONNX; returns the bytes. */
  export(opts: YoloExportOptions): Uint8Array {
    let bytes: Uint8Array;
    if (opts.format === 'safetensors') {
      bytes = writeSafetensors(this.model.stateDict(), { metadata: { format: 'pt', yaml: JSON.stringify(this.model.yaml), names: JSON.stringify(this.names) } });
    } else if (opts.format === 'onnx') {
      bytes = exportOnnx(this.model, { imgsz: opts.imgsz ?? 640, dynamic: opts.dynamic ?? false, ...(opts.opset !== undefined ? { opset: opts.opset } : {}) });
    } else throw new Error(`export: format must be safetensors or onnx, got ${String(opts.format)}`);
    if (opts.file) writeFileSync(opts.file, bytes);
    return bytes;
  }

  /**
   * Trains this model with the ultralytics recipe and writes the run folder (`runs/detect/train`…).
   * Afterwards this detector holds the final EMA weights, as ultralytics' model does; `result.model`
   * is that same model (disposed with this detector).
   */
  async train(opts: TrainOptions): Promise<TrainResult> {
    const result = await train(this.model, opts);
    if (result.model !== this.current) {
      this.model.dispose();
      this.current = result.model;
    }
    return result;
  }

  /** Validates this model on a dataset. */
  val(opts: ValOptions): Promise<ValidateResult> {
    return val(this.onnx ?? this.model, opts);
  }

  /** Frees the model's tensors (or the onnxruntime session). */
  dispose(): void {
    this.current?.dispose();
    void this.onnx?.dispose();
  }
}
