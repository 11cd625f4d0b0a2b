import type { DetectionModel } from '@yolomods/core';
import { createModel } from '../build';
import { readWeights } from '../weights/read';
import { resolveWeights } from '../weights/download';
import { transferWeights } from '../weights/transfer';
import { DetectionLoss } from '../loss/index';
import { YoloDataset, loadDataset } from '../data/index';
import { parseArgs } from './hyp';
import { train, type TrainResult } from './trainer';
import { validate, type ValidateResult } from './validator';

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
  /** Split to use (`val` or `train`). */
  split?: 'val' | 'train';
}

/** Validates `model` on a dataset's `val` split; prints ultralytics' table when verbose. */
export async function val(model: DetectionModel, opts: ValOptions): Promise<ValidateResult> {
  const data = loadDataset(opts.data);
  if (model.nc !== data.nc) throw new Error(`val: the model has nc=${model.nc} but ${opts.data} has ${data.nc} classes`);
  const ds = await YoloDataset.load(opts.split === 'train' ? data.train : data.val, data.nc, opts.imgsz ?? 640);
  return validate(model, ds, {
    batch: opts.batch ?? 16,
    conf: opts.conf ?? 0.001,
    iou: opts.iou ?? 0.7,
    verbose: opts.verbose ?? true,
    names: data.names,
    loss: new DetectionLoss({ nc: model.nc, stride: model.stride }),
  });
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
