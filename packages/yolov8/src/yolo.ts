import { writeFileSync } from 'node:fs';
import { exportOnnx, writeSafetensors, type DetectionModel, type ModelInfo } from '@yolomods/core';
import { createModel, loadPretrained, type YoloCreateOptions } from './build';
import type { TransferReport } from './weights/transfer';
import { train, type TrainOptions, type TrainResult } from './train/trainer';
import { val, type ValOptions } from './train/commands';
import type { ValidateResult } from './train/validator';
import { predict, type PredictOptions, type Source } from './predict';
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
  private constructor(private current: DetectionModel) {}

  /** The underlying detection model (NHWC TF.js modules with PyTorch state-dict keys). */
  get model(): DetectionModel {
    return this.current;
  }

  /** Class names, index = class id. */
  get names(): string[] {
    return this.model.names;
  }

  /** Builds a detector (installed plugins discovered first); see {@link createModel}. */
  static async create(opts: YoloCreateOptions = {}): Promise<YOLO> {
    return new YOLO(await createModel(opts));
  }

  /**
   * ultralytics `model.load(weights)`: copies every tensor of a `.safetensors` / `.pt` (a path, bytes,
   * or a release name such as `yolov8n.pt`, downloaded once) whose key and shape fit, layers matched
   * by structure so a variant with an inserted or replaced block still gets the rest; logs
   * `Transferred N/M items` and the layers left at their initialisation.
   */
  load(weights: string | Uint8Array, opts: { log?: (line: string) => void } = {}): Promise<TransferReport> {
    return loadPretrained(this.current, weights, opts.log);
  }

  /** Detects objects; see {@link PredictOptions}. One {@link Results} per image. */
  predict(source: Source | Source[], opts: PredictOptions = {}): Promise<Results[]> {
    return predict(this.current, source, opts);
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
    const result = await train(this.current, opts);
    if (result.model !== this.current) {
      this.current.dispose();
      this.current = result.model;
    }
    return result;
  }

  /** Validates this model on a dataset. */
  val(opts: ValOptions): Promise<ValidateResult> {
    return val(this.current, opts);
  }

  /** Frees the model's tensors. */
  dispose(): void {
    this.current.dispose();
  }
}
