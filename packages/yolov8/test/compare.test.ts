import { beforeAll, describe, expect, it } from 'vitest';
import { existsSync, mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import sharp from 'sharp';
import { initBackend, parseModel } from '@yolomods/core';
import { configsDir as akconv } from '@yolomods/akconv';
import { configsDir as asff } from '@yolomods/asff';
import { configsDir as dat } from '@yolomods/dat';
import { configsDir as dysample } from '@yolomods/dysample';
import { configsDir as dynamic } from '@yolomods/dynamicconv';
import { compare, compareMarkdown } from '../src/compare';
import { config, fixture } from './helpers';

const summary = JSON.parse(readFileSync(fixture('model-summary.json'), 'utf8'));
const files: Record<string, string> = {
  yolov8: config('yolov8.yaml'),
  'yolov8-DySample': path.join(dysample, 'yolov8-DySample.yaml'),
  'yolov8-AKConv': path.join(akconv, 'yolov8-AKConv.yaml'),
  'yolov8-DynamicConv': path.join(dynamic, 'yolov8-DynamicConv.yaml'),
  'yolov8-C2f-DynamicConv': path.join(dynamic, 'yolov8-C2f-DynamicConv.yaml'),
  'yolov8-ASFF': path.join(asff, 'yolov8-ASFF.yaml'),
  'yolov8-DAttention': path.join(dat, 'yolov8-DAttention.yaml'),
};

describe('compare', () => {
  beforeAll(async () => {
    await initBackend({ backend: 'wasm', log: false });
  });
  it('bundled configs at scale n: parameter and GFLOPs columns equal the PyTorch summary; writes md, csv, png', async () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'yolomods-compare-'));
    const names = Object.keys(files);
    const rows = await compare({ models: names, build: async (spec) => parseModel(files[spec]!, { scale: 'n' }), runs: 1, saveDir: dir, backend: 'wasm' });
    rows.forEach((r, i) => {
      const want = summary[names[i]!].n;
      expect(r.parameters, r.model).toBe(want.parameters);
      expect(Math.abs(r.gflops - want.gflops_640) / want.gflops_640, r.model).toBeLessThan(0.01);
      expect(r.ms).toBeGreaterThan(0);
    });
    const md = readFileSync(path.join(dir, 'compare.md'), 'utf8');
    expect(md).toContain('| yolov8-DySample | 3,169,552 | +0.4% |');
    expect(readFileSync(path.join(dir, 'compare.csv'), 'utf8').split('\n')[2]).toMatch(/^yolov8-DySample,3169552,/);
    const png = await sharp(path.join(dir, 'compare.png')).metadata();
    expect([png.format, png.width, png.height]).toEqual(['png', 900, 480]);
    expect(existsSync(path.join(dir, 'compare.md'))).toBe(true);
  });
  it('adds metric columns and mAP deltas when metrics are given', () => {
    const md = compareMarkdown([
      { model: 'a', parameters: 100, gflops: 1, ms: 10, metrics: { precision: 0.5, recall: 0.5, map50: 0.6, map5095: 0.4 } },
      { model: 'b', parameters: 150, gflops: 1.1, ms: 12, metrics: { precision: 0.6, recall: 0.5, map50: 0.7, map5095: 0.45 } },
    ]);
    expect(md).toContain('| b | 150 | +50.0% | 1.10 | +10.0% | 12.0 | +20.0% | 0.600 | 0.500 | 0.700 | 0.450 | +0.050 |');
  });
});
