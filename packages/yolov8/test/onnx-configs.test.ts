import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import * as ort from 'onnxruntime-node';
import { initBackend, manualSeed, tf } from '@yolomods/core';
import { YOLO } from '../src/index';
import { fixture } from './helpers';

// Every bundled config at scale n: the ONNX file runs in onnxruntime and gives TF.js's decoded output, and
// predicting from the file alone (YOLO.create({ model: 'x.onnx' })) gives TF.js's predictions, and validating
// coco8 from the file alone gives TF.js's metrics.
const CONFIGS = ['yolov8n.yaml', 'yolov8n-DySample.yaml', 'yolov8n-AKConv.yaml', 'yolov8n-DynamicConv.yaml', 'yolov8n-C2f-DynamicConv.yaml', 'yolov8n-ASFF.yaml', 'yolov8n-DAttention.yaml'];

describe('ONNX export of the bundled configs at scale n (wasm vs onnxruntime)', () => {
  const dir = mkdtempSync(join(tmpdir(), 'yolomods-onnx-'));
  beforeAll(async () => {
    await initBackend({ backend: 'wasm', log: false });
  });

  for (const name of CONFIGS) {
    it(name, async () => {
      manualSeed(1);
      const yolo = await YOLO.create({ model: name, nc: 3 });
      const session = await ort.InferenceSession.create(yolo.export({ format: 'onnx', imgsz: [64, 96] }));
      const x = tf.randomUniform([1, 64, 96, 3], 0, 1, 'float32', 3) as tf.Tensor4D;
      const nchw = tf.tidy(() => tf.transpose(x, [0, 3, 1, 2]));
      const { output0 } = await session.run({ images: new ort.Tensor('float32', nchw.dataSync() as Float32Array, [1, 3, 64, 96]) });
      const out = yolo.model.forward(x);
      const want = tf.tidy(() => tf.transpose(out.y!, [0, 2, 1]));
      expect(output0!.dims).toEqual(want.shape);
      const got = output0!.data as Float32Array;
      const w = want.dataSync();
      let worst = 0;
      for (let i = 0; i < w.length; i++) worst = Math.max(worst, Math.abs(got[i]! - w[i]!) / (1 + Math.abs(w[i]!)));
      expect(worst).toBeLessThan(2e-3);
      tf.dispose([x, nchw, out.y!, ...out.feats, want]);
      await session.release();
      // the file alone predicts what the TF.js model predicts: the 20 best scores (no suppression)
      const file = join(dir, name.replace('.yaml', '.onnx'));
      yolo.export({ format: 'onnx', imgsz: [64, 96], file });
      const fromFile = await YOLO.create({ model: file });
      const picture = tf.randomUniform([64, 96, 3], 0, 1, 'float32', 5);
      const opts = { conf: 0, iou: 1, maxDet: 20, imgsz: 96, keepImage: false };
      const [a] = await yolo.predict(picture, opts);
      const [b] = await fromFile.predict(picture, opts);
      expect(b!.inputShape).toEqual([64, 96]);
      expect(b!.names).toEqual(yolo.names);
      expect(b!.boxes.conf).toHaveLength(20);
      // relative: untrained scores are small, so an absolute tolerance would let an all-zero output pass
      b!.boxes.conf.forEach((c, i) => {
        expect(a!.boxes.conf[i]).toBeGreaterThan(0);
        expect(Math.abs(c - a!.boxes.conf[i]!)).toBeLessThan(0.05 * a!.boxes.conf[i]!);
      });
      picture.dispose();
      fromFile.dispose();
      yolo.dispose();
    });
  }

  // Untrained, so at the default conf=0.001 nothing is detected and every mAP is 0 either way: conf=0 keeps
  // the best 300 boxes per image, some of which hit coco8's boxes, so the metrics are not zero and must agree.
  for (const name of CONFIGS) {
    it(`${name} validates coco8 from the .onnx file alone to the TF.js metrics`, async () => {
      manualSeed(1);
      const yolo = await YOLO.create({ model: name, nc: 80 });
      const file = join(dir, name.replace('.yaml', '-80.onnx'));
      yolo.export({ format: 'onnx', imgsz: 96, file });
      const fromFile = await YOLO.create({ model: file });
      const opts = { data: fixture('real/coco8/data.yaml'), imgsz: 96, conf: 0, verbose: false };
      const a = await yolo.val({ ...opts, rect: false }); // a static graph validates square letterboxes
      const b = await fromFile.val(opts);
      expect(b.images).toBe(4);
      expect(a.results['metrics/mAP50(B)']).toBeGreaterThan(0);
      expect(a.results['metrics/recall(B)']).toBeGreaterThan(0);
      // not precision: ultralytics reports it at the max-F1 confidence, which near-equal untrained scores move
      for (const k of ['metrics/recall(B)', 'metrics/mAP50(B)', 'metrics/mAP50-95(B)', 'fitness'] as const) expect(Math.abs(b.results[k]! - a.results[k]!), k).toBeLessThan(2e-3);
      expect(b.metrics.perClass.apClassIndex).toEqual(a.metrics.perClass.apClassIndex);
      b.metrics.maps.forEach((m, c) => expect(Math.abs(m - a.metrics.maps[c]!)).toBeLessThan(2e-3));
      fromFile.dispose();
      yolo.dispose();
    });
  }
});
