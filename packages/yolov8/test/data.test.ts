import { copyFileSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BatchPrefetcher, DEFAULT_AUGMENT, YoloDataset, epochOrder, generateSynthetic, loadDataset, trainBatch, valBatch, valPlan, type AugmentHyp } from '../src/data/index';

describe('datasets', () => {
  let dir: string;
  let yamlFile: string;
  beforeAll(async () => {
    dir = mkdtempSync(path.join(tmpdir(), 'yolomods-data-'));
    yamlFile = await generateSynthetic({ dir, train: 8, val: 2, imgsz: 64, classes: 3, seed: 1 });
    const im = (n: string) => path.join(dir, 'images', 'train', n);
    const lb = (n: string) => path.join(dir, 'labels', 'train', n);
    writeFileSync(im('bad_image.png'), Buffer.from('not a png at all'));
    writeFileSync(lb('bad_image.txt'), '0 0.5 0.5 0.2 0.2\n');
    for (const [name, label] of [
      ['bad_class', '7 0.5 0.5 0.2 0.2\n'],
      ['bad_box', '0 1.3 0.5 0.2 0.2\n'],
      ['bad_line', '0 0.5 0.5 0.2\n'],
    ]) {
      copyFileSync(im('train_00000.png'), im(`${name}.png`));
      writeFileSync(lb(`${name}.txt`), label!);
    }
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('generateSynthetic into a folder it filled before replaces that set: no stale pictures join, other files stay', async () => {
    const d = mkdtempSync(path.join(tmpdir(), 'yolomods-regen-'));
    try {
      await generateSynthetic({ dir: d, train: 5, val: 3, imgsz: 32, classes: 2, seed: 1 });
      writeFileSync(path.join(d, 'images', 'train', 'mine.png'), 'user file');
      await generateSynthetic({ dir: d, train: 3, val: 1, imgsz: 32, classes: 2, seed: 2 });
      const list = (kind: string, split: string) => readdirSync(path.join(d, kind, split)).sort();
      expect(list('images', 'train')).toEqual(['mine.png', 'train_00000.png', 'train_00001.png', 'train_00002.png']);
      expect(list('labels', 'train')).toEqual(['train_00000.txt', 'train_00001.txt', 'train_00002.txt']);
      expect(list('images', 'val')).toEqual(['val_00000.png']);
      expect(list('labels', 'val')).toEqual(['val_00000.txt']);
    } finally {
      rmSync(d, { recursive: true, force: true });
    }
  });

  it('reports each corrupt image/label once in ultralytics words, skips it, and caches the check', async () => {
    const info = loadDataset(yamlFile);
    expect(info.names).toEqual(['rectangle', 'ellipse', 'triangle']);
    expect(info.train).toHaveLength(12);
    const logs: string[] = [];
    const ds = await YoloDataset.load(info.train, info.nc, 64, { log: (m) => logs.push(m) });
    expect(ds.length).toBe(8);
    expect(ds.check.fromCache).toBe(false);
    expect(ds.check.counts.corrupt).toBe(4);
    const w = (n: string) => logs.find((l) => l.includes(`${n}.png`)) ?? '';
    expect(w('bad_image')).toMatch(/^WARNING ⚠️ .*bad_image\.png: ignoring corrupt image\/label: cannot decode image/);
    expect(w('bad_class')).toMatch(/ignoring corrupt image\/label: Label class 7 exceeds dataset class count 3/);
    expect(w('bad_box')).toMatch(/ignoring corrupt image\/label: non-normalized or out of bounds coordinates \[1\.3\]/);
    expect(w('bad_line')).toMatch(/ignoring corrupt image\/label: labels require 5 columns, 4 columns detected/);
    const again = await YoloDataset.load(info.train, info.nc, 64, { log: () => {} });
    expect(again.check.fromCache).toBe(true);
    expect(again.labels).toEqual(ds.labels);
  });

  it('builds the same augmented batch for the same (seed, epoch, batch), with boxes inside the image', async () => {
    const info = loadDataset(yamlFile);
    const ds = await YoloDataset.load(info.train, info.nc, 64, { log: () => {} });
    const order = epochOrder(ds.length, 3, 0);
    expect(order).toEqual(epochOrder(ds.length, 3, 0));
    expect(order).not.toEqual(epochOrder(ds.length, 3, 1));
    const a = trainBatch(ds, order, 0, 4, DEFAULT_AUGMENT, 3, 0);
    const b = trainBatch(ds, order, 0, 4, DEFAULT_AUGMENT, 3, 0);
    expect(a.images).toEqual(b.images);
    expect(a.bboxes).toEqual(b.bboxes);
    expect(a.images.length).toBe(4 * 64 * 64 * 3);
    expect(a.cls.length).toBeGreaterThan(0);
    for (let k = 0; k < a.cls.length; k++) {
      const [cx, cy, w, h] = a.bboxes.slice(4 * k, 4 * k + 4);
      expect(cx! - w! / 2).toBeGreaterThanOrEqual(-1e-6);
      expect(cy! + h! / 2).toBeLessThanOrEqual(1 + 1e-6);
    }
    const c = trainBatch(ds, order, 0, 4, DEFAULT_AUGMENT, 4, 0);
    expect(c.images).not.toEqual(a.images);
    const v = valBatch(ds, valPlan(ds, { batch: 3 }), 0);
    expect(v.size).toBe(3);
  });
});

// The workers load this package's built CommonJS entry (turbo builds before tests).
describe('dataloader workers', () => {
  it('build exactly the batches trainBatch builds, report worker errors by batch, and end on close', async () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'yolomods-prefetch-'));
    try {
      const info = loadDataset(await generateSynthetic({ dir, train: 10, val: 1, imgsz: 64, classes: 3, seed: 4 }));
      const ds = await YoloDataset.load(info.train, info.nc, 64, { log: () => {} });
      const prefetch = new BatchPrefetcher(ds, 2);
      try {
        for (const epoch of [0, 1]) {
          const order = epochOrder(ds.length, 3, epoch);
          const hyp = { ...DEFAULT_AUGMENT, mosaic: epoch ? 0 : 1 };
          for (let k = 0; k < 3; k++) {
            const got = await prefetch.take(epoch, k, 3, { batch: 4, hyp, seed: 3 });
            const want = trainBatch(ds, order, k, 4, hyp, 3, epoch);
            expect(Buffer.from(got.images.buffer).equals(Buffer.from(want.images.buffer)), `epoch ${epoch} batch ${k} pixels`).toBe(true);
            expect({ ...got, images: null }).toEqual({ ...want, images: null });
          }
        }
        await expect(prefetch.take(2, 0, 1, { batch: 4, hyp: null as unknown as AugmentHyp, seed: 3 })).rejects.toThrow(/^dataloader worker: TypeError/);
      } finally {
        await prefetch.close();
      }
      await expect(prefetch.take(3, 0, 1, { batch: 4, hyp: DEFAULT_AUGMENT, seed: 3 })).rejects.toThrow('dataloader closed');
      // A worker that cannot load its module fails the request with the reason (the trainer then builds batches itself).
      const broken = new BatchPrefetcher(ds, 1, { entry: path.join(dir, 'no-such-module.cjs') });
      try {
        await expect(broken.take(0, 0, 1, { batch: 4, hyp: DEFAULT_AUGMENT, seed: 3 })).rejects.toThrow(/^dataloader worker failed: Cannot find module/);
      } finally {
        await broken.close();
      }
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
