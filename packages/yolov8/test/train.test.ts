import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { initBackend, manualSeed, parseModel } from '@yolomods/core';
import { generateSynthetic } from '../src/data/index';
import { loadCheckpoint, saveCheckpoint, train, type TrainOptions } from '../src/train/index';
import { config } from './helpers';

// Tiny but real: yolov8 at scale t, 64 px, a generated one-class dataset, wasm backend.
describe('training (wasm)', () => {
  let dir: string;
  let data: string;
  beforeAll(async () => {
    await initBackend({ backend: 'wasm', log: false });
    dir = mkdtempSync(path.join(tmpdir(), 'yolomods-train-'));
    data = await generateSynthetic({ dir, train: 48, val: 16, imgsz: 64, classes: 1, seed: 1, objects: [1, 2], size: [0.3, 0.6] });
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  const base = (): TrainOptions => ({ data, batch: 8, nbs: 8, imgsz: 64, mosaic: 0, warmup_epochs: 0, close_mosaic: 0, verbose: false, plots: false, log: () => {}, project: path.join(dir, 'runs') });
  const model = () => {
    manualSeed(0);
    return parseModel(config('yolov8.yaml'), { scale: 't', nc: 1 });
  };

  it('improves mAP50 from near 0 to clearly useful, writing the ultralytics run layout', async () => {
    const maps: number[] = [];
    // optimizer=auto picks AdamW(lr 0.002) for this short schedule; batch 4 gives the BN running stats enough steps.
    const r = await train(model(), { ...base(), batch: 4, nbs: 4, epochs: 18, plots: true, name: 'learn', onFitEpochEnd: (c) => { maps.push(c.metrics!.metrics.meanResults[2]); if (process.env.DEBUG_TRAIN) console.log(c.epoch, maps.at(-1)); } });
    expect(maps[0]).toBeLessThan(0.1);
    expect(Math.max(...maps)).toBeGreaterThan(0.5);
    for (const f of ['args.yaml', 'results.csv', 'results.png', 'weights/last.safetensors', 'weights/best.safetensors']) expect(existsSync(path.join(r.saveDir, f)), f).toBe(true);
    const csv = readFileSync(path.join(r.saveDir, 'results.csv'), 'utf8').split('\n');
    expect(csv[0]!.split(',').map((s) => s.trim())).toEqual(['epoch', 'train/box_loss', 'train/cls_loss', 'train/dfl_loss', 'metrics/precision(B)', 'metrics/recall(B)', 'metrics/mAP50(B)', 'metrics/mAP50-95(B)', 'val/box_loss', 'val/cls_loss', 'val/dfl_loss', 'lr/pg0', 'lr/pg1', 'lr/pg2']);
  }, 600_000);

  it('resume after a kill mid-epoch reaches the same weights as an uninterrupted run', async () => {
    const opts = { ...base(), epochs: 2, val: false, fraction: 0.5 };
    const full = await train(model(), { ...opts, name: 'full' });
    const killed = train(model(), {
      ...opts,
      name: 'killed',
      onTrainBatchEnd: (c) => {
        if (c.epoch === 1 && c.batch === 1) throw new Error('simulated kill');
      },
    });
    await expect(killed).rejects.toThrow('simulated kill');
    const last = path.join(dir, 'runs', 'killed', 'weights', 'last.safetensors');
    expect(loadCheckpoint(last).meta.epoch).toBe(0);
    const resumed = await train(null, { resume: last, log: () => {} });
    const a = loadCheckpoint(full.last).tensors;
    const b = loadCheckpoint(resumed.last).tensors;
    expect(Object.keys(b).sort()).toEqual(Object.keys(a).sort());
    for (const k of Object.keys(a)) expect(Array.from(b[k]!.data), k).toEqual(Array.from(a[k]!.data));
  }, 600_000);

  it('a write interrupted before its rename leaves the previous checkpoint loadable', () => {
    const file = path.join(dir, 'ck.safetensors');
    const meta = { epoch: 0, best_fitness: null, updates: 0, optimizer: null, train_args: {}, rng: { seed: 0 }, model: { yaml: {}, names: [] }, date: '', version: '' };
    saveCheckpoint(file, { w: { dtype: 'float32', shape: [2], data: new Float32Array([1, 2]) } }, meta);
    // What a kill mid-write leaves: a partial temporary file next to the intact previous one.
    writeFileSync(`${file}.tmp-99999`, readFileSync(file).subarray(0, 20));
    expect(Array.from(loadCheckpoint(file).tensors.w!.data)).toEqual([1, 2]);
    saveCheckpoint(file, { w: { dtype: 'float32', shape: [2], data: new Float32Array([3, 4]) } }, { ...meta, epoch: 1 });
    expect(loadCheckpoint(file).meta.epoch).toBe(1);
  });
});
