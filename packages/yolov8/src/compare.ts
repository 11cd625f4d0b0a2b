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
      model.eval();
      const info = model.info({ imgsz });
      const x = tf.zeros([1, imgsz, imgsz, model.ch]) as tf.Tensor4D;
      const m = await measure(() => {
        const out = model.forward(x);
        return [out.y!, ...out.feats];
      }, { warmup: 1, runs: opts.runs ?? 5 });
      x.dispose();
      const metrics = opts.evaluate ? await opts.evaluate(model, spec) : undefined;
      rows.push({ model: spec, parameters: info.parameters, gflops: info.gflops, ms: m.ms, ...(metrics ? { metrics } : {}) });
    } finally {
      model.dispose();
    }
  }
  if (opts.saveDir) {
    mkdirSync(opts.saveDir, { recursive: true });
    writeFileSync(path.join(opts.saveDir, 'compare.md'), compareMarkdown(rows, imgsz, opts.backend));
    writeFileSync(path.join(opts.saveDir, 'compare.csv'), compareCsv(rows));
    await sharp(Buffer.from(compareSvg(rows, imgsz))).png().toFile(path.join(opts.saveDir, 'compare.png'));
  }
  return rows;
}

const pct = (v: number, base: number) => (base ? `${v >= base ? '+' : ''}${(((v - base) / base) * 100).toFixed(1)}%` : '');
const fix = (v: number | undefined, d = 3) => (v === undefined ? '' : v.toFixed(d));

/** The comparison as a Markdown table with deltas against the first model. */
export function compareMarkdown(rows: CompareRow[], imgsz = 640, backend = ''): string {
  const base = rows[0]!;
  const hasMap = rows.some((r) => r.metrics);
  const head = ['model', 'params', 'Δ params', `GFLOPs@${imgsz}`, 'Δ GFLOPs', `ms/img${backend ? ` (${backend})` : ''}`, 'Δ ms'];
  if (hasMap) head.push('P', 'R', 'mAP50', 'mAP50-95', 'Δ mAP50-95');
  const lines = [`| ${head.join(' | ')} |`, `|${head.map((_, i) => (i ? '---:' : '---')).join('|')}|`];
  for (const r of rows) {
    const cells = [r.model, r.parameters.toLocaleString('en-US'), r === base ? '' : pct(r.parameters, base.parameters), r.gflops.toFixed(2), r === base ? '' : pct(r.gflops, base.gflops), r.ms.toFixed(1), r === base ? '' : pct(r.ms, base.ms)];
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
  const head = 'model,parameters,gflops,ms,precision,recall,mAP50,mAP50-95';
  const body = rows.map((r) => [r.model, r.parameters, r.gflops.toFixed(4), r.ms.toFixed(2), fix(r.metrics?.precision, 5), fix(r.metrics?.recall, 5), fix(r.metrics?.map50, 5), fix(r.metrics?.map5095, 5)].join(','));
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
