import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { assertClose, readCase, type HostTensor } from '@yolomods/core';
import { DetectionMetrics, apPerClass, metricsFrom, processBatch } from '../src/metrics';
import { fixture } from './helpers';

const host = (data: ArrayLike<number>, shape: number[]): HostTensor => ({ dtype: 'float32', shape, data: Float32Array.from(data) });

describe('mAP parity with ultralytics (map_3images)', () => {
  const c = readCase(fixture('post/map_3images.safetensors'));
  const t = c.tensors;
  const tol = c.meta.tolerance;
  const iouv = Array.from(t.iouv!.data);

  it('matches tp per image, per-class P/R/AP, mean results, maps and fitness', () => {
    const tps: Uint8Array[] = [];
    const conf: number[] = [];
    const cls: number[] = [];
    const target: number[] = [];
    for (let k = 0; k < 3; k++) {
      const pred = t[`pred.${k}`]!.data;
      const tp = processBatch(pred, t[`gt_boxes.${k}`]!.data, t[`gt_cls.${k}`]!.data, iouv);
      expect(Array.from(tp), `tp.${k}`).toEqual(Array.from(t[`tp.${k}`]!.data));
      tps.push(tp);
      for (let i = 0; i < pred.length / 6; i++) conf.push(pred[6 * i + 4]!), cls.push(pred[6 * i + 5]!);
      target.push(...Array.from(t[`gt_cls.${k}`]!.data));
    }
    const tp = new Uint8Array(tps.flatMap((a) => Array.from(a)));
    const m = metricsFrom(tp, 10, conf, cls, target, 4);
    const pc = m.perClass;
    expect(pc.apClassIndex).toEqual(Array.from(t.ap_class_index!.data));
    const n = pc.apClassIndex.length;
    assertClose(host(pc.p, [n]), t.p!, tol, 'p');
    assertClose(host(pc.r, [n]), t.r!, tol, 'r');
    assertClose(host(pc.ap.map((a) => a[0]!), [n]), t.ap50!, tol, 'ap50');
    assertClose(host(pc.ap.map((a) => a.reduce((s, v) => s + v, 0) / 10), [n]), t.ap50_95!, tol, 'ap50_95');
    assertClose(host(pc.ap.flatMap((a) => Array.from(a)), [n, 10]), t.all_ap!, tol, 'all_ap');
    assertClose(host(m.meanResults, [4]), t.mean_results!, tol, 'mean_results');
    assertClose(host(m.maps, [4]), t.maps!, tol, 'maps');
    assertClose(host([m.fitness], [1]), t.fitness!, tol, 'fitness');
  });
});

const boxArb = fc
  .record({ x: fc.integer({ min: 0, max: 500 }), y: fc.integer({ min: 0, max: 500 }), w: fc.integer({ min: 5, max: 100 }), h: fc.integer({ min: 5, max: 100 }), c: fc.integer({ min: 0, max: 2 }) })
  .map(({ x, y, w, h, c }) => ({ box: [x, y, x + w, y + h], c }));
const imagesArb = fc.array(fc.array(boxArb, { minLength: 1, maxLength: 6 }), { minLength: 1, maxLength: 4 });

function run(images: { box: number[]; c: number }[][], preds: (img: { box: number[]; c: number }[], k: number) => number[]): number[] {
  const m = new DetectionMetrics(3);
  images.forEach((img, k) => m.update(preds(img, k), img.flatMap((o) => o.box), img.map((o) => o.c)));
  return m.compute().meanResults;
}

describe('mAP properties', () => {
  it('perfect predictions give P = R = 1 and mAP50 = mAP50-95 = 0.995 (the 101-point ceiling ultralytics reports)', () => {
    fc.assert(
      fc.property(imagesArb, (images) => {
        const r = run(images, (img) => img.flatMap((o, i) => [...o.box, 0.9 - 0.01 * i, o.c]));
        [1, 1, 0.995, 0.995].forEach((v, i) => expect(r[i]).toBeCloseTo(v, 6));
      }),
      { numRuns: 40 },
    );
  });

  it('is invariant to the order of predictions within an image', () => {
    fc.assert(
      fc.property(imagesArb, fc.integer(), (images, seed) => {
        const pred = (img: { box: number[]; c: number }[], k: number) =>
          img.map((o, i) => [o.box[0]! + ((i * 7 + k) % 9), o.box[1]!, o.box[2]!, o.box[3]! - ((i * 3) % 5), 0.3 + ((i * 37 + k * 11) % 60) / 100, (o.c + (i % 4 === 3 ? 1 : 0)) % 3]);
        const a = run(images, (img, k) => pred(img, k).flat());
        const b = run(images, (img, k) => {
          const rows = pred(img, k);
          const shuffled = rows.map((r, i) => [r, ((i + 1) * (seed | 1)) >>> 0] as const).sort((x, y) => x[1] - y[1] || 0).map(([r]) => r);
          return shuffled.flat();
        });
        a.forEach((v, i) => expect(v).toBeCloseTo(b[i]!, 9));
      }),
      { numRuns: 40 },
    );
  });

  it('predictions that miss everything give mAP 0, and AP never exceeds 1', () => {
    fc.assert(
      fc.property(imagesArb, (images) => {
        const r = run(images, (img) => img.flatMap((o) => [o.box[0]! + 1000, o.box[1]!, o.box[2]! + 1000, o.box[3]!, 0.5, o.c]));
        expect(r[2]).toBe(0);
        const m = apPerClass(new Uint8Array([1, 0, 1, 1]), 1, [0.9, 0.8, 0.7, 0.6], [0, 0, 1, 1], [0, 1, 1]);
        m.ap.forEach((a) => expect(a[0]).toBeLessThanOrEqual(1));
      }),
      { numRuns: 20 },
    );
  });
});
