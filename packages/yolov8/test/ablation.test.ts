import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { initBackend } from '@yolomods/core';
import { configsDir as dysampleConfigs } from '@yolomods/dysample';
import { ablation, type AblationOptions } from '../src/ablation';
import { generateSynthetic } from '../src/data/index';
import { loadCheckpoint, val } from '../src/train/index';
import { createModel } from '../src/build';
import { config, fixture } from './helpers';

// Tiny but real: scale t at 64 px on a generated one-class dataset, two epochs per model, wasm backend.
describe('ablation (compare with training)', () => {
  let dir: string;
  let data: string;
  const baseline = config('yolov8.yaml');
  const dysample = path.join(dysampleConfigs, 'yolov8-DySample.yaml');
  beforeAll(async () => {
    await initBackend({ backend: 'wasm', log: false });
    dir = mkdtempSync(path.join(tmpdir(), 'yolomods-ablation-'));
    data = await generateSynthetic({ dir: path.join(dir, 'data'), train: 32, val: 16, imgsz: 64, classes: 1, seed: 3, objects: [1, 2], size: [0.3, 0.6] });
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  const opts = (saveDir: string, models = [baseline, dysample], lines: string[] = []): AblationOptions => ({
    models,
    data,
    scale: 't',
    train: { epochs: 2, batch: 8, nbs: 8, imgsz: 64, mosaic: 0, close_mosaic: 0, warmup_epochs: 0, seed: 5 },
    saveDir: path.join(dir, saveDir),
    runs: 1,
    log: (l) => lines.push(l),
  });
  const weightsOf = (saveDir: string, folder: string) => loadCheckpoint(path.join(dir, saveDir, folder, 'weights', 'last.safetensors')).tensors;

  it('trains each model, validates its best weights and writes tables and charts; a failing model keeps its row', async () => {
    const r = await ablation(opts('a', [baseline, dysample, 'yolov8-NoSuchBlock.yaml']));
    expect(r.rows.map((row) => row.model)).toEqual([baseline, dysample, 'yolov8-NoSuchBlock.yaml']);
    expect(r.rows[2]!.error).toMatch(/yolov8-NoSuchBlock/);
    for (const row of r.rows.slice(0, 2)) {
      expect(row.error).toBeUndefined();
      expect(row.curve!.map5095).toHaveLength(2);
      expect(row.train).toMatchObject({ imgsz: 64, epochs: 2 });
      // the row's metrics are those of its best checkpoint, validated here on their own
      const folder = r.rows.indexOf(row) === 0 ? '1-yolov8' : '2-yolov8-DySample';
      const trained = await createModel({ weights: path.join(dir, 'a', folder, 'weights', 'best.safetensors') });
      const v = await val(trained, { data, imgsz: 64, batch: 16, verbose: false });
      trained.dispose();
      const [precision, recall, map50, map5095] = v.metrics.meanResults;
      expect(row.metrics).toEqual({ precision, recall, map50, map5095 });
      const m = await createModel({ model: row.model, scale: 't', nc: 1 });
      expect([row.parameters, row.gflops, row.train!.gflops]).toEqual([m.info().parameters, m.info({ imgsz: 640 }).gflops, m.info({ imgsz: 64 }).gflops]);
      m.dispose();
    }
    expect(r.files.map((f) => path.basename(f))).toEqual(['compare.md', 'compare.csv', 'compare.png', 'compare-epochs.png']);
    const md = readFileSync(path.join(dir, 'a', 'compare.md'), 'utf8');
    expect(md).toContain('GFLOPs@640');
    expect(md).toContain('GFLOPs@64 |');
    expect(md).toMatch(/\| yolov8-NoSuchBlock\.yaml \| failed: .*NoSuchBlock/);
    expect(readFileSync(path.join(dir, 'a', 'compare.csv'), 'utf8').trim().split('\n')).toHaveLength(4);
    for (const f of ['compare.json', '1-yolov8/row.json', '2-yolov8-DySample/weights/best.safetensors', '2-yolov8-DySample/results.csv']) expect(existsSync(path.join(dir, 'a', f)), f).toBe(true);
  }, 600_000);

  it('validates given weights as they are: the COCO weights on coco8 give their own val mAP in the row', async () => {
    const coco8 = fixture('real/coco8/data.yaml');
    const weights = fixture('real/yolov8n-coco-fp16.safetensors');
    const r = await ablation({ models: ['yolov8n.yaml'], data: coco8, weights: [weights], train: { imgsz: 320, batch: 8 }, saveDir: path.join(dir, 'coco'), runs: 1, log: () => {} });
    const m = await createModel({ weights });
    const [precision, recall, map50, map5095] = (await val(m, { data: coco8, imgsz: 320, batch: 16, verbose: false })).metrics.meanResults;
    m.dispose();
    expect(r.rows[0]!.error, r.rows[0]!.error).toBeUndefined();
    expect(r.rows[0]!.metrics).toEqual({ precision, recall, map50, map5095 });
    expect(map5095).toBeGreaterThan(0.3);
  });

  it('is repeatable: the same command into another folder gives bit-equal metrics, curves and weights', async () => {
    const a = JSON.parse(readFileSync(path.join(dir, 'a', '2-yolov8-DySample', 'row.json'), 'utf8'));
    const r = await ablation(opts('b'));
    expect(r.rows[1]!.metrics).toEqual(a.metrics);
    expect(r.rows[1]!.curve).toEqual(a.curve);
    const [x, y] = [weightsOf('a', '1-yolov8'), weightsOf('b', '1-yolov8')];
    for (const k of Object.keys(x)) expect(Array.from(y[k]!.data), k).toEqual(Array.from(x[k]!.data));
  }, 600_000);

  it('an interrupted model is reported, and a rerun reuses the finished one and resumes it to the uninterrupted weights', async () => {
    const first = await ablation({
      ...opts('c'),
      hooks: {
        onTrainBatchEnd: (c) => {
          if (c.saveDir.endsWith('2-yolov8-DySample') && c.epoch === 1 && c.batch === 1) throw new Error('simulated kill');
        },
      },
    });
    expect(first.rows[1]!.error).toBe('simulated kill');
    expect(first.rows[0]!.error).toBeUndefined();
    const lines: string[] = [];
    const again = await ablation(opts('c', undefined, lines));
    expect(lines.join('\n')).toMatch(/yolov8\.yaml finished earlier, reusing/);
    expect(lines.join('\n')).toMatch(/resuming .*yolov8-DySample\.yaml/);
    expect(again.rows[1]!.error).toBeUndefined();
    const [x, y] = [weightsOf('a', '2-yolov8-DySample'), weightsOf('c', '2-yolov8-DySample')];
    expect(Object.keys(y).sort()).toEqual(Object.keys(x).sort());
    for (const k of Object.keys(x)) expect(Array.from(y[k]!.data), k).toEqual(Array.from(x[k]!.data));
    expect(again.rows[1]!.metrics).toEqual(JSON.parse(readFileSync(path.join(dir, 'a', '2-yolov8-DySample', 'row.json'), 'utf8')).metrics);
  }, 600_000);

  it('refuses to resume a comparison with other settings, naming the field', async () => {
    const o = opts('c');
    await expect(ablation({ ...o, train: { ...o.train, epochs: 3 } })).rejects.toThrow(/compare\.json: this comparison was run with epochs=2, now epochs=3/);
    await expect(ablation({ ...o, models: [baseline] })).rejects.toThrow(/run with models=/);
  });
});
