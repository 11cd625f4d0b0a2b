import { OnnxBuilder, type OnnxValue } from './builder';
import type { DetectionModel } from '../model';
import { providerOf } from '../registry';
import { formatNamesLiteral } from './metadata';

/** Options of {@link exportOnnx}. */
export interface OnnxExportOptions {
  /** Input size: square or `[h, w]`, multiples of the largest stride (default 640). */
  imgsz?: number | [number, number];
  /** Batch size baked into the graph (default 1). */
  batch?: number;
  /** Dynamic batch dimension (default false). */
  dynamic?: boolean;
  /** ONNX opset (default 17; ≥ 16 for GridSample blocks). */
  opset?: number;
}

/**
 * Writes a model as ONNX in eval semantics (BatchNorm folded): input `images` `[B, ch, H, W]`
 * (RGB, 0–1), output `output0` `[B, 4 + nc, A]` as ultralytics exports it.
 */
export function exportOnnx(model: DetectionModel, opts: OnnxExportOptions = {}): Uint8Array {
  const [h, w] = typeof opts.imgsz === 'number' || opts.imgsz === undefined ? [opts.imgsz ?? 640, opts.imgsz ?? 640] : opts.imgsz;
  const maxStride = Math.max(...model.stride);
  if (h % maxStride || w % maxStride) throw new Error(`exportOnnx: imgsz ${h}x${w} must be a multiple of the max stride ${maxStride}`);
  const g = new OnnxBuilder(opts.opset ?? 17, opts.dynamic ?? false);
  let cur: unknown = g.input('images', [opts.batch ?? 1, model.ch, h, w]);
  const outputs: unknown[] = [];
  const pick = (j: number) => outputs[j < 0 ? outputs.length + j : j];
  model.layers.forEach((info, i) => {
    const f = info.from;
    if (f !== -1) cur = Array.isArray(f) ? f.map((j) => (j === -1 ? cur : pick(j))) : pick(f);
    const m = model.model.items[i]!;
    if (!m.toOnnx) {
      const pkg = providerOf(info.type);
      throw new Error(`exportOnnx: layer ${i} (${info.type}) has no ONNX export${pkg ? ` (update ${pkg})` : ': give the block a toOnnx method'}`);
    }
    g.scope = `model.${i}`;
    try {
      cur = m.toOnnx(g, cur);
    } catch (e) {
      throw new Error(`exportOnnx: layer ${i} (${info.type}): ${(e as Error).message}`);
    }
    outputs.push(model.save.has(i) ? cur : null);
  });
  g.scope = '';
  g.output(cur as OnnxValue, 'output0');
  // The keys and value formats ultralytics' exporter writes, so its AutoBackend reads our files.
  return g.encode({
    description: 'yolomods YOLOv8 detection model',
    author: 'yolomods',
    date: new Date().toISOString(),
    version: '0.1.0',
    license: 'MIT (yolomods code; the weights keep their own licence)',
    docs: 'https://www.npmjs.com/package/@yolomods/yolov8',
    stride: String(Math.max(...model.stride)),
    task: 'detect',
    batch: String(opts.batch ?? 1),
    imgsz: `[${h}, ${w}]`,
    names: formatNamesLiteral(model.names),
    yaml: JSON.stringify(model.yaml),
  });
}
