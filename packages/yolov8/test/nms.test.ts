import fc from 'fast-check';
import { beforeAll, describe, expect, it } from 'vitest';
import { fileURLToPath } from 'node:url';
import { initBackend, readCase, tf } from '@yolomods/core';
import { nmsOnArray, nonMaxSuppression } from '../src/nms';

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

  it('reads [B, 4 + nc, A] (ONNX) as it reads [B, A, 4 + nc], ties going to the first class', () => {
    const toBac = (bca: Float32Array, b: number, w: number, a: number) => {
      const out = new Float32Array(bca.length);
      for (let i = 0; i < b; i++) for (let j = 0; j < a; j++) for (let k = 0; k < w; k++) out[(i * a + j) * w + k] = bca[(i * w + k) * a + j]!;
      return out;
    };
    // the real case, and random ones with many equal scores
    const input = c.tensors.input!;
    const [b0, w0, a0] = input.shape as [number, number, number];
    for (const agnostic of [false, true]) {
      const bca = nmsOnArray(Float32Array.from(input.data), [b0, w0, a0], 'bca', { agnostic });
      expect(bca.every((d) => d.count > 0)).toBe(true);
      expect(bca).toEqual(nmsOnArray(toBac(Float32Array.from(input.data), b0, w0, a0), [b0, a0, w0], 'bac', { agnostic }));
    }
    const scores = fc.constantFrom(0, 0.1, 0.3, 0.3, 0.6, 0.6, 0.9);
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 2 }), fc.integer({ min: 1, max: 6 }), fc.integer({ min: 1, max: 40 }), fc.nat(), (b, nc, a, seed) => {
        const w = 4 + nc;
        const data = new Float32Array(b * w * a);
        const s = fc.sample(scores, { seed, numRuns: data.length });
        for (let i = 0; i < b; i++)
          for (let k = 0; k < w; k++)
            for (let j = 0; j < a; j++) data[(i * w + k) * a + j] = k < 4 ? [10 + 7 * j, 10 + 5 * j, 12, 9][k]! : s[(i * w + k) * a + j]!;
        const opts = { conf: 0.2, classes: nc > 2 ? [0, 2] : undefined };
        expect(nmsOnArray(data, [b, w, a], 'bca', opts)).toEqual(nmsOnArray(toBac(data, b, w, a), [b, a, w], 'bac', opts));
      }),
      { numRuns: 200 },
    );
    const tie = Float32Array.from([5, 5, 4, 4, 0.5, 0.9, 0.9]); // one anchor: classes 1 and 2 tie
    expect(Array.from(nmsOnArray(tie, [1, 7, 1], 'bca')[0]!.cls)).toEqual([1]);
    expect(Array.from(nmsOnArray(tie, [1, 1, 7], 'bac')[0]!.cls)).toEqual([1]);
  });
});
