import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { it } from 'vitest';
import { initBackend, parseModel } from '@yolomods/core';
import { generateSynthetic } from '../src/data/index';
import { train } from '../src/train/trainer';
import { config } from './helpers';

it('speed', async () => {
  await initBackend({ backend: 'wasm', log: true });
  const dir = mkdtempSync(path.join(tmpdir(), 'yspeed-'));
  const data = await generateSynthetic({ dir, train: 48, val: 16, imgsz: 64, classes: 1, seed: 1, objects: [1, 2], size: [0.3, 0.6] });
  const model = parseModel(config('yolov8.yaml'), { scale: 't', nc: 1 });
  const t0 = Date.now();
  await train(model, { data, epochs: Number(process.env.EP ?? 12), batch: Number(process.env.BS ?? 8), nbs: Number(process.env.BS ?? 8), optimizer: process.env.OPT ?? 'auto', lr0: Number(process.env.LR ?? 0.01), imgsz: 64, mosaic: 0, warmup_epochs: 0, close_mosaic: 0, project: path.join(dir, 'runs'), verbose: false, plots: true, log: (l) => console.log(l), onFitEpochEnd: (c) => console.log('epoch', c.epoch, Date.now() - t0, c.tloss.map((v) => v.toFixed(3)).join(' '), c.metrics?.metrics.meanResults.map((v) => v.toFixed(3)).join(' ')) });
  console.log('total ms', Date.now() - t0, dir);
}, 900000);
