import { existsSync, readFileSync, readdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import {
  exportOnnx,
  loadConfig,
  parseModel,
  parseSafetensors,
  registry as sharedRegistry,
  writeSafetensors,
  type DetectionModel,
  type ModelConfig,
  type ModelInfo,
  type Plugin,
  type Registry,
  type TensorMap,
} from '@yolomods/core';
import { discoverPlugins, usePlugins } from './plugins';
import { loadPt } from './weights/pt';
import { splitCheckpoint, type CheckpointMeta } from './train/checkpoint';
import { train, type TrainOptions, type TrainResult } from './train/trainer';
import { val, type ValOptions } from './train/commands';
import type { ValidateResult } from './train/validator';
import { predict, type PredictOptions, type Source } from './predict';
import type { Results } from './results';

/** This package's bundled YAMLs (`yolov8.yaml`), from the ESM or the CJS build alike. */
export const configsDir: string =
  typeof __dirname !== 'undefined' ? path.join(__dirname, '../configs') : fileURLToPath(new URL('../configs', import.meta.url));

/** Options of {@link YOLO.create}. */
export interface YoloCreateOptions {
  /** A YAML path, YAML text, a config object, or a bundled name such as `yolov8n.yaml` / `yolov8s-DySample.yaml`. Optional when `weights` is a `.pt` or a yolomods file that carries its YAML. */
  model?: string | ModelConfig;
  /** Scale letter (overrides the one in the name). */
  scale?: string;
  /** Number of classes (default: the weights', else the YAML's). */
  nc?: number;
  /** `.safetensors` (PyTorch keys) or ultralytics `.pt`: a path or the file's bytes. */
  weights?: string | Uint8Array;
  /** Plugin objects to register in addition to the installed ones. */
  plugins?: Plugin[];
  /** Find and import installed yolomods plugin packages (default true). */
  discover?: boolean;
  /** Where to look for installed plugins (default `process.cwd()`, then upward). */
  cwd?: string;
  /** Registry to build from (default core's shared registry). */
  registry?: Registry;
  /** Class names (default: the weights', else `class<i>`). */
  names?: string[];
}

/** Options of {@link YOLO.export}. */
export interface YoloExportOptions {
  /** `safetensors` (weights, PyTorch keys, YAML and names in the metadata) or `onnx`. */
  format: 'safetensors' | 'onnx';
  /** ONNX input size (default 640). */
  imgsz?: number | [number, number];
  /** ONNX dynamic batch (default false). */
  dynamic?: boolean;
  /** Also write the bytes here. */
  file?: string;
}

/** ultralytics `guess_model_scale`: the letter after `yolov<digits>` in the file stem. */
export function guessModelScale(name: string): string | undefined {
  return /yolov\d+([nslmxt])/.exec(path.basename(name).replace(/\.ya?ml$/i, ''))?.[1];
}

/** The bundled name without its scale letter (`yolov8s-DySample.yaml` → `yolov8-DySample.yaml`), as ultralytics. */
export function unscaledName(name: string): string {
  const stem = path.basename(name).replace(/\.ya?ml$/i, '');
  return `${stem.replace(/(\d+)([nslmxt])(.+)?$/, '$1$3')}.yaml`;
}

/** Every bundled config: ours plus those of the given plugins. */
export function bundledConfigs(dirs: string[]): Map<string, string> {
  const out = new Map<string, string>();
  for (const d of dirs) {
    if (!existsSync(d)) continue;
    for (const f of readdirSync(d)) if (/\.ya?ml$/i.test(f) && !out.has(f)) out.set(f, path.join(d, f));
  }
  return out;
}

function resolveModel(spec: string | ModelConfig, scale: string | undefined, dirs: string[]): { cfg: ModelConfig; scale?: string } {
  if (typeof spec !== 'string' || spec.includes('\n') || existsSync(spec)) {
    const cfg = loadConfig(spec);
    return { cfg, scale: scale ?? (typeof spec === 'string' && !spec.includes('\n') ? guessModelScale(spec) : undefined) };
  }
  const all = bundledConfigs(dirs);
  const base = path.basename(spec);
  const file = all.get(unscaledName(base)) ?? all.get(base);
  if (!file) {
    throw new Error(
      `model '${spec}' is neither a file nor a bundled config. Bundled (this package + installed plugins): ${[...all.keys()].join(', ') || 'none'}. ` +
        `A variant YAML ships with its plugin: pnpm add @yolomods/<plugin>.`,
    );
  }
  const cfg = loadConfig(file);
  cfg.yaml_file = base;
  return { cfg, scale: scale ?? guessModelScale(base) };
}

interface LoadedWeights {
  stateDict: TensorMap;
  yaml?: ModelConfig;
  names?: string[];
  nc?: number;
}

function readWeights(w: string | Uint8Array): LoadedWeights {
  const name = typeof w === 'string' ? w : '<weights buffer>';
  if (typeof w === 'string' && !existsSync(w)) throw new Error(`weights file not found: ${w}`);
  const bytes = typeof w === 'string' ? readFileSync(w) : w;
  const isZip = bytes[0] === 0x50 && bytes[1] === 0x4b;
  if (isZip || (typeof w === 'string' && /\.pt$/i.test(w))) {
    const ck = loadPt(bytes, { source: name });
    return { stateDict: ck.stateDict, yaml: ck.yaml, names: ck.names, nc: ck.nc };
  }
  const { tensors, metadata } = parseSafetensors(bytes, name);
  if (metadata.yolomods) {
    const meta = JSON.parse(metadata.yolomods) as CheckpointMeta;
    return { stateDict: splitCheckpoint(tensors).ema, yaml: meta.model.yaml, names: meta.model.names, nc: meta.model.yaml.nc as number };
  }
  const yaml = metadata.yaml ? (JSON.parse(metadata.yaml) as ModelConfig) : undefined;
  const names = metadata.names ? (JSON.parse(metadata.names) as string[]) : undefined;
  return { stateDict: tensors, yaml, names, nc: names?.length ?? (yaml?.nc as number | undefined) };
}

/** A detector: build it from a YAML (bundled, plugin-provided or yours), load weights, predict, export, train. */
export class YOLO {
  private constructor(readonly model: DetectionModel) {}

  /** Class names, index = class id. */
  get names(): string[] {
    return this.model.names;
  }

  /**
   * Builds a detector. Installed yolomods plugins (packages with `"yolomods": {"plugin": true}` in
   * their package.json, found from `cwd` upward) are imported first, so their blocks and YAMLs are
   * available; a YAML naming a block nobody provides fails with the layer and `pnpm add @yolomods/<pkg>`.
   */
  static async create(opts: YoloCreateOptions = {}): Promise<YOLO> {
    const registry = opts.registry ?? sharedRegistry;
    const installed = opts.discover === false ? [] : await discoverPlugins(opts.cwd);
    usePlugins(opts.plugins ?? [], registry);
    const w = opts.weights === undefined ? undefined : readWeights(opts.weights);
    const dirs = [configsDir, ...installed.flatMap((p) => (p.configsDir ? [p.configsDir] : []))];
    let cfg: ModelConfig;
    let scale = opts.scale;
    if (opts.model !== undefined) ({ cfg, scale } = resolveModel(opts.model, opts.scale, dirs));
    else if (w?.yaml) cfg = w.yaml;
    else throw new Error('YOLO.create: give model (a YAML path/text/object or a bundled name such as yolov8n.yaml) or weights that carry their YAML (.pt)');
    const model = parseModel(cfg, { scale, nc: opts.nc ?? w?.nc, registry, warn: () => {} });
    try {
      if (w) model.loadStateDict(w.stateDict);
    } catch (e) {
      model.dispose();
      throw new Error(`${typeof opts.weights === 'string' ? opts.weights : 'weights'}: ${(e as Error).message}`);
    }
    const names = opts.names ?? w?.names;
    if (names) {
      if (names.length !== model.nc) throw new Error(`names has ${names.length} entries but the model has nc=${model.nc}`);
      model.names = [...names];
    }
    model.eval();
    return new YOLO(model);
  }

  /** Detects objects; see {@link PredictOptions}. One {@link Results} per image. */
  predict(source: Source | Source[], opts: PredictOptions = {}): Promise<Results[]> {
    return predict(this.model, source, opts);
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
      bytes = exportOnnx(this.model, { imgsz: opts.imgsz ?? 640, dynamic: opts.dynamic ?? false });
    } else throw new Error(`export: format must be safetensors or onnx, got ${String(opts.format)}`);
    if (opts.file) writeFileSync(opts.file, bytes);
    return bytes;
  }

  /** Trains this model (delegates to the trainer: `train(this.model, opts)`). */
  train(opts: TrainOptions): Promise<TrainResult> {
    return train(this.model, opts);
  }

  /** Validates this model on a dataset. */
  val(opts: ValOptions): Promise<ValidateResult> {
    return val(this.model, opts);
  }

  /** Frees the model's tensors. */
  dispose(): void {
    this.model.dispose();
  }
}
