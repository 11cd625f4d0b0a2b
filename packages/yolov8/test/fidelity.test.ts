import { readFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { initBackend, tf } from '@yolomods/core';
import { YOLO, type Results } from '../src/index';
import { fixture } from './helpers';

// Ultralytics' predict and val pipeline rebuilt in torch + cv2 (test/fixtures/ultralytics_ref.py) on the same
// COCO weights: our pipeline must give the same detections and the same coco8 mAP. Everything read here is in
// the repo's fixtures/; coco128 (22 MB, not copied) is compared by bench/pipeline.bench.mjs instead.
interface RefDet {
  cls: number;
  conf: number;
  xyxy: number[];
}
const REF = JSON.parse(readFileSync(new URL('./fixtures/ultralytics_ref.json', import.meta.url), 'utf8')) as {
  predict: Record<string, { orig_shape: [number, number]; input_shape: [number, number]; detections: RefDet[] }>;
  val: Record<string, { 'mAP50': number; 'mAP50-95': number }>;
};

const iou = (a: number[], b: number[]) => {
  const w = Math.max(0, Math.min(a[2]!, b[2]!) - Math.max(a[0]!, b[0]!));
  const h = Math.max(0, Math.min(a[3]!, b[3]!) - Math.max(a[1]!, b[1]!));
  const u = (a[2]! - a[0]!) * (a[3]! - a[1]!) + (b[2]! - b[0]!) * (b[3]! - b[1]!) - w * h;
  return (w * h) / u;
};

describe('fidelity with ultralytics on the COCO weights', () => {
  let yolo: YOLO;
  beforeAll(async () => {
    await initBackend({ backend: 'wasm', log: false });
    yolo = await YOLO.create({ model: 'yolov8n.yaml', weights: fixture('real/yolov8n-coco-fp16.safetensors') });
  });
  afterAll(() => yolo.dispose());

  it('predicts the six pictures as the reference does: same objects, confidence within 0.005, boxes within 1 px', async () => {
    const files = Object.keys(REF.predict);
    expect(files).toHaveLength(6);
    const results: Results[] = await yolo.predict(files.map((f) => fixture(`images/${f}`)), { keepImage: false });
    results.forEach((r, k) => {
      const ref = REF.predict[files[k]!]!;
      expect(r.inputShape, files[k]).toEqual(ref.input_shape);
      expect(r.origShape, files[k]).toEqual(ref.orig_shape);
      expect(r.boxes.cls.length, `${files[k]}: ${r.summary()}`).toBe(ref.detections.length);
      const used = new Set<number>();
      for (const d of ref.detections) {
        // the same object: same class, best-overlapping box not matched yet
        let best = -1;
        r.boxes.xyxy.forEach((b, j) => {
          if (!used.has(j) && r.boxes.cls[j] === d.cls && (best < 0 || iou(b, d.xyxy) > iou(r.boxes.xyxy[best]!, d.xyxy))) best = j;
        });
        expect(best, `${files[k]}: class ${d.cls} at ${d.xyxy.map(Math.round).join(',')}`).toBeGreaterThanOrEqual(0);
        used.add(best);
        expect(Math.abs(r.boxes.conf[best]! - d.conf), `${files[k]} conf`).toBeLessThan(0.005);
        r.boxes.xyxy[best]!.forEach((v, c) => expect(Math.abs(v - d.xyxy[c]!), `${files[k]} box`).toBeLessThan(1));
      }
    });
    expect(REF.predict['bus.jpg']!.detections.map((d) => d.cls).sort()).toEqual([0, 0, 0, 0, 5]);
  });

  it('validates coco8 to the reference mAP50 and mAP50-95 within 0.003', async () => {
    const before = tf.memory().numTensors;
    const res = await yolo.val({ data: fixture('real/coco8/data.yaml'), verbose: false });
    const ref = REF.val['coco8']!;
    expect(Math.abs(res.results['metrics/mAP50-95(B)']! - ref['mAP50-95'])).toBeLessThan(0.003);
    expect(Math.abs(res.results['metrics/mAP50(B)']! - ref['mAP50'])).toBeLessThan(0.003);
    expect(tf.memory().numTensors).toBe(before);
  });

  it('validates coco8 train (a second set of 4 pictures, one 512x672 batch) to the reference within 0.003', async () => {
    const res = await yolo.val({ data: fixture('real/coco8/data.yaml'), split: 'train', verbose: false });
    const ref = REF.val['coco8-train']!;
    expect(Math.abs(res.results['metrics/mAP50-95(B)']! - ref['mAP50-95'])).toBeLessThan(0.003);
    expect(Math.abs(res.results['metrics/mAP50(B)']! - ref['mAP50'])).toBeLessThan(0.003);
  });
});
