import { existsSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseModel, type DetectionModel } from '@yolomods/core';
import { DetectionLoss } from '../loss/index';
import { YoloDataset, loadDataset } from '../data/index';
import { loadCheckpoint, splitCheckpoint } from './checkpoint';
import { parseArgs, DEFAULT_ARGS } from './hyp';
import { train, type TrainResult } from './trainer';
import { validate, type ValidateResult } from './validator';

const configs = typeof __dirname !== 'undefined' ? path.join(__dirname, '../configs') : fileURLToPath(new URL('../../configs/', import.meta.url));

/**
 * Resolves `model=` for training: a YAML path, a bundled name such as `yolov8n.yaml` (scale letter
 * after the family name, as ultralytics), or a yolomods checkpoint (weights loaded).
 */
export function buildModel(spec: string, nc: number): DetectionModel {
  if (/\.safetensors$/.test(spec)) {
    const ck = loadCheckpoint(spec);
    const m = parseModel(ck.meta.model.yaml, { nc: ck.meta.model.yaml.nc as number });
    if (m.nc !== nc) throw new Error(`${spec}: model has nc=${m.nc}, dataset has ${nc}`);
    m.loadStateDict(splitCheckpoint(ck.tensors).ema);
    m.names = ck.meta.model.names;
    return m;
  }
  if (existsSync(spec)) return parseModel(spec, { nc });
  const m = /^(.*?)([nsmlxt])(\.ya?ml)$/.exec(path.basename(spec));
  const bundled = m ? path.join(configs, `${m[1]}${m[3]}`) : path.join(configs, path.basename(spec));
  if (!existsSync(bundled)) throw new Error(`model '${spec}' is neither a file nor a bundled config (looked for ${bundled})`);
  return parseModel(bundled, { nc, scale: m?.[2] });
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
  const model = buildModel(a.model, loadDataset(a.data).nc);
  return train(model, { ...a });
}

/** `yolomods val model=… data=…`. */
export async function valCommand(args: Record<string, string>): Promise<ValidateResult> {
  const { model: spec, data, imgsz, batch, conf, iou } = { ...args };
  if (!spec || !data) throw new Error('val: model=… and data=… are required');
  const a = parseArgs({ imgsz: imgsz ?? String(DEFAULT_ARGS.imgsz), batch: batch ?? '16', conf: conf ?? '0.001', iou: iou ?? '0.7' });
  const model = buildModel(spec, loadDataset(data).nc);
  return val(model, { data, imgsz: a.imgsz, batch: a.batch, conf: a.conf, iou: a.iou });
}
