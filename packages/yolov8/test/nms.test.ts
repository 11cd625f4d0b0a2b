import { beforeAll, describe, expect, it } from 'vitest';
import { fileURLToPath } from 'node:url';
import { initBackend, readCase, tf } from '@yolomods/core';
import { nonMaxSuppression } from '../src/nms';

const c = readCase(fileURLToPath(new URL('../../../fixtures/post/nms_default_and_agnostic.safetensors', import.meta.url)));

describe('nonMaxSuppression', () => {
  beforeAll(async () => {
    await initBackend({ backend: 'cpu', log: false });
  });
  for (const variant of ['classaware', 'agnostic'] as const) {
    it(`matches ultralytics ${variant} NMS: same boxes, scores, classes, order`, () => {
      const y = tf.tidy(() => tf.transpose(tf.tensor(c.tensors.input!.data, c.tensors.input!.shape), [0, 2, 1])) as tf.Tensor3D;
      const dets = nonMaxSuppression(y, { conf: 0.25, iou: 0.7, maxDet: 300, agnostic: variant === 'agnostic' });
      y.dispose();
      dets.forEach((d, img) => {
        const want = c.tensors[`output.${variant}.${img}`]!;
        expect(d.count).toBe(want.shape[0]);
        for (let k = 0; k < d.count; k++) {
          const row = Array.from(want.data.slice(k * 6, k * 6 + 6));
          Array.from(d.xyxy.slice(k * 4, k * 4 + 4)).forEach((v, i) => expect(v).toBeCloseTo(row[i]!, 4));
          expect(d.conf[k]).toBeCloseTo(row[4]!, 5);
          expect(d.cls[k]).toBe(row[5]);
        }
      });
    });
  }

  it('respects classes and maxDet, and rejects thresholds outside [0, 1]', () => {
    const y = tf.tidy(() => tf.transpose(tf.tensor(c.tensors.input!.data, c.tensors.input!.shape), [0, 2, 1])) as tf.Tensor3D;
    const only1 = nonMaxSuppression(y, { classes: [1] });
    expect(only1.every((d) => Array.from(d.cls).every((k) => k === 1))).toBe(true);
    expect(nonMaxSuppression(y, { maxDet: 2 }).every((d) => d.count <= 2)).toBe(true);
    expect(() => nonMaxSuppression(y, { iou: 1.5 })).toThrow(/iou must be in \[0, 1\], got 1.5/);
    y.dispose();
  });
});
