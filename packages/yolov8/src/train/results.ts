import { appendFileSync, existsSync, readFileSync } from 'node:fs';
import sharp from 'sharp';

/** ultralytics' results.csv columns for detection. */
export const RESULT_KEYS = [
  'train/box_loss',
  'train/cls_loss',
  'train/dfl_loss',
  'metrics/precision(B)',
  'metrics/recall(B)',
  'metrics/mAP50(B)',
  'metrics/mAP50-95(B)',
  'val/box_loss',
  'val/cls_loss',
  'val/dfl_loss',
  'lr/pg0',
  'lr/pg1',
  'lr/pg2',
] as const;

/** Python `'%.5g' % v`. */
function g5(v: number): string {
  if (v === 0) return '0';
  if (!Number.isFinite(v)) return String(v);
  const e = Math.floor(Math.log10(Math.abs(v)));
  if (e < -4 || e >= 5) {
    const [m, x] = v.toExponential(4).split('e');
    const mant = m!.includes('.') ? m!.replace(/0+$/, '').replace(/\.$/, '') : m!;
    const n = Number(x);
    return `${mant}e${n < 0 ? '-' : '+'}${String(Math.abs(n)).padStart(2, '0')}`;
  }
  const s = v.toFixed(Math.max(0, 4 - e));
  return s.includes('.') ? s.replace(/0+$/, '').replace(/\.$/, '') : s;
}

/** Appends one epoch row, writing the header first if the file is new (ultralytics `save_metrics`). */
export function appendResults(file: string, epoch: number, values: number[]): void {
  const header = existsSync(file) ? '' : ['epoch', ...RESULT_KEYS].map((k) => k.padStart(23)).join(',') + '\n';
  appendFileSync(file, header + [String(epoch).padStart(23), ...values.map((v) => g5(v).padStart(23))].join(',') + '\n');
}

/** Reads results.csv back into columns. */
export function readResults(file: string): Record<string, number[]> {
  const [head, ...rows] = readFileSync(file, 'utf8').trim().split('\n');
  const keys = head!.split(',').map((k) => k.trim());
  const out: Record<string, number[]> = Object.fromEntries(keys.map((k) => [k, []]));
  for (const r of rows) r.split(',').forEach((v, i) => out[keys[i]!]!.push(Number(v)));
  return out;
}

/** ultralytics `plot_results` layout (2×5 panels: losses and metrics per epoch) as an SVG string. */
export function resultsSvg(cols: Record<string, number[]>): string {
  const panels = ['train/box_loss', 'train/cls_loss', 'train/dfl_loss', 'metrics/precision(B)', 'metrics/recall(B)', 'val/box_loss', 'val/cls_loss', 'val/dfl_loss', 'metrics/mAP50(B)', 'metrics/mAP50-95(B)'];
  const W = 240;
  const H = 200;
  const x = cols.epoch ?? [];
  const parts: string[] = [];
  panels.forEach((key, i) => {
    const ox = (i % 5) * W;
    const oy = Math.floor(i / 5) * H;
    const y = cols[key] ?? [];
    const lo = Math.min(...y, Infinity);
    const hi = Math.max(...y, -Infinity);
    const span = hi - lo || 1;
    const x0 = Math.min(...x);
    const xs = Math.max(...x) - x0 || 1;
    const px = (v: number) => ox + 30 + ((v - x0) / xs) * (W - 45);
    const py = (v: number) => oy + H - 30 - ((v - lo) / span) * (H - 60);
    const pts = y.map((v, j) => `${px(x[j]!).toFixed(1)},${py(v).toFixed(1)}`).join(' ');
    parts.push(
      `<rect x="${ox + 30}" y="${oy + 30}" width="${W - 45}" height="${H - 60}" fill="none" stroke="#ccc"/>`,
      `<text x="${ox + W / 2}" y="${oy + 20}" font-size="12" text-anchor="middle" font-family="sans-serif">${key}</text>`,
      `<text x="${ox + 28}" y="${oy + 34}" font-size="9" text-anchor="end" font-family="sans-serif">${y.length ? g5(hi) : ''}</text>`,
      `<text x="${ox + 28}" y="${oy + H - 30}" font-size="9" text-anchor="end" font-family="sans-serif">${y.length ? g5(lo) : ''}</text>`,
      y.length > 1 ? `<polyline points="${pts}" fill="none" stroke="#1f77b4" stroke-width="2"/>` : '',
      ...y.map((v, j) => `<circle cx="${px(x[j]!).toFixed(1)}" cy="${py(v).toFixed(1)}" r="2.5" fill="#1f77b4"/>`),
    );
  });
  return `<svg xmlns="http://www.w3.org/2000/svg" width="${5 * W}" height="${2 * H}"><rect width="100%" height="100%" fill="white"/>${parts.join('')}</svg>`;
}

/** Renders results.csv to results.png (SVG through sharp). */
export async function plotResults(csv: string, png: string): Promise<void> {
  await sharp(Buffer.from(resultsSvg(readResults(csv)))).png().toFile(png);
}
