import { existsSync, readdirSync } from 'node:fs';
import path from 'node:path';
import {
  configsDirOf,
  loadConfig,
  providerOf,
  registry as sharedRegistry,
  type DetectionModel,
  type ModelConfig,
  type Plugin,
  type Registry,
} from '@yolomods/core';
import { assemble } from './assemble';
import { discoverPlugins, usePlugins } from './plugins';
import { readWeights } from './weights/read';
import { resolveWeights } from './weights/download';
import { transferWeights, type TransferReport } from './weights/transfer';

/** This package's bundled YAMLs (`yolov8.yaml`), from the ESM or the CJS build alike. */
export const configsDir: string = configsDirOf(typeof __dirname !== 'undefined' ? __dirname : undefined, import.meta.url);

/** Options of {@link YOLO.create} and {@link createModel}. */
export interface YoloCreateOptions {
  /** A YAML path, YAML text, a config object, or a bundled name such as `yolov8n.yaml` / `yolov8s-DySample.yaml`. Optional when `weights` is a `.pt` or a yolomods file that carries its YAML. */
  model?: string | ModelConfig;
  /** Scale letter (overrides the one in the name). */
  scale?: string;
  /** Number of classes (default: the weights', else the YAML's). */
  nc?: number;
  /** `.safetensors` (PyTorch keys) or ultralytics `.pt`: a path, a release name such as `yolov8n.pt` (downloaded once into the cache), or the file's bytes. */
  weights?: string | Uint8Array;
  /** Plugin objects to register in addition to the installed ones. */
  plugins?: Plugin[];
  /** Find and import installed yolomods plugin packages (default true). */
  discover?: boolean;
  /** Where to look for installed plugins, then upward (default: the working directory and the started script's folder). */
  cwd?: string;
  /** Registry to build from (default core's shared registry). */
  registry?: Registry;
  /** Class names (default: the weights', else `class<i>`). */
  names?: string[];
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
    // A variant YAML ships with its plugin: name the package when the name tells which one.
    const mechanism = /^yolov\d+-(.+)\.ya?ml$/i.exec(unscaledName(base))?.[1]?.replace(/-/g, '_');
    const pkg = mechanism ? providerOf(mechanism) : undefined;
    const hint = pkg ? `${base} ships with ${pkg}: pnpm add ${pkg}` : 'a variant YAML ships with its plugin: pnpm add @yolomods/<plugin>';
    throw new Error(
      `model '${spec}' is neither a file nor a bundled config; ${hint}. ` +
        `Bundled here (this package + installed plugins): ${[...all.keys()].join(', ') || 'none'}.`,
    );
  }
  const cfg = loadConfig(file);
  cfg.yaml_file = base;
  return { cfg, scale: scale ?? guessModelScale(base) };
}

/**
 * Copies the tensors of a weights file that fit into `model` (layers matched by structure, see
 * {@link transferWeights}); a bare name such as `yolov8n.pt` is downloaded first. Logs ultralytics'
 * `Transferred N/M items` line and the layers left at their initialisation.
 */
export async function loadPretrained(model: DetectionModel, weights: string | Uint8Array, log: (line: string) => void = (l) => process.stderr.write(`${l}\n`)): Promise<TransferReport> {
  const w = readWeights(typeof weights === 'string' ? await resolveWeights(weights, { log }) : weights);
  const report = transferWeights(model, w);
  for (const l of report.lines) log(l);
  return report;
}

/**
 * Builds a detection model (eval mode): installed yolomods plugins (packages with
 * `"yolomods": {"plugin": true}` in their package.json, found from `cwd` upward) are imported first,
 * so their blocks and YAMLs are available; a YAML naming a block nobody provides fails with the
 * layer and `pnpm add @yolomods/<pkg>`.
 */
export async function createModel(opts: YoloCreateOptions = {}): Promise<DetectionModel> {
  const registry = opts.registry ?? sharedRegistry;
  const installed = opts.discover === false ? [] : await discoverPlugins(opts.cwd);
  usePlugins(opts.plugins ?? [], registry);
  const w = opts.weights === undefined ? undefined : readWeights(typeof opts.weights === 'string' ? await resolveWeights(opts.weights) : opts.weights);
  const dirs = [configsDir, ...installed.flatMap((p) => (p.configsDir ? [p.configsDir] : []))];
  let cfg: ModelConfig;
  let scale = opts.scale;
  if (opts.model !== undefined) ({ cfg, scale } = resolveModel(opts.model, opts.scale, dirs));
  else if (w?.yaml) cfg = w.yaml;
  else throw new Error('YOLO.create: give model (a YAML path/text/object or a bundled name such as yolov8n.yaml) or weights that carry their YAML (.pt, or a yolomods .safetensors)');
  return assemble(cfg, { scale, nc: opts.nc, registry, ...(w ? { weights: w } : {}), ...(opts.names ? { names: opts.names } : {}) });
}
