import { mkdirSync, mkdtempSync, readdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { initBackend, type BackendName, type ModelInfo } from '@yolomods/core';
import { YOLO, generateSynthetic, type Results, type TrainResult } from '@yolomods/yolov8';
import { registerSE } from './se';

/** The example's model YAML: yolov8n with `SE` after SPPF (works from src/ under vitest and from dist/). */
export const seYaml: string = fileURLToPath(new URL('../configs/yolov8n-SE.yaml', import.meta.url));

/** Options of {@link runExample}. */
export interface ExampleOptions {
  /** Working folder for the generated dataset and the run (default: a new temp folder). */
  dir?: string;
  /** Backend (default wasm; `YOLOMODS_BACKEND` wins). */
  backend?: BackendName;
  /** Image size (default 64). */
  imgsz?: number;
  /** Epochs (default 2). */
  epochs?: number;
  /** Log lines (default: console.log). */
  log?: (line: string) => void;
}

/** What {@link runExample} produced. */
export interface ExampleOutput {
  dir: string;
  data: string;
  /** The freshly built model's summary. */
  info: ModelInfo & { table: string; summary: string };
  /** The trainer's answer (run folder, checkpoints, metrics). */
  train: TrainResult;
  /** Mean `[box, cls, dfl]` training loss of each epoch. */
  losses: number[][];
  /** The detector rebuilt from `best.safetensors` (its YAML names SE, so SE must be registered). */
  reloaded: YOLO;
  /** Predictions of the reloaded detector on the validation images. */
  results: Results[];
}

/**
 * The whole example: register SE, generate a tiny dataset, build yolov8n-SE, train briefly, rebuild
 * the detector from the best checkpoint and predict.
 */
export async function runExample(opts: ExampleOptions = {}): Promise<ExampleOutput> {
  const log = opts.log ?? ((l: string) => console.log(l));
  const imgsz = opts.imgsz ?? 64;
  await initBackend({ backend: opts.backend ?? 'wasm', log: false });

  // 1. The user-defined block goes on the shared registry, with its YAML channel rule.
  registerSE();

  // 2. A tiny generated dataset (ultralytics layout + data.yaml): two shape classes.
  const dir = opts.dir ?? mkdtempSync(path.join(tmpdir(), 'yolomods-custom-block-'));
  mkdirSync(dir, { recursive: true });
  const data = await generateSynthetic({ dir: path.join(dir, 'data'), train: 8, val: 4, imgsz, classes: 2, seed: 0, objects: [1, 2], size: [0.3, 0.6] });

  // 3. Build from our YAML: SE is resolved through the registry like any built-in block.
  const yolo = await YOLO.create({ model: seYaml, nc: 2 });
  const info = yolo.info({ imgsz });
  log(info.summary);

  // 4. A short training run through the public API.
  const losses: number[][] = [];
  const train = await yolo.train({
    data,
    epochs: opts.epochs ?? 2,
    imgsz,
    batch: 4,
    nbs: 4,
    mosaic: 0,
    close_mosaic: 0,
    warmup_epochs: 0,
    plots: false,
    verbose: false,
    project: path.join(dir, 'runs'),
    name: 'se',
    log,
    onFitEpochEnd: (ctx) => losses.push([...ctx.tloss]),
  });
  yolo.dispose();

  // 5. Rebuild from the checkpoint (it carries the YAML and class names) and predict.
  const reloaded = await YOLO.create({ weights: train.best });
  const valDir = path.join(dir, 'data', 'images', 'val');
  const images = readdirSync(valDir).sort().map((f) => path.join(valDir, f));
  const results = await reloaded.predict(images, { imgsz, conf: 0.01 });
  for (const r of results) log(`${path.basename(r.path)}: ${r.boxes.conf.length} boxes`);
  return { dir, data, info, train, losses, reloaded, results };
}
