import yaml from 'js-yaml';
import { files } from './io/files';
import { Module, Sequential } from './module';
import { DetectionModel, type LayerInfo } from './model';
import { registry as defaultRegistry, type Registry } from './standard';

/** Options of {@link parseModel}. */
export interface ParseOptions {
  /** Scale letter from the YAML's `scales` (default: the YAML's `scale`, else the first, with a warning). */
  scale?: string;
  /** Number of classes (overrides the YAML's `nc`). */
  nc?: number;
  /** Input channels (default 3). */
  ch?: number;
  /** Registry to resolve modules in (default: the shared registry plugins register into). */
  registry?: Registry;
  /** Warnings go here (default console.warn). */
  warn?: (msg: string) => void;
}

/** A YAML model description as an object. */
export type ModelConfig = Record<string, unknown>;

/** Loads a config given as a file path, YAML text or an object; returns a fresh object. */
export function loadConfig(cfg: string | ModelConfig): ModelConfig {
  if (typeof cfg !== 'string') return structuredClone(cfg);
  const isPath = !cfg.includes('\n') && /\.ya?ml$/i.test(cfg.trim());
  if (isPath && !files.exists(cfg)) throw new Error(`model config file not found: ${cfg}`);
  const text = isPath ? files.readText(cfg) : cfg;
  let d: unknown;
  try {
    d = yaml.load(text);
  } catch (e) {
    throw new Error(`${isPath ? cfg : 'model YAML'}: ${(e as Error).message}`);
  }
  if (!d || typeof d !== 'object') throw new Error(`${isPath ? cfg : 'model YAML'}: expected a mapping with backbone and head`);
  const out = d as ModelConfig;
  if (isPath && out.yaml_file === undefined) out.yaml_file = cfg.split(/[\\/]/).pop();
  return out;
}

/** Python's round(): halves go to the even neighbour. */
function pyRound(x: number): number {
  const r = Math.round(x);
  return Math.abs(x % 1) === 0.5 && r % 2 !== 0 ? r - 1 : r;
}

/** ultralytics' arg evaluation: `nc` and Python literals resolve, other strings stay strings. */
function evalArg(a: unknown, nc: number): unknown {
  if (typeof a !== 'string') return a;
  if (a === 'nc') return nc;
  if (a === 'None') return null;
  if (a === 'True') return true;
  if (a === 'False') return false;
  if (/^-?\d+(\.\d*)?(e-?\d+)?$/i.test(a)) return Number(a);
  const quoted = /^'(.*)'$|^"(.*)"$/.exec(a);
  if (quoted) return quoted[1] ?? quoted[2];
  return a;
}

function fmtRow(row: unknown): string {
  return JSON.stringify(row)?.replace(/"/g, '').replace(/,/g, ', ') ?? String(row);
}

/**
 * Builds a detector from an ultralytics model YAML with ultralytics' `parse_model` semantics:
 * scales, depth/width/max_channels, `from` indices, `nc`, and each block's registered channel rule.
 */
export function parseModel(cfg: string | ModelConfig, opts: ParseOptions = {}): DetectionModel {
  const d = loadConfig(cfg);
  const reg = opts.registry ?? defaultRegistry;
  const warn = opts.warn ?? ((m: string) => console.warn(m));
  const src = String(d.yaml_file ?? 'model YAML');
  const nc = opts.nc ?? Number(d.nc ?? 80);
  if (!Number.isInteger(nc) || nc < 1) throw new Error(`${src}: nc must be a positive integer, got ${String(d.nc)}`);
  d.nc = nc;
  let depth: number;
  let width: number;
  let maxChannels = Infinity;
  const scales = d.scales as Record<string, number[]> | undefined;
  if (scales && typeof scales === 'object') {
    let scale = opts.scale ?? (d.scale as string | undefined);
    if (!scale) {
      scale = Object.keys(scales)[0]!;
      warn(`WARNING ⚠️ no model scale passed. Assuming scale='${scale}'.`);
    }
    const s = scales[scale];
    if (!s) throw new Error(`${src}: scale '${scale}' is not in scales (${Object.keys(scales).join(', ')})`);
    [depth, width, maxChannels] = [Number(s[0]), Number(s[1]), Number(s[2] ?? Infinity)];
    d.scale = scale;
  } else {
    depth = Number(d.depth_multiple ?? 1);
    width = Number(d.width_multiple ?? 1);
  }
  const backbone = d.backbone;
  const headRows = d.head;
  if (!Array.isArray(backbone) || !Array.isArray(headRows)) throw new Error(`${src}: 'backbone' and 'head' must be lists of [from, repeats, module, args]`);
  const rows = [...backbone, ...headRows] as unknown[];
  const inCh = opts.ch ?? 3;
  let ch: number[] = [inCh];
  const layers: Module[] = [];
  const infos: LayerInfo[] = [];
  const save = new Set<number>();
  rows.forEach((row, i) => {
    const at = `${src}, layer ${i} ${fmtRow(row)}`;
    if (!Array.isArray(row) || row.length !== 4) throw new Error(`${at}: expected [from, repeats, module, args]`);
    const [from, nRaw, mName, rawArgs] = row as [unknown, unknown, unknown, unknown];
    const fromList = Array.isArray(from) ? from : [from];
    for (const f of fromList) {
      if (!Number.isInteger(f)) throw new Error(`${at}: 'from' must be an integer or a list of integers, got ${JSON.stringify(from)}`);
      const j = f as number;
      if (j >= i) throw new Error(`${at}: 'from' ${j} refers to layer ${j}, which is not built yet (forward reference)`);
      if (j < 0 && i + j < 0 && !(i === 0 && j === -1)) throw new Error(`${at}: 'from' ${j} reaches before the first layer`);
    }
    if (!Number.isInteger(nRaw) || (nRaw as number) < 1) throw new Error(`${at}: repeats must be a positive integer, got ${JSON.stringify(nRaw)}`);
    if (typeof mName !== 'string') throw new Error(`${at}: module must be a name, got ${JSON.stringify(mName)}`);
    if (!Array.isArray(rawArgs)) throw new Error(`${at}: args must be a list, got ${JSON.stringify(rawArgs)}`);
    const def = reg.resolve(mName, i);
    const args = rawArgs.map((a) => evalArg(a, nc));
    let n = nRaw as number;
    n = n > 1 ? Math.max(pyRound(n * depth), 1) : n;
    let res;
    try {
      res = def.channels({ index: i, from: from as number | number[], ch, args, n, width, depth, maxChannels, nc });
    } catch (e) {
      throw new Error(`${at}: ${(e as Error).message}`);
    }
    const reps = res.n ?? n;
    const build = def.build as unknown as (...a: unknown[]) => Module;
    let m: Module;
    try {
      m = reps > 1 ? new Sequential(Array.from({ length: reps }, () => build(...res.args))) : build(...res.args);
    } catch (e) {
      throw new Error(`${at}: ${def.name}(${res.args.map((a) => JSON.stringify(a)).join(', ')}): ${(e as Error).message}`);
    }
    for (const f of fromList as number[]) if (f !== -1) save.add(((f % i) + i) % i);
    layers.push(m);
    infos.push({ index: i, from: from as number | number[], n: nRaw === 1 ? 1 : n, type: def.name, args: res.args, params: m.countParameters().parameters });
    if (i === 0) ch = [];
    ch.push(res.c2);
  });
  return new DetectionModel(layers, infos, save, d, inCh);
}
