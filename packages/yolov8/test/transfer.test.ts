import { readFileSync } from 'node:fs';
import { beforeAll, describe, expect, it } from 'vitest';
import { initBackend, tf } from '@yolomods/core';
import { YOLO, alignLayers, layerRows, readWeights, transferWeights, type LoadedWeights } from '../src/index';
import { fixture } from './helpers';

const COCO = fixture('real/yolov8n-coco-fp16.safetensors');

// What a YOLOv8n COCO checkpoint gives each bundled config (nc=80): every layer the mechanism leaves unchanged
// transfers in full (the 355 items of yolov8n, BatchNorm num_batches_tracked counted as ultralytics does);
// only the new or replaced blocks stay at their initialisation.
const EXPECTED: Record<string, { n: number; m: number; byIndex: number; left: [number, string, number, number][] }> = {
  'yolov8n.yaml': { n: 355, m: 355, byIndex: 355, left: [] },
  'yolov8n-DySample.yaml': { n: 355, m: 361, byIndex: 355, left: [[10, 'DySample', 0, 3], [13, 'DySample', 0, 3]] },
  'yolov8n-AKConv.yaml': { n: 319, m: 367, byIndex: 319, left: [1, 3, 5, 7, 16, 19].map((i) => [i, 'AKConv', 0, 8]) },
  'yolov8n-DynamicConv.yaml': { n: 319, m: 337, byIndex: 319, left: [1, 3, 5, 7, 16, 19].map((i) => [i, 'DynamicConv', 0, 3]) },
  // C2f_DynamicConv keeps C2f's cv1/cv2 (12 items) and replaces the bottleneck convs.
  'yolov8n-C2f-DynamicConv.yaml': { n: 235, m: 395, byIndex: 235, left: [[2, 28], [4, 44], [6, 44], [8, 28], [12, 28], [15, 28], [18, 28], [21, 28]].map(([i, t]) => [i!, 'C2f_DynamicConv', 12, t!]) },
  // Detect_ASFF keeps Detect's cv2/cv3/dfl (all 85 of them) and adds the ASFF fusion.
  'yolov8n-ASFF.yaml': { n: 355, m: 481, byIndex: 355, left: [[22, 'Detect_ASFF', 85, 211]] },
  // DAttention inserted as layer 10 shifts the neck and head: by index only the backbone fits (162), aligned all 355.
  'yolov8n-DAttention.yaml': { n: 355, m: 370, byIndex: 162, left: [[10, 'DAttention', 0, 15]] },
};

describe('transferWeights: COCO YOLOv8n into every bundled config', () => {
  let coco: LoadedWeights;
  beforeAll(async () => {
    await initBackend({ backend: 'cpu', log: false });
    coco = readWeights(COCO);
  });

  for (const [cfg, want] of Object.entries(EXPECTED)) {
    it(`${cfg}: Transferred ${want.n}/${want.m} (by index ${want.byIndex})`, async () => {
      const y = await YOLO.create({ model: cfg });
      try {
        const before = tf.memory().numTensors;
        const r = transferWeights(y.model, coco);
        expect(tf.memory().numTensors).toBe(before);
        expect([r.transferred, r.total, r.byIndex, r.aligned]).toEqual([want.n, want.m, want.byIndex, true]);
        expect(r.untransferred.map((u) => [u.index, u.module, u.copied, u.total])).toEqual(want.left);
        expect(r.lines[0]).toBe(`Transferred ${want.n}/${want.m} items from ${COCO}`);
        // The values arrive: each copied key holds its source tensor (remapped keys from the shifted index).
        const sd = y.model.stateDict();
        for (const [t, s] of r.layerMap) {
          for (const k of r.keys.filter((x) => x.startsWith(`model.${t}.`) && !x.endsWith('num_batches_tracked')).slice(0, 2)) {
            const src = coco.stateDict[`model.${s}.${k.slice(`model.${t}.`.length)}`]!;
            expect(Array.from(sd[k]!.data.slice(0, 16)), k).toEqual(Array.from(src.data.slice(0, 16)));
          }
        }
      } finally {
        y.dispose();
      }
    });
  }

  it('DAttention: the neck and head are remapped model.<i>. → model.<i+1>.; without a source YAML, keys match by index only', async () => {
    const y = await YOLO.create({ model: 'yolov8n-DAttention.yaml' });
    try {
      const r = transferWeights(y.model, coco);
      expect([...r.layerMap].filter(([t, s]) => t !== s).sort((a, b) => a[0] - b[0])).toEqual(Array.from({ length: 13 }, (_, i) => [i + 11, i + 10]));
      expect(r.lines[1]).toContain('moved: 10-22 -> 11-23');
      const plain = transferWeights(y.model, { ...coco, yaml: undefined });
      expect([plain.transferred, plain.aligned]).toEqual([162, false]);
      // Every shifted layer with tensors is lost by index (Upsample and Concat hold none).
      expect(plain.untransferred.map((u) => u.index)).toEqual([10, 13, 16, 17, 19, 20, 22, 23]);
    } finally {
      y.dispose();
    }
  });

  it('another nc: the head’s class convs are skipped by shape, as ultralytics (319/355 for nc=1)', async () => {
    const y = await YOLO.create({ model: 'yolov8n.yaml', nc: 1 });
    try {
      const lines: string[] = [];
      const r = await y.load(COCO, { log: (l) => lines.push(l) });
      expect([r.transferred, r.total]).toEqual([319, 355]);
      expect(r.untransferred).toEqual([{ index: 22, module: 'Detect', copied: 49, total: 85 }]);
      expect(lines[0]).toBe(`Transferred 319/355 items from ${COCO}`);
      expect(r.keys.filter((k) => k.startsWith('model.22.cv3.') && !k.endsWith('num_batches_tracked'))).toEqual([]);
    } finally {
      y.dispose();
    }
  });

  it('an ultralytics .pt (its pickled YAML) into a DAttention variant with another nc', async () => {
    const pt = fixture('checkpoints/yolov8t-nc5-ultralytics.pt');
    const y = await YOLO.create({ model: 'yolov8t-DAttention.yaml', nc: 2 });
    try {
      const r = await y.load(readFileSync(pt), { log: () => {} });
      const src = readWeights(pt);
      expect(src.nc).toBe(5);
      expect(r.aligned).toBe(true);
      // At scale t the class-conv width stays 32 for nc 5 and 2, so only the 6 final class convs (weight, bias × 3) differ.
      expect([r.transferred, r.total, r.byIndex]).toEqual([349, 370, 162]);
      expect(r.untransferred.map((u) => [u.index, u.module])).toEqual([[10, 'DAttention'], [23, 'Detect']]);
    } finally {
      y.dispose();
    }
  });
});

describe('alignLayers', () => {
  const cfg = (rows: unknown[][]) => layerRows({ backbone: rows.slice(0, 2), head: rows.slice(2) });
  const base = [[-1, 1, 'Conv', [16, 3, 2]], [-1, 1, 'Conv', [32, 3, 2]], [-1, 1, 'nn.Upsample', ['None', 2, 'nearest']], [[-1, 0], 1, 'Concat', [1]], [-1, 1, 'Conv', [8, 1, 1]]];

  it('a block inserted, one removed and one replaced: matched by module, args and inputs', () => {
    const inserted = [base[0]!, base[1]!, [-1, 1, 'DAttention', []], ...base.slice(2)];
    expect([...alignLayers(cfg(base), cfg(inserted))].sort((a, b) => a[0] - b[0])).toEqual([[0, 0], [1, 1], [3, 2], [4, 3], [5, 4]]);
    expect([...alignLayers(cfg(inserted), cfg(base))].sort((a, b) => a[0] - b[0])).toEqual([[0, 0], [1, 1], [2, 3], [3, 4], [4, 5]]);
    const replaced = [base[0]!, base[1]!, [-1, 1, 'DySample', [2, 'lp']], ...base.slice(3)];
    expect([...alignLayers(cfg(base), cfg(replaced))].sort((a, b) => a[0] - b[0])).toEqual([[0, 0], [1, 1], [2, 2], [3, 3], [4, 4]]);
  });
});
