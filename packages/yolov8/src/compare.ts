import { mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import sharp from 'sharp';
import { measure, tf, type DetectionModel } from '@yolomods/core';

/** One row of a comparison: what papers report for a baseline and its variants. */
export interface CompareRow {
  /** Model as given (e.g. `yolov8n-DySample.yaml`). */
  model: string;
  /** Parameters. */
  parameters: number;
  /** GFLOPs at `imgsz`. */
  gflops: number;
  /** Median ms per image (batch 1) on the current backend. */
  ms: number;
  /** Validation metrics, when data and weights were given. */
  metrics?: { precision: number; recall: number; map50: number; map5095: number };
  /** Training size and GFLOPs there, when the model was trained for the comparison. */
  train?: { imgsz: number; gflops: number; epochs: number; seconds: number };
  /** Val mAP50 and mAP50-95 after each training epoch. */
  curve?: { map50: number[]; map5095: number[] };
  /** Why this model has no results (the others still do). */
  error?: string;
}

/** Options of {@link compare}. */
export interface CompareOptions {
  /** Models to compare; the first is the baseline the deltas refer to. */
  models: string[];
  /** Builds (and loads weights into) a model from its spec. */
  build: (spec: string) => Promise<DetectionModel>;
  /** Optional: validation metrics for a built model (e.g. from a dataset and trained weights). */
  evaluate?: (model: DetectionModel, spec: string) => Promise<CompareRow['metrics']>;
  /** Image size for GFLOPs and timing (default 640). */
  imgsz?: number;
  /** Timed runs per model after warm-up (default 5). */
  runs?: number;
  /** Where to write `compare.md`, `compare.csv`, `compare.png` (default: don't write). */
  saveDir?: string;
  /** Backend name shown in the outputs. */
  backend?: string;
}

/** Measures every model and, with `saveDir`, writes the Markdown table, the CSV and the chart. */
export async function compare(opts: CompareOptions): Promise<CompareRow[]> {
  if (!opts.models.length) throw new Error('compare: models=… needs at least one model');
  const imgsz = opts.imgsz ?? 640;
  const rows: CompareRow[] = [];
  for (const spec of opts.models) {
    const model = await opts.build(spec);
    try {
      const cost = await measureCost(model, imgsz, opts.runs);
      const metrics = opts.evaluate ? await opts.evaluate(model, spec) : undefined;
      rows.push({ model: spec, ...cost, ...(metrics ? { metrics } : {}) });
    } finally {
      model.dispose();
    }
  }
  if (opts.saveDir) await writeComparison(opts.saveDir, rows, { imgsz, backend: opts.backend });
  return rows;
}

/** Parameters, GFLOPs at `imgsz` and median ms per image (batch 1, eval mode) on the current backend. */
export async function measureCost(model: DetectionModel, imgsz = 640, runs = 5): Promise<Pick<CompareRow, 'parameters' | 'gflops' | 'ms'>> {
  model.eval();
  const info = model.info({ imgsz });
  const x = tf.zeros([1, imgsz, imgsz, model.ch]) as tf.Tensor4D;
  try {
    const m = await measure(() => {
      const out = model.forward(x);
      return [out.y!, ...out.feats];
    }, { warmup: 1, runs });
    return { parameters: info.parameters, gflops: info.gflops, ms: m.ms };
  } finally {
    x.dispose();
  }
}

/** How {@link writeComparison} labels its outputs. */
export interface ComparisonLabels {
  /** Size the GFLOPs and ms columns were measured at (640). */
  imgsz?: number;
  /** Backend name shown beside ms. */
  backend?: string;
}

/** Writes `compare.md`, `compare.csv`, `compare.png` and, when rows have per-epoch curves, `compare-epochs.png`. */
export async function writeComparison(dir: string, rows: CompareRow[], labels: ComparisonLabels = {}): Promise<string[]> {
  const imgsz = labels.imgsz ?? 640;
  mkdirSync(dir, { recursive: true });
  const files = [path.join(dir, 'compare.md'), path.join(dir, 'compare.csv'), path.join(dir, 'compare.png')];
  writeFileSync(files[0]!, compareMarkdown(rows, imgsz, labels.backend));
  writeFileSync(files[1]!, compareCsv(rows));
  await sharp(Buffer.from(compareSvg(rows.filter((r) => !r.error), imgsz))).png().toFile(files[2]!);
  if (rows.some((r) => r.curve?.map5095.length)) {
    files.push(path.join(dir, 'compare-epochs.png'));
    await sharp(Buffer.from(curvesSvg(rows))).png().toFile(files[3]!);
  }
  return files;
}

const pct = (v: number, base: number) => (base ? `${v >= base ? '+' : ''}${(((v - base) / base) * 100).toFixed(1)}%` : '');
const fix = (v: number | undefined, d = 3) => (v === undefined ? '' : v.toFixed(d));

/** The comparison as a Markdown table with deltas against the first model. */
export function compareMarkdown(rows: CompareRow[], imgsz = 640, backend = ''): string {
  const base = rows.find((r) => !r.error) ?? rows[0]!;
  const hasMap = rows.some((r) => r.metrics);
  const trainSizes = [...new Set(rows.flatMap((r) => (r.train ? [r.train.imgsz] : [])))];
  const trainSize = trainSizes.length === 1 && trainSizes[0] !== imgsz ? trainSizes[0] : undefined;
  const head = ['model', 'params', 'Δ params', `GFLOPs@${imgsz}`, 'Δ GFLOPs', ...(trainSize ? [`GFLOPs@${trainSize}`] : []), `ms/img${backend ? ` (${backend})` : ''}`, 'Δ ms'];
  if (hasMap) head.push('P', 'R', 'mAP50', 'mAP50-95', 'Δ mAP50-95');
  const lines = [`| ${head.join(' | ')} |`, `|${head.map((_, i) => (i ? '---:' : '---')).join('|')}|`];
  for (const r of rows) {
    if (r.error) {
      lines.push(`| ${r.model} | failed: ${r.error.replace(/\|/g, '\\|').replace(/\s+/g, ' ')} |${' |'.repeat(head.length - 2)}`);
      continue;
    }
    const cells = [r.model, r.parameters.toLocaleString('en-US'), r === base ? '' : pct(r.parameters, base.parameters), r.gflops.toFixed(2), r === base ? '' : pct(r.gflops, base.gflops)];
    if (trainSize) cells.push(r.train ? r.train.gflops.toFixed(3) : '');
    cells.push(r.ms.toFixed(1), r === base ? '' : pct(r.ms, base.ms));
    if (hasMap) {
      const m = r.metrics;
      const d = m && base.metrics && r !== base ? `${m.map5095 >= base.metrics.map5095 ? '+' : ''}${(m.map5095 - base.metrics.map5095).toFixed(3)}` : '';
      cells.push(fix(m?.precision), fix(m?.recall), fix(m?.map50), fix(m?.map5095), d);
    }
    lines.push(`| ${cells.join(' | ')} |`);
  }
  return `${lines.join('\n')}\n`;
}

/** The comparison as CSV (one row per model). */
export function compareCsv(rows: CompareRow[]): string {
  const head = 'model,parameters,gflops,ms,precision,recall,mAP50,mAP50-95,train_imgsz,train_gflops,epochs,train_seconds,error';
  const csvText = (t: string) => (/[",\n]/.test(t) ? `"${t.replace(/"/g, '""').replace(/\n/g, ' ')}"` : t);
  const body = rows.map((r) =>
    r.error
      ? [csvText(r.model), '', '', '', '', '', '', '', '', '', '', '', csvText(r.error)].join(',')
      : [csvText(r.model), r.parameters, r.gflops.toFixed(4), r.ms.toFixed(2), fix(r.metrics?.precision, 5), fix(r.metrics?.recall, 5), fix(r.metrics?.map50, 5), fix(r.metrics?.map5095, 5), r.train?.imgsz ?? '', fix(r.train?.gflops, 4), r.train?.epochs ?? '', fix(r.train?.seconds, 1), ''].join(','),
  );
  return `${[head, ...body].join('\n')}\n`;
}

const esc = (s: string) => s.replace(/&/g, '&amp;').replace(/</g, '&lt;');

/** Chart: mAP50-95 vs GFLOPs when metrics exist, else parameter and latency bars. */
export function compareSvg(rows: CompareRow[], imgsz = 640): string {
  const W = 900;
  const H = 480;
  const pad = { l: 70, r: 30, t: 40, b: 120 };
  const iw = W - pad.l - pad.r;
  const ih = H - pad.t - pad.b;
  const parts: string[] = [`<svg xmlns="http://www.w3.org/2000/svg" width="${W}" height="${H}" font-family="sans-serif" font-size="12"><rect width="100%" height="100%" fill="white"/>`];
  if (rows.every((r) => r.metrics)) {
    const xs = rows.map((r) => r.gflops);
    const ys = rows.map((r) => r.metrics!.map5095);
    const [x0, x1] = [Math.min(...xs) * 0.9, Math.max(...xs) * 1.1];
    const [y0, y1] = [Math.min(...ys) * 0.9, Math.max(...ys) * 1.1 || 1];
    const px = (v: number) => pad.l + ((v - x0) / (x1 - x0 || 1)) * iw;
    const py = (v: number) => pad.t + ih - ((v - y0) / (y1 - y0 || 1)) * ih;
    parts.push(`<text x="${W / 2}" y="22" text-anchor="middle" font-size="15">mAP50-95 vs GFLOPs@${imgsz}</text>`);
    rows.forEach((r, i) => {
      parts.push(`<circle cx="${px(xs[i]!)}" cy="${py(ys[i]!)}" r="6" fill="${i ? '#d62728' : '#1f77b4'}"/>`);
      parts.push(`<text x="${px(xs[i]!) + 8}" y="${py(ys[i]!) - 8}">${esc(r.model)}</text>`);
    });
    parts.push(`<line x1="${pad.l}" y1="${pad.t + ih}" x2="${pad.l + iw}" y2="${pad.t + ih}" stroke="black"/><line x1="${pad.l}" y1="${pad.t}" x2="${pad.l}" y2="${pad.t + ih}" stroke="black"/>`);
    parts.push(`<text x="${pad.l + iw / 2}" y="${H - 20}" text-anchor="middle">GFLOPs</text><text x="18" y="${pad.t + ih / 2}" transform="rotate(-90 18 ${pad.t + ih / 2})" text-anchor="middle">mAP50-95</text>`);
  } else {
    const series: [string, (r: CompareRow) => number, string][] = [
      ['parameters (M)', (r) => r.parameters / 1e6, '#1f77b4'],
      ['ms / image', (r) => r.ms, '#ff7f0e'],
    ];
    parts.push(`<text x="${W / 2}" y="22" text-anchor="middle" font-size="15">parameters and latency (${imgsz}x${imgsz}; each series scaled to its maximum)</text>`);
    const group = iw / rows.length;
    const bw = group / (series.length + 1);
    series.forEach(([label, get, color], s) => {
      const max = Math.max(...rows.map(get)) || 1;
      rows.forEach((r, i) => {
        const h = (get(r) / max) * ih;
        const x = pad.l + i * group + (s + 0.5) * bw;
        parts.push(`<rect x="${x}" y="${pad.t + ih - h}" width="${bw * 0.9}" height="${h}" fill="${color}"/>`);
        parts.push(`<text x="${x + bw * 0.45}" y="${pad.t + ih - h - 4}" text-anchor="middle" font-size="10">${get(r).toFixed(s ? 0 : 2)}</text>`);
      });
      parts.push(`<rect x="${pad.l + s * 200}" y="${H - 28}" width="12" height="12" fill="${color}"/><text x="${pad.l + s * 200 + 16}" y="${H - 18}">${label}</text>`);
    });
    rows.forEach((r, i) => parts.push(`<text x="${pad.l + (i + 0.5) * group}" y="${pad.t + ih + 16}" text-anchor="end" transform="rotate(-30 ${pad.l + (i + 0.5) * group} ${pad.t + ih + 16})">${esc(r.model)}</text>`));
    parts.push(`<line x1="${pad.l}" y1="${pad.t + ih}" x2="${pad.l + iw}" y2="${pad.t + ih}" stroke="black"/>`);
  }
  parts.push('</svg>');
  return parts.join('');
}


const COLORS = ['#1f77b4', '#d62728', '#2ca02c', '#ff7f0e', '#9467bd', '#8c564b', '#e377c2', '#7f7f7f'];

/** Chart of val mAP50-95 per epoch, one line per model (rows without a curve are left out). */
export function curvesSvg(rows: CompareRow[]): string {
  const W = 900;
  const H = 480;
  const pad = { l: 70, r: 30, t: 40, b: 90 };
  const iw = W - pad.l - pad.r;
  const ih = H - pad.t - pad.b;
  const drawn = rows.filter((r) => r.curve?.map5095.length);
  const epochs = Math.max(1, ...drawn.map((r) => r.curve!.map5095.length));
  const top = Math.max(0.05, ...drawn.flatMap((r) => r.curve!.map5095)) * 1.1;
  const px = (e: number) => pad.l + (epochs > 1 ? ((e - 1) / (epochs - 1)) * iw : iw / 2);
  const py = (v: number) => pad.t + ih - (v / top) * ih;
  const parts = [`<svg xmlns="http://www.w3.org/2000/svg" width="${W}" height="${H}" font-family="sans-serif" font-size="12"><rect width="100%" height="100%" fill="white"/>`];
  parts.push(`<text x="${W / 2}" y="22" text-anchor="middle" font-size="15">val mAP50-95 per epoch</text>`);
  for (let k = 0; k <= 4; k++) {
    const v = (top * k) / 4;
    parts.push(`<line x1="${pad.l}" y1="${py(v)}" x2="${pad.l + iw}" y2="${py(v)}" stroke="#eee"/><text x="${pad.l - 6}" y="${py(v) + 4}" text-anchor="end">${v.toFixed(2)}</text>`);
  }
  const step = Math.max(1, Math.ceil(epochs / 10));
  for (let e = 1; e <= epochs; e += step) parts.push(`<text x="${px(e)}" y="${pad.t + ih + 16}" text-anchor="middle">${e}</text>`);
  parts.push(`<line x1="${pad.l}" y1="${pad.t + ih}" x2="${pad.l + iw}" y2="${pad.t + ih}" stroke="black"/><line x1="${pad.l}" y1="${pad.t}" x2="${pad.l}" y2="${pad.t + ih}" stroke="black"/>`);
  parts.push(`<text x="${pad.l + iw / 2}" y="${pad.t + ih + 36}" text-anchor="middle">epoch</text>`);
  drawn.forEach((r, i) => {
    const c = COLORS[i % COLORS.length]!;
    const ys = r.curve!.map5095;
    parts.push(`<polyline fill="none" stroke="${c}" stroke-width="2" points="${ys.map((v, e) => `${px(e + 1).toFixed(1)},${py(v).toFixed(1)}`).join(' ')}"/>`);
    const lx = pad.l + (i % 3) * 280;
    const ly = H - 30 + Math.floor(i / 3) * 16;
    parts.push(`<rect x="${lx}" y="${ly - 10}" width="12" height="12" fill="${c}"/><text x="${lx + 16}" y="${ly}">${esc(r.model)}</text>`);
  });
  parts.push('</svg>');
  return parts.join('');
}
