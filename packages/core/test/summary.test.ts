import { beforeAll, describe, expect, it } from 'vitest';
import { readFileSync } from 'node:fs';
import { initBackend, parseModel, tf } from '../src/index';
import { config, fixture } from './fixtures';

const summary = JSON.parse(readFileSync(fixture('model-summary.json'), 'utf8'));

describe('yolov8.yaml summary equals the PyTorch reference at every scale', () => {
  beforeAll(async () => {
    await initBackend({ backend: 'wasm', log: false });
  });
  for (const scale of ['n', 's', 'm', 'l', 'x']) {
    it(`scale ${scale}: layers, parameters, gradients, GFLOPs`, () => {
      const want = summary.yolov8[scale];
      const before = tf.memory().numTensors;
      const model = parseModel(config('yolov8', 'yolov8.yaml'), { scale });
      // GFLOPs need a 640 forward; the two largest scales are checked at 320 (×4 is exact for convnets).
      const imgsz = scale === 'l' || scale === 'x' ? 320 : 640;
      const info = model.info({ imgsz });
      expect(info.layers).toBe(want.layers);
      expect(info.parameters).toBe(want.parameters);
      expect(info.gradients).toBe(want.gradients);
      const gflops640 = info.gflops * (640 / imgsz) ** 2;
      expect(Math.abs(gflops640 - want.gflops_640) / want.gflops_640).toBeLessThan(0.01);
      expect(model.table().split('\n')).toHaveLength(want.yaml_layers + 1);
      model.dispose();
      // building, a forward and dispose leave nothing behind (DFL's projection once leaked one tensor)
      expect(tf.memory().numTensors).toBe(before);
    });
  }
});
