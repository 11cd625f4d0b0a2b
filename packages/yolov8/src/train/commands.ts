import type { DetectionModel } from '@yolomods/core';
import { createModel } from '../build';
import { readWeights } from '../weights/read';
import { resolveWeights } from '../weights/download';
import { transferWeights } from '../weights/transfer';
import { DetectionLoss } from '../loss/index';
import { YoloDataset, loadDataset } from '../data/index';
import { parseArgs } from './hyp';
import { train, type TrainResult } from './trainer';
import { validate, validateOnnx, type ValidateResult } from './validator';
import { OnnxDetector } from '../onnx-model';

/**
 * Resolves `model=` for training: a YAML path or a bundled name (ours or an installed plugin's, scale
 * letter from the name as ultralytics) builds a fresh network; a weights file (`.pt`, a yolomods
 * `.safetensors`, or a release name such as `yolov8n.pt`, downloaded once) rebuilds its own YAML for
 * the dataset's `nc` and starts from its weights as ultralytics does (`Transferred N/M items`; the
 * head's class convs are skipped when `nc` differs).
 */
export async function buildModel(spec: string, nc: number, log: (line: string) => void = (l) => process.stderr.write(`${l}\n`)): Promise<DetectionModel> {
  if (!/\.(safetensors|pt)$/i.test(spec)) return createModel({ model: spec, nc });
  const w = readWeights(await resolveWeights(spec, { log }));
  if (!w.yaml) throw new Error(`${spec}: the weights carry no model YAML to rebuild; train a YAML from them instead: model=<yaml> pretrained=${spec}`);
  const model = await createModel({ model: w.yaml, nc });
  try {
    for (const l of transferWeights(model, w).lines) log(l);
  } catch (e) {
    model.dispose();
    throw e;
  }
  return model;
}

/** Options of {@link val}. */
export interface ValOptions {
  /** Dataset YAML. */
  data: string;
  /** Image size (640). */
  imgsz?: number;
  /** Batch size (16). */
  batch?: number;
  /** Confidence threshold (0.001). */
  conf?: number;
  /** NMS IoU (0.7). */
  iou?: number;
  /** Print the table (default true). */
  verbose?: boolean;
  /** ultralytics' rectangular batches (default true; an .onnx file with a static shape always uses squares). */
  rect?: boolean;
  /** Split to use (`val` or `train`). */
  split?: 'val' | 'train';
}

/** Validates `model` (TF.js, or an `.onnx` file's {@link OnnxDetector}) on a dataset's `val` split; prints ultralytics' table when verbose. */
export async function val(model: DetectionModel | OnnxDetector, opts: ValOptions): Promise<ValidateResult> {
  const data = loadDataset(opts.data);
  const onnx = model instanceof OnnxDetector;
  const nc = onnx ? model.names.length : model.nc;
  if (nc !== data.nc) throw new Error(`val: the model${onnx ? ` ${model.file}` : ''} has nc=${nc} but ${opts.data} has ${data.nc} classes`);
  const imgsz = opts.imgsz ?? (onnx && !model.dynamic ? model.imgsz[0] : 640);
  const ds = await YoloDataset.load(opts.split === 'train' ? data.train : data.val, data.nc, imgsz);
  const common = { batch: opts.batch ?? 16, conf: opts.conf ?? 0.001, iou: opts.iou ?? 0.7, verbose: opts.verbose ?? true, names: data.names, ...(opts.rect !== undefined ? { rect: opts.rect } : {}) };
  if (onnx) return validateOnnx(model, ds, common);
  return validate(model, ds, { ...common, loss: new DetectionLoss({ nc: model.nc, stride: model.stride }) });
}

/** `yolomods train key=value …`: builds the model for the dataset's classes and trains. */
export async function trainCommand(args: Record<string, string>): Promise<TrainResult> {
  const a = parseArgs(args);
  if (a.resume) return train(null, { ...a });
  if (!a.model) throw new Error('train: model=… is required (a YAML such as yolov8n.yaml, or a checkpoint)');
  if (!a.data) throw new Error('train: data=… is required (a dataset YAML)');
  const model = await buildModel(a.model, loadDataset(a.data).nc);
  return train(model, { ...a });
}
