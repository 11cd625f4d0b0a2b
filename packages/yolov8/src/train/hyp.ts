/** Training and validation settings, with ultralytics' names and defaults. */
export interface TrainArgs {
  /** Model YAML or checkpoint. */
  model: string;
  /** Dataset YAML. */
  data: string;
  epochs: number;
  batch: number;
  imgsz: number;
  patience: number;
  save: boolean;
  save_period: number;
  /** Parent folder of runs. */
  project: string;
  name: string;
  exist_ok: boolean;
  /** `auto`, `SGD` or `AdamW`. */
  optimizer: string;
  seed: number;
  deterministic: boolean;
  cos_lr: boolean;
  close_mosaic: number;
  /** false, true (latest last.safetensors under project) or a checkpoint path. */
  resume: boolean | string;
  /**
   * Start from pretrained weights: a weights file (or a release name such as `yolov8n.pt`) whose
   * fitting tensors are copied into the `model=` YAML's network; `true`/`false` as ultralytics (a
   * checkpoint given as `model=` starts from its weights either way; a YAML alone starts from scratch).
   */
  pretrained: boolean | string;
  /** Freeze the first N layers (`model.0.` … `model.N-1.`) or the listed layer indices; `.dfl` is always frozen. */
  freeze: number | number[] | null;
  fraction: number;
  val: boolean;
  conf: number;
  iou: number;
  max_det: number;
  lr0: number;
  lrf: number;
  momentum: number;
  weight_decay: number;
  warmup_epochs: number;
  warmup_momentum: number;
  warmup_bias_lr: number;
  box: number;
  cls: number;
  dfl: number;
  nbs: number;
  hsv_h: number;
  hsv_s: number;
  hsv_v: number;
  degrees: number;
  translate: number;
  scale: number;
  shear: number;
  perspective: number;
  flipud: number;
  fliplr: number;
  mosaic: number;
  /** Model scale letter when `model` is a YAML with `scales`. */
  scale_letter?: string;
  /** Show a progress bar (default true when stderr is a terminal). */
  verbose: boolean;
  /** Plot results.png. */
  plots: boolean;
  /** Cache label checks next to the labels. */
  cache: boolean;
  /** Dataloader worker threads (at most the CPU count; 0 builds batches on the main thread). */
  workers: number;
}

/** ultralytics `default.yaml` values for everything {@link TrainArgs} covers. */
export const DEFAULT_ARGS: TrainArgs = {
  model: '',
  data: '',
  epochs: 100,
  batch: 16,
  imgsz: 640,
  patience: 100,
  save: true,
  save_period: -1,
  project: 'runs/detect',
  name: 'train',
  exist_ok: false,
  optimizer: 'auto',
  seed: 0,
  deterministic: true,
  cos_lr: false,
  close_mosaic: 10,
  resume: false,
  pretrained: true,
  freeze: null,
  fraction: 1.0,
  val: true,
  conf: 0.001,
  iou: 0.7,
  max_det: 300,
  lr0: 0.01,
  lrf: 0.01,
  momentum: 0.937,
  weight_decay: 0.0005,
  warmup_epochs: 3.0,
  warmup_momentum: 0.8,
  warmup_bias_lr: 0.1,
  box: 7.5,
  cls: 0.5,
  dfl: 1.5,
  nbs: 64,
  hsv_h: 0.015,
  hsv_s: 0.7,
  hsv_v: 0.4,
  degrees: 0.0,
  translate: 0.1,
  scale: 0.5,
  shear: 0.0,
  perspective: 0.0,
  flipud: 0.0,
  fliplr: 0.5,
  mosaic: 1.0,
  verbose: true,
  plots: true,
  cache: true,
  workers: 8,
};

/** `freeze=` as ultralytics reads it: `None`, a count `10`, or a list `[0,1,2]` (also `0,1,2`). */
function parseFreeze(v: string): number | number[] | null {
  const t = v.trim();
  if (t === '' || t === 'None' || t === 'null') return null;
  const list = /^\[(.*)\]$/.exec(t)?.[1] ?? (t.includes(',') ? t : null);
  const num = (x: string) => {
    const n = Number(x.trim());
    if (x.trim() === '' || !Number.isInteger(n) || n < 0) throw new Error(`argument freeze=${v}: '${x.trim()}' is not a layer index (use freeze=N or freeze=[0,1,2])`);
    return n;
  };
  if (list !== null) return list.trim() === '' ? [] : list.split(',').map(num);
  return num(t);
}

/** Parses CLI `key=value` strings into typed {@link TrainArgs} (unknown keys are an error naming them). */
export function parseArgs(raw: Record<string, string | number | boolean>, base: TrainArgs = DEFAULT_ARGS): TrainArgs {
  const out: Record<string, unknown> = { ...base };
  const unknown: string[] = [];
  for (const [k, v] of Object.entries(raw)) {
    if (!(k in DEFAULT_ARGS) && k !== 'scale_letter') {
      unknown.push(k);
      continue;
    }
    const def = (DEFAULT_ARGS as unknown as Record<string, unknown>)[k];
    if (typeof v !== 'string') out[k] = v;
    else if (k === 'resume' || k === 'pretrained') out[k] = v === 'true' || v === 'True' ? true : v === 'false' || v === 'False' || v === '' ? false : v;
    else if (k === 'freeze') out[k] = parseFreeze(v);
    else if (typeof def === 'number') {
      const n = Number(v);
      if (!Number.isFinite(n)) throw new Error(`argument ${k}=${v}: expected a number`);
      out[k] = n;
    } else if (typeof def === 'boolean') {
      if (!/^(true|false|True|False|1|0)$/.test(v)) throw new Error(`argument ${k}=${v}: expected true or false`);
      out[k] = /^(true|True|1)$/.test(v);
    } else out[k] = v;
  }
  if (unknown.length) throw new Error(`unknown argument(s): ${unknown.join(', ')} (valid: ${Object.keys(DEFAULT_ARGS).join(', ')})`);
  const a = out as unknown as TrainArgs;
  for (const k of ['epochs', 'batch', 'imgsz'] as const) if (!(Number.isInteger(a[k]) && a[k] > 0)) throw new Error(`argument ${k}=${a[k]}: expected a positive integer`);
  if (a.imgsz % 32) throw new Error(`argument imgsz=${a.imgsz}: must be a multiple of the max stride 32`);
  // ultralytics matches the optimizer name case-insensitively (optimizer=adamw).
  a.optimizer = ['auto', 'SGD', 'AdamW'].find((o) => o.toLowerCase() === String(a.optimizer).toLowerCase()) ?? a.optimizer;
  if (!['auto', 'SGD', 'AdamW'].includes(a.optimizer)) throw new Error(`argument optimizer=${a.optimizer}: choose auto, SGD or AdamW`);
  const f = a.freeze;
  const badFreeze = f !== null && (Array.isArray(f) ? !f.every((i) => Number.isInteger(i) && i >= 0) : !(Number.isInteger(f) && f >= 0));
  if (badFreeze) throw new Error(`argument freeze=${JSON.stringify(f)}: expected a layer count N or a list of layer indices such as [0,1,2]`);
  if (typeof a.pretrained !== 'boolean' && typeof a.pretrained !== 'string') throw new Error(`argument pretrained=${String(a.pretrained)}: expected true, false or a weights file`);
  return a;
}
