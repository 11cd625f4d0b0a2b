import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { initBackend } from '@yolomods/core';
import { YOLO, runCli } from '../src/index';
import { fixture } from './helpers';

const COCO = fixture('real/yolov8n-coco-fp16.safetensors');
const COCO8 = fixture('real/coco8/data.yaml');
const INT8 = fixture('real/yolov8n-ultralytics-int8-dynamic.onnx');
const PICTURES = ['bus.jpg', 'zidane.jpg', 'dog.jpg'].map((f) => fixture(`images/${f}`));

describe('predict and val from an .onnx file alone', () => {
  let tfjs: YOLO;
  let onnx: YOLO;
  beforeAll(async () => {
    await initBackend({ backend: 'wasm', log: false });
    tfjs = await YOLO.create({ model: 'yolov8n.yaml', weights: COCO });
    const file = join(mkdtempSync(join(tmpdir(), 'yolomods-onnx-')), 'yolov8n-coco.onnx');
    tfjs.export({ format: 'onnx', imgsz: 640, file });
    onnx = await YOLO.create({ model: file });
  });
  afterAll(() => {
    tfjs.dispose();
    onnx.dispose();
  });

  it('a yolomods export predicts what the TF.js model predicts (static graph: square letterbox)', async () => {
    expect(onnx.names).toEqual(tfjs.names);
    expect(() => onnx.model).toThrow(/yolov8n-coco\.onnx: an \.onnx file holds no TF\.js model/);
    const want = await tfjs.predict(PICTURES, { rect: false, keepImage: false });
    const got = await onnx.predict(PICTURES, { keepImage: false });
    got.forEach((r, k) => {
      const w = want[k]!;
      expect(r.inputShape).toEqual([640, 640]);
      expect(r.boxes.cls).toEqual(w.boxes.cls);
      r.boxes.conf.forEach((c, i) => expect(Math.abs(c - w.boxes.conf[i]!)).toBeLessThan(1e-3));
      r.boxes.xyxy.forEach((b, i) => b.forEach((v, j) => expect(Math.abs(v - w.boxes.xyxy[i]![j]!)).toBeLessThan(0.5)));
    });
  });

  it('validates coco8 to the TF.js model mAP (square letterbox, as ultralytics does for static graphs)', async () => {
    const a = await tfjs.val({ data: COCO8, verbose: false, rect: false });
    const b = await onnx.val({ data: COCO8, verbose: false });
    expect(b.images).toBe(4);
    expect(Math.abs(b.results['metrics/mAP50-95(B)']! - a.results['metrics/mAP50-95(B)']!)).toBeLessThan(2e-3);
    expect(b.results['metrics/mAP50-95(B)']).toBeGreaterThan(0.5);
  });

  it('the CLI predicts bus.jpg with ultralytics\' int8 file as a person and bus detector, names from data=', async () => {
    const lines: string[] = [];
    const io = { out: (l: string) => lines.push(l), err: (l: string) => lines.push(l) };
    const code = await runCli(['predict', `model=${INT8}`, `source=${fixture('images/bus.jpg')}`, `data=${COCO8}`, 'save=false'], io);
    expect(code, lines.join('\n')).toBe(0);
    const line = lines.find((l) => l.startsWith('image 1/1'))!;
    expect(line).toMatch(/: 640x640 \d+ persons?, 1 bus/);
    expect(lines.join('\n')).toMatch(/Speed: [\d.]+ms preprocess, [\d.]+ms inference, [\d.]+ms postprocess per image at shape \(1, 3, 640, 640\)/);
  });

  it('val from an .onnx file whose classes do not fit the dataset names the file', async () => {
    const io = { out: () => {}, err: (l: string) => lines.push(l) };
    const lines: string[] = [];
    const yaml = join(mkdtempSync(join(tmpdir(), 'yolomods-data-')), 'two.yaml');
    const { writeFileSync } = await import('node:fs');
    writeFileSync(yaml, `path: ${fixture('real/coco8')}\ntrain: images/train\nval: images/val\nnames:\n  0: a\n  1: b\n`);
    expect(await runCli(['val', `model=${INT8}`, `data=${yaml}`], io)).toBe(1);
    expect(lines.join('\n')).toMatch(/int8-dynamic\.onnx: 2 class names given but the output has 80 classes/);
  });
});
