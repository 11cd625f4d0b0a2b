import { beforeAll, describe, expect, it } from 'vitest';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { assertClose, checkModuleCase, initBackend, nhwcToNchw, parseModel, readCase, registry, tf, type BackendName } from '@yolomods/core';
import { AKConv, configsDir, initialOffsets } from '../src/index';
import { fixture } from './fixtures';

const summary = JSON.parse(readFileSync(fixture('model-summary.json'), 'utf8'))['yolov8-AKConv'];
const yamlPath = path.join(configsDir, 'yolov8-AKConv.yaml');

describe('initial sampling shape', () => {
  it('follows the official _get_p_n for square and non-square counts', () => {
    expect(initialOffsets(5)).toEqual([[0, 0, 1, 1, 2], [0, 1, 0, 1, 0]]);
    expect(initialOffsets(9)).toEqual([[0, 0, 0, 1, 1, 1, 2, 2, 2], [0, 1, 2, 0, 1, 2, 0, 1, 2]]);
    expect(initialOffsets(3)).toEqual([[0, 0, 1], [0, 1, 0]]);
    expect(initialOffsets(1)).toEqual([[0], [0]]);
    expect(initialOffsets(2)).toEqual([[0, 1], [0, 0]]);
    expect(initialOffsets(7)).toEqual([[0, 0, 0, 1, 1, 1, 2], [0, 1, 2, 0, 1, 2, 0]]);
  });
});

for (const backend of ['cpu', 'wasm'] as BackendName[]) {
  describe(`AKConv on ${backend}`, () => {
    beforeAll(async () => {
      await initBackend({ backend, log: false });
    });
    for (const [name, args] of [
      ['akconv_8_16_n3_s1', [8, 16, 3, 1]],
      ['akconv_8_16_n5_s1', [8, 16, 5, 1]],
      ['akconv_8_16_n5_s2', [8, 16, 5, 2]],
    ] as const) {
      it(`${name}: forward and gradients match the official code`, () => {
        const m = new AKConv(...(args as unknown as [number, number, number, number]));
        const r = checkModuleCase(readCase(fixture(`modules/${name}.safetensors`)), m);
        expect(Object.keys(r)).toContain('grad.weights.p_conv.weight');
        m.dispose();
      });
    }
  });
}

describe('AKConv as a block', () => {
  beforeAll(async () => {
    await initBackend({ backend: 'wasm', log: false });
  });
  it('any num_param works: output shape and no tensor growth', () => {
    for (const n of [1, 2, 3, 5, 7]) {
      const m = new AKConv(4, 8, n, 2);
      const x = tf.randomNormal([2, 9, 12, 4]) as tf.Tensor4D;
      const y = m.forward(x);
      expect(y.shape).toEqual([2, 5, 6, 8]);
      tf.dispose(y);
      const before = tf.memory().numTensors;
      tf.dispose(m.forward(x));
      expect(tf.memory().numTensors).toBe(before);
      x.dispose();
      m.dispose();
    }
  });
  it('refuses bad arguments, naming them', () => {
    expect(() => new AKConv(4, 8, 0)).toThrow(/num_param must be an integer ≥ 1, got 0/);
    expect(() => new AKConv(4, 8, 5, 0)).toThrow(/stride must be an integer ≥ 1, got 0/);
    const m = new AKConv(4, 8, 5);
    expect(() => m.forward(tf.zeros([1, 4, 4, 3]) as tf.Tensor4D)).toThrow(/input has 3 channels, expected 4/);
    m.dispose();
    const n3 = new AKConv(8, 16, 3);
    const n5 = readCase(fixture('modules/akconv_8_16_n5_s1.safetensors')).weights;
    expect(() => n3.loadStateDict(n5)).toThrow(/p_conv\.weight: checkpoint \[10, 8, 3, 3\] vs model \[6, 8, 3, 3\]/);
    n3.dispose();
  });
  it('importing registers AKConv with the Conv rule', () => {
    expect(registry.get('AKConv')?.package).toBe('@yolomods/akconv');
  });
  for (const scale of ['n', 's']) {
    it(`yolov8-AKConv builds at scale ${scale} with the reference layers, parameters and GFLOPs`, () => {
      const model = parseModel(yamlPath, { scale });
      const info = model.info({ imgsz: 640 });
      expect(info.parameters).toBe(summary[scale].parameters);
      expect(info.layers).toBe(summary[scale].layers);
      expect(Math.abs(info.gflops - summary[scale].gflops_640) / summary[scale].gflops_640).toBeLessThan(0.01);
      model.dispose();
    });
  }
  it('scale t model case matches after loading its weights', () => {
    const c = readCase(fixture('models/model_yolov8-AKConv_t.safetensors'));
    const model = parseModel(yamlPath, { scale: 't', nc: 5 }).loadStateDict(c.weights).eval();
    const x = tf.tidy(() => tf.transpose(tf.tensor(c.inputs[0]!.data, c.inputs[0]!.shape), [0, 2, 3, 1])) as tf.Tensor4D;
    const { y, feats } = model.forward(x);
    tf.tidy(() => {
      assertClose(tf.transpose(y!, [0, 2, 1]), c.outputs[0]!, c.meta.tolerance.y, 'y');
      feats.forEach((f, i) => assertClose(nhwcToNchw(f), c.outputs[i + 1]!, c.meta.tolerance.raw_maps, `feats.${i}`));
    });
    tf.dispose([x, y!, ...feats]);
    model.dispose();
  });
});
