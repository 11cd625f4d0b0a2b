import { beforeAll, describe, expect, it } from 'vitest';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { assertClose, checkModuleCase, initBackend, nhwcToNchw, parseModel, readCase, registry, tf, type BackendName } from '@yolomods/core';
import { C2f_DynamicConv, DynamicConv, configsDir } from '../src/index';
import { fixture } from './fixtures';

const summary = JSON.parse(readFileSync(fixture('model-summary.json'), 'utf8'));

for (const backend of ['cpu', 'wasm'] as BackendName[]) {
  describe(`DynamicConv on ${backend}`, () => {
    beforeAll(async () => {
      await initBackend({ backend, log: false });
    });
    it('dynamicconv_8_16_k3_s2: forward and gradients match ParameterNet/timm', () => {
      const r = checkModuleCase(readCase(fixture('modules/dynamicconv_8_16_k3_s2.safetensors')), new DynamicConv(8, 16, 3, 2));
      expect(Object.keys(r)).toContain('grad.weights.cond_conv.weight');
    });
    it('c2f_dynamicconv_16_16_n1: forward and gradients match the seed', () => {
      const r = checkModuleCase(readCase(fixture('modules/c2f_dynamicconv_16_16_n1.safetensors')), new C2f_DynamicConv(16, 16, 1));
      expect(Object.keys(r)).toContain('grad.weights.m.0.cheap_operation.0.cond_conv.weight');
    });
    it('each sample gets its own kernel: batch 3 equals three batch-1 runs, no tensor growth', () => {
      const m = new DynamicConv(4, 6, 3, 2).eval();
      const x = tf.randomNormal([3, 7, 9, 4]) as tf.Tensor4D;
      const together = m.forward(x);
      const alone = tf.concat([0, 1, 2].map((i) => m.forward(tf.slice(x, [i, 0, 0, 0], [1, -1, -1, -1]) as tf.Tensor4D)), 0);
      const diff = tf.max(tf.abs(tf.sub(together, alone))).dataSync()[0]!;
      expect(diff).toBeLessThan(1e-5);
      const mixed = tf.max(tf.abs(tf.sub(tf.slice(together, [0, 0, 0, 0], [1, -1, -1, -1]), m.forward(tf.slice(x, [0, 0, 0, 0], [1, -1, -1, -1]) as tf.Tensor4D)))).dataSync()[0]!;
      expect(mixed).toBeLessThan(1e-5);
      tf.dispose([together, alone]);
      const before = tf.memory().numTensors;
      tf.dispose(m.forward(x));
      expect(tf.memory().numTensors).toBe(before);
      x.dispose();
      m.dispose();
    });
  });
}

describe('DynamicConv configs', () => {
  beforeAll(async () => {
    await initBackend({ backend: 'wasm', log: false });
  });
  it('importing registers both blocks and the seed alias', () => {
    expect(registry.get('DynamicConv')?.package).toBe('@yolomods/dynamicconv');
    expect(registry.get('C2f_GhostModule_DynamicConv')?.name).toBe('C2f_DynamicConv');
  });
  for (const config of ['yolov8-DynamicConv', 'yolov8-C2f-DynamicConv']) {
    for (const scale of ['n', 's']) {
      it(`${config} builds at scale ${scale} with the reference layers, parameters and GFLOPs`, () => {
        const want = summary[config][scale];
        const model = parseModel(path.join(configsDir, `${config}.yaml`), { scale });
        const info = model.info({ imgsz: 640 });
        expect(info.parameters).toBe(want.parameters);
        expect(info.layers).toBe(want.layers);
        expect(Math.abs(info.gflops - want.gflops_640) / want.gflops_640).toBeLessThan(0.01);
        model.dispose();
      });
    }
    it(`${config} scale t model case matches after loading its weights`, () => {
      const c = readCase(fixture(`models/model_${config}_t.safetensors`));
      const model = parseModel(path.join(configsDir, `${config}.yaml`), { scale: 't', nc: 5 }).loadStateDict(c.weights).eval();
      const x = tf.tidy(() => tf.transpose(tf.tensor(c.inputs[0]!.data, c.inputs[0]!.shape), [0, 2, 3, 1])) as tf.Tensor4D;
      const { y, feats } = model.forward(x);
      tf.tidy(() => {
        assertClose(tf.transpose(y!, [0, 2, 1]), c.outputs[0]!, c.meta.tolerance.y, 'y');
        feats.forEach((f, i) => assertClose(nhwcToNchw(f), c.outputs[i + 1]!, c.meta.tolerance.raw_maps, `feats.${i}`));
      });
      tf.dispose([x, y!, ...feats]);
      model.dispose();
    });
  }
  it('bad arguments are named', () => {
    expect(() => new DynamicConv(8, 16, 3, 1, '', 1, 3)).toThrow(/channels must be divisible by groups=3/);
    expect(() => new DynamicConv(8, 16, 3, 1, '', 1, 1, false, 0)).toThrow(/num_experts must be a positive integer, got 0/);
  });
});
