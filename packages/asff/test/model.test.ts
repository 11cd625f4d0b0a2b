import { beforeAll, describe, expect, it } from 'vitest';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { initBackend, parseModel, tf, type Conv } from '@yolomods/core';
import { ASFF, Detect_ASFF, configsDir } from '../src/index';
import { fixture } from './fixtures';

const summary = JSON.parse(readFileSync(fixture('model-summary.json'), 'utf8'))['yolov8-ASFF'];
const yamlPath = path.join(configsDir, 'yolov8-ASFF.yaml');

/** Input channels each resizing conv of a fusion must take, by the seed's attribute names. */
const SOURCE: Record<string, number> = { stride_level_1: 1, stride_level_2: 0, compress_level_0: 2, compress_level_1: 1 };

/** Checks every conv of `f` (fusing to head level `i`: 0 = P3) against the graph's channels `ch`. */
function expectFusionFits(f: ASFF, i: number, ch: number[]): void {
  expect(f.interDim).toBe(ch[i]);
  const convs = Object.fromEntries(f.namedChildren()) as Record<string, Conv>;
  expect(convs.expand!.conv.outChannels).toBe(ch[i]);
  expect(convs.expand!.conv.inChannels).toBe(ch[i]);
  for (const [name, src] of Object.entries(SOURCE)) {
    if (convs[name]) expect(convs[name]!.conv.inChannels, `${name} of the level-${2 - i} fusion`).toBe(ch[src]);
  }
}

describe('yolov8-ASFF.yaml at ultralytics scales (wasm)', () => {
  beforeAll(async () => {
    await initBackend({ backend: 'wasm', log: false });
  });

  for (const scale of ['n', 's']) {
    it(`scale ${scale}: layers, parameters, gradients and GFLOPs equal the PyTorch reference`, () => {
      const want = summary[scale];
      const model = parseModel(yamlPath, { scale, nc: 80 });
      // Every op here is a convolution whose cost scales with the area, so 320 × 4 is exact.
      const imgsz = scale === 'n' ? 640 : 320;
      const info = model.info({ imgsz });
      expect(info.layers).toBe(want.layers);
      expect(info.parameters).toBe(want.parameters);
      expect(info.gradients).toBe(want.gradients);
      const gflops640 = info.gflops * (640 / imgsz) ** 2;
      expect(Math.abs(gflops640 - want.gflops_640) / want.gflops_640).toBeLessThan(0.01);
      model.dispose();
    });
  }

  for (const scale of ['m', 'l', 'x']) {
    it(`scale ${scale}: builds where the seed fails, every fusion takes the graph's channels, and it runs`, () => {
      // The reference records the graph's head channels in its error: "... do not match input channels [a, b, c]".
      const ch = JSON.parse(/input channels (\[[\d, ]+\])/.exec(summary[scale].error)![1]!) as number[];
      const model = parseModel(yamlPath, { scale, nc: 80 });
      const head = model.head as Detect_ASFF;
      expect(head).toBeInstanceOf(Detect_ASFF);
      expect(model.layers[22]!.args).toEqual([80, ch]);
      head.fusions.forEach((f, i) => expectFusionFits(f, i, ch));
      const x = tf.zeros([1, 64, 96, 3]) as tf.Tensor4D;
      const before = tf.memory().numTensors;
      const out = model.eval().forward(x);
      expect(out.feats.map((f) => f.shape)).toEqual([[1, 8, 12, 144], [1, 4, 6, 144], [1, 2, 3, 144]]);
      expect(out.y!.shape).toEqual([1, 96 + 24 + 6, 84]);
      tf.dispose([out.y!, ...out.feats]);
      expect(tf.memory().numTensors).toBe(before);
      x.dispose();
      model.dispose();
    });
  }
});
