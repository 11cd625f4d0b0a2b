import { beforeAll, describe, expect, it } from 'vitest';
import { initBackend, parseModel } from '@yolomods/core';
import { Optimizer, freezeLayers, parseArgs, resolveOptimizer } from '../src/train/index';
import { config } from './helpers';

describe('fine-tuning keys', () => {
  beforeAll(async () => {
    await initBackend({ backend: 'cpu', log: false });
  });

  it('parses pretrained= and freeze= as ultralytics', () => {
    expect(parseArgs({}).pretrained).toBe(true);
    expect(parseArgs({}).freeze).toBe(null);
    expect(parseArgs({ pretrained: 'false' }).pretrained).toBe(false);
    expect(parseArgs({ pretrained: 'yolov8n.pt' }).pretrained).toBe('yolov8n.pt');
    expect(parseArgs({ freeze: '10' }).freeze).toBe(10);
    expect(parseArgs({ freeze: '[0,1, 2]' }).freeze).toEqual([0, 1, 2]);
    expect(parseArgs({ freeze: '3,4' }).freeze).toEqual([3, 4]);
    expect(parseArgs({ optimizer: 'adamw' }).optimizer).toBe('AdamW');
    expect(() => parseArgs({ freeze: 'x' })).toThrow(/freeze=x: 'x' is not a layer index/);
  });

  it('optimizer=auto: AdamW with lr0 = round(0.002·5/(4+nc), 6) up to 10000 iterations, else SGD lr 0.01', () => {
    expect(resolveOptimizer('auto', 0.01, 0.937, 80, 10000)).toEqual({ name: 'AdamW', lr: 0.000119, momentum: 0.9, auto: true });
    expect(resolveOptimizer('auto', 0.01, 0.937, 1, 10000).lr).toBe(0.002);
    expect(resolveOptimizer('auto', 0.01, 0.937, 80, 10001)).toEqual({ name: 'SGD', lr: 0.01, momentum: 0.9, auto: true });
    expect(resolveOptimizer('SGD', 0.02, 0.95, 80, 5)).toEqual({ name: 'SGD', lr: 0.02, momentum: 0.95, auto: false });
  });

  it('groups as ultralytics build_optimizer for yolov8n (frozen dfl counted): 57 BN, 64 decayed weights, 63 biases', () => {
    const m = parseModel(config('yolov8.yaml'), { scale: 'n', nc: 80, warn: () => {} });
    try {
      const o = new Optimizer('AdamW', m, 0.000119, 0.9, 0.0005);
      expect(o.summary()).toBe('optimizer: AdamW(lr=0.000119, momentum=0.9) with parameter groups 57 weight(decay=0.0), 64 weight(decay=0.0005), 63 bias(decay=0.0)');
    } finally {
      m.dispose();
    }
  });

  it('freeze=N freezes model.0. … model.N-1. plus .dfl; a list freezes those indices; unfrozen layers train again', () => {
    const m = parseModel(config('yolov8.yaml'), { scale: 't', nc: 1, warn: () => {} });
    try {
      const all = [...m.namedEntries()].filter(([, e]) => !e.buffer).length;
      const frozen = freezeLayers(m, 10);
      expect(frozen.every((k) => /^model\.\d\./.test(k) || k.includes('.dfl'))).toBe(true);
      expect(new Set(frozen.map((k) => k.split('.')[1]))).toEqual(new Set(['0', '1', '2', '3', '4', '5', '6', '7', '8', '9', '22']));
      expect(m.trainableVariables().length).toBe(all - frozen.length);
      const listed = freezeLayers(m, [0, 22]);
      expect(new Set(listed.map((k) => k.split('.')[1]))).toEqual(new Set(['0', '22']));
      expect(listed.filter((k) => k.startsWith('model.22.'))).toHaveLength([...m.namedEntries()].filter(([k, e]) => k.startsWith('model.22.') && !e.buffer).length);
      expect(m.trainableVariables().length).toBe(all - listed.length);
      expect(freezeLayers(m, null)).toEqual(['model.22.dfl.conv.weight']);
      expect(() => freezeLayers(m, 23)).toThrow(/froze the entire model/);
    } finally {
      m.dispose();
    }
  });
});
