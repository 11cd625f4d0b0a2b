import { createHash } from 'node:crypto';
import { existsSync, readdirSync, readFileSync, renameSync, statSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import sharp from 'sharp';
import yaml from 'js-yaml';
import { IMG_FORMATS } from './images';

/** A dataset YAML resolved to absolute file lists. */
export interface DatasetInfo {
  /** Dataset root. */
  root: string;
  /** Training images. */
  train: string[];
  /** Validation images. */
  val: string[];
  /** Class names, index = class id. */
  names: string[];
  /** Number of classes. */
  nc: number;
  /** The YAML file. */
  yaml: string;
}

/** One checked image and its labels. */
export interface LabelEntry {
  /** Image path. */
  im: string;
  /** Original `[height, width]`. */
  shape: [number, number];
  /** Class per object. */
  cls: number[];
  /** Normalised `cx, cy, w, h` per object, flat. */
  bboxes: number[];
}

/** Result of {@link checkLabels}. */
export interface LabelCheck {
  /** Usable images (corrupt ones removed). */
  labels: LabelEntry[];
  /** One ultralytics-style warning per skipped or fixed file. */
  warnings: string[];
  /** Found, missing, empty, corrupt counts (ultralytics nf, nm, ne, nc). */
  counts: { found: number; missing: number; empty: number; corrupt: number };
  /** True when the result came from the cache file. */
  fromCache: boolean;
}

/** Lists image files from a folder (recursive), a list file, or several of those. */
export function listImages(source: string | string[], root: string): string[] {
  const out: string[] = [];
  for (const s of Array.isArray(source) ? source : [source]) {
    const p = path.resolve(root, s);
    if (!existsSync(p)) throw new Error(`dataset: '${s}' does not exist (resolved to ${p})`);
    if (statSync(p).isDirectory()) {
      const walk = (d: string) => {
        for (const e of readdirSync(d, { withFileTypes: true }).sort((a, b) => a.name.localeCompare(b.name))) {
          const f = path.join(d, e.name);
          if (e.isDirectory()) walk(f);
          else if (IMG_FORMATS.has(path.extname(e.name).slice(1).toLowerCase())) out.push(f);
        }
      };
      walk(p);
    } else {
      const parent = path.dirname(p);
      for (const line of readFileSync(p, 'utf8').split(/\r?\n/)) {
        const l = line.trim();
        if (l) out.push(path.resolve(parent, l));
      }
    }
  }
  if (!out.length) throw new Error(`dataset: no images found in ${JSON.stringify(source)}`);
  return out;
}

/** Loads an ultralytics dataset YAML (`path`, `train`, `val`, `names` or `nc`). */
export function loadDataset(file: string): DatasetInfo {
  if (!existsSync(file)) throw new Error(`dataset YAML not found: ${file}`);
  const d = yaml.load(readFileSync(file, 'utf8')) as Record<string, unknown> | null;
  if (!d || typeof d !== 'object') throw new Error(`${file}: expected a mapping with train, val and names`);
  for (const k of ['train', 'val']) if (!d[k]) throw new Error(`${file}: missing '${k}' key`);
  let names: string[];
  if (Array.isArray(d.names)) names = d.names.map(String);
  else if (d.names && typeof d.names === 'object') {
    const o = d.names as Record<string, unknown>;
    names = Object.keys(o).sort((a, b) => Number(a) - Number(b)).map((k) => String(o[k]));
  } else if (typeof d.nc === 'number') names = Array.from({ length: d.nc }, (_, i) => `class${i}`);
  else throw new Error(`${file}: needs 'names' (or 'nc')`);
  if (typeof d.nc === 'number' && d.nc !== names.length) throw new Error(`${file}: nc=${d.nc} but ${names.length} names given`);
  const dir = path.dirname(path.resolve(file));
  const root = d.path ? path.resolve(dir, String(d.path)) : dir;
  return { root, train: listImages(d.train as string, root), val: listImages(d.val as string, root), names, nc: names.length, yaml: path.resolve(file) };
}

/** ultralytics `img2label_paths`: `.../images/x.jpg` → `.../labels/x.txt`. */
export function labelPath(im: string): string {
  const sep = `${path.sep}images${path.sep}`;
  const i = im.lastIndexOf(sep);
  const p = i >= 0 ? im.slice(0, i) + `${path.sep}labels${path.sep}` + im.slice(i + sep.length) : im;
  return p.slice(0, p.length - path.extname(p).length) + '.txt';
}

async function verify(im: string, nc: number): Promise<{ entry?: LabelEntry; warning?: string; kind: 'found' | 'missing' | 'empty' | 'corrupt' }> {
  const corrupt = (reason: string) => ({ kind: 'corrupt' as const, warning: `WARNING ⚠️ ${im}: ignoring corrupt image/label: ${reason}` });
  let shape: [number, number];
  try {
    const img = sharp(im, { failOn: 'error' });
    const meta = await img.metadata();
    await img.stats(); // forces a full decode: truncated files fail here
    const rotated = (meta.orientation ?? 1) >= 5;
    const w = rotated ? meta.height! : meta.width!;
    const h = rotated ? meta.width! : meta.height!;
    if (!(w >= 10 && h >= 10)) return corrupt(`image size (${w}, ${h}) <10 pixels`);
    if (!IMG_FORMATS.has(String(meta.format))) return corrupt(`invalid image format ${meta.format}`);
    shape = [h, w];
  } catch (e) {
    return corrupt(`cannot decode image (${(e as Error).message.split('\n')[0]})`);
  }
  const lf = labelPath(im);
  if (!existsSync(lf)) return { kind: 'missing', entry: { im, shape, cls: [], bboxes: [] } };
  const rows = readFileSync(lf, 'utf8')
    .split(/\r?\n/)
    .map((l) => l.trim())
    .filter(Boolean)
    .map((l) => l.split(/\s+/));
  if (!rows.length) return { kind: 'empty', entry: { im, shape, cls: [], bboxes: [] } };
  const bad = rows.find((r) => r.length !== 5);
  if (bad) return corrupt(`labels require 5 columns, ${bad.length} columns detected`);
  const vals = rows.map((r) => r.map(Number));
  if (vals.some((r) => r.some((v) => !Number.isFinite(v)))) return corrupt(`non-numeric label values in ${lf}`);
  const neg = vals.flat().filter((v) => v < 0);
  if (neg.length) return corrupt(`negative label values [${neg.join(' ')}]`);
  const over = vals.flatMap((r) => r.slice(1)).filter((v) => v > 1);
  if (over.length) return corrupt(`non-normalized or out of bounds coordinates [${over.join(' ')}]`);
  const maxCls = Math.max(...vals.map((r) => r[0]!));
  if (maxCls > nc - 1) return corrupt(`Label class ${maxCls} exceeds dataset class count ${nc}. Possible class labels are 0-${nc - 1}`);
  if (vals.some((r) => !Number.isInteger(r[0]))) return corrupt('class ids must be integers');
  const seen = new Set<string>();
  const uniq = vals.filter((r) => {
    const k = r.join(' ');
    if (seen.has(k)) return false;
    seen.add(k);
    return true;
  });
  const entry: LabelEntry = { im, shape, cls: uniq.map((r) => r[0]!), bboxes: uniq.flatMap((r) => r.slice(1)) };
  const warning = uniq.length < vals.length ? `WARNING ⚠️ ${im}: ${vals.length - uniq.length} duplicate labels removed` : undefined;
  return { kind: 'found', entry, warning };
}

const CACHE_VERSION = 'yolomods-1';

function filesHash(files: string[]): string {
  const h = createHash('sha256');
  for (const f of [...files, ...files.map(labelPath)]) {
    h.update(f);
    if (existsSync(f)) {
      const s = statSync(f);
      h.update(`${s.size}:${s.mtimeMs}`);
    }
  }
  return h.digest('hex');
}

/**
 * ultralytics `cache_labels`: verifies every image and label once, skipping (and reporting) corrupt
 * ones, and stores the result next to the labels (`labels/<split>.cache`, JSON) keyed by a hash of
 * file names, sizes and times, so later runs skip the check.
 */
export async function checkLabels(files: string[], nc: number, opts: { cache?: boolean; log?: (msg: string) => void } = {}): Promise<LabelCheck> {
  const log = opts.log ?? ((m: string) => console.warn(m));
  const cacheFile = path.dirname(labelPath(files[0]!)) + '.cache';
  const hash = filesHash(files);
  if (opts.cache !== false && existsSync(cacheFile)) {
    try {
      const c = JSON.parse(readFileSync(cacheFile, 'utf8')) as LabelCheck & { version: string; hash: string; nc: number };
      if (c.version === CACHE_VERSION && c.hash === hash && c.nc === nc) {
        c.warnings.forEach((w) => log(w));
        return { labels: c.labels, warnings: c.warnings, counts: c.counts, fromCache: true };
      }
    } catch {
      // An unreadable cache is rebuilt.
    }
  }
  const labels: LabelEntry[] = [];
  const warnings: string[] = [];
  const counts = { found: 0, missing: 0, empty: 0, corrupt: 0 };
  for (const im of files) {
    const r = await verify(im, nc);
    counts[r.kind]++;
    if (r.warning) {
      warnings.push(r.warning);
      log(r.warning);
    }
    if (r.entry) labels.push(r.entry);
  }
  if (opts.cache !== false) {
    try {
      const tmp = `${cacheFile}.${process.pid}.tmp`;
      writeFileSync(tmp, JSON.stringify({ version: CACHE_VERSION, hash, nc, labels, warnings, counts }));
      renameSync(tmp, cacheFile);
    } catch (e) {
      log(`WARNING ⚠️ cache directory ${path.dirname(cacheFile)} is not writeable, cache not saved (${(e as Error).message})`);
    }
  }
  return { labels, warnings, counts, fromCache: false };
}
