import { beforeAll, describe, expect, it } from 'vitest';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import * as ort from 'onnxruntime-node';
import { assertClose, checkModuleCase, exportOnnx, initBackend, manualSeed, nhwcToNchw, parseModel, readCase, registry, tf, type BackendName } from '@yolomods/core';
import { DySample, configsDir, dysample } from '../src/index';
import { fixture } from './fixtures';

const summary = JSON.parse(readFileSync(fixture('model-summary.json'), 'utf8'))['yolov8-DySample'];
const yamlPath = path.join(configsDir, 'yolov8-DySample.yaml');

for (const backend of ['cpu', 'wasm'] as BackendName[]) {
  describe(`DySample on ${backend}`, () => {
    beforeAll(async () => {
      await initBackend({ backend, log: false });
    });
    for (const [name, args] of [
      ['dysample_lp_c16_g4_s2', [16, 2, 'lp', 4, false]],
      ['dysample_lp_dyscope_c16_g4_s2', [16, 2, 'lp', 4, true]],
      ['dysample_pl_c16_g4_s2', [16, 2, 'pl', 4, false]],
    ] as const) {
      it(`${name}: forward and gradients match the official code`, () => {
        const m = new DySample(...(args as unknown as [number, number, 'lp', number, boolean]));
        const r = checkModuleCase(readCase(fixture(`modules/${name}.safetensors`)), m);
        expect(Object.keys(r)).toContain('grad.weights.offset.weight');
        m.dispose();
      });
    }
    it('does not leak tensors across calls', () => {
      const m = new DySample(16, 2, 'pl', 4, true);
      const x = tf.randomNormal([2, 5, 7, 16]) as tf.Tensor4D;
      tf.dispose(m.forward(x));
      const before = tf.memory().numTensors;
      for (let i = 0; i < 3; i++) tf.dispose(m.forward(x));
      expect(tf.memory().numTensors).toBe(before);
      x.dispose();
      m.dispose();
    });
  });
}

describe('yolov8-DySample', () => {
  beforeAll(async () => {
    await initBackend({ backend: 'wasm', log: false });
  });
  it('importing the package registers DySample; using the plugin again is a no-op', () => {
    expect(registry.get('DySample')?.package).toBe('@yolomods/dysample');
    expect(() => registry.use(dysample())).not.toThrow();
  });
  for (const scale of ['n', 's']) {
    it(`builds at scale ${scale} with the reference layers, parameters and GFLOPs`, () => {
      const model = parseModel(yamlPath, { scale });
      const info = model.info({ imgsz: 640 });
      expect(info.parameters).toBe(summary[scale].parameters);
      expect(info.layers).toBe(summary[scale].layers);
      expect(Math.abs(info.gflops - summary[scale].gflops_640) / summary[scale].gflops_640).toBeLessThan(0.01);
      expect(model.layers[10]).toMatchObject({ type: 'DySample', args: [scale === 'n' ? 256 : 512, 2, 'lp'] });
      model.dispose();
    });
  }
  it('scale t model case matches after loading its weights; ONNX export matches too', async () => {
    const c = readCase(fixture('models/model_yolov8-DySample_t.safetensors'));
    const model = parseModel(yamlPath, { scale: 't', nc: 5 }).loadStateDict(c.weights).eval();
    const x = tf.tidy(() => tf.transpose(tf.tensor(c.inputs[0]!.data, c.inputs[0]!.shape), [0, 2, 3, 1])) as tf.Tensor4D;
    const { y, feats } = model.forward(x);
    tf.tidy(() => {
      assertClose(tf.transpose(y!, [0, 2, 1]), c.outputs[0]!, c.meta.tolerance.y, 'y');
      feats.forEach((f, i) => assertClose(nhwcToNchw(f), c.outputs[i + 1]!, c.meta.tolerance.raw_maps, `feats.${i}`));
    });
    tf.dispose([x, y!, ...feats]);
    const session = await ort.InferenceSession.create(exportOnnx(model, { imgsz: [96, 128], batch: 2 }));
    const out = await session.run({ images: new ort.Tensor('float32', c.inputs[0]!.data as Float32Array, c.inputs[0]!.shape) });
    assertClose({ dtype: 'float32', shape: [...out.output0!.dims], data: out.output0!.data as Float32Array }, c.outputs[0]!, c.meta.tolerance.y, 'onnx y');
    model.dispose();
  });
  it('bad arguments name the layer and the numbers', () => {
    const bad = readFileSync(yamlPath, 'utf8').replace('- [-1, 1, DySample, [2, "lp"]] # 10', '- [-1, 1, DySample, [2, "lp", 3]] # 10');
    expect(() => parseModel(bad, { scale: 'n' })).toThrow(/layer 10 .*in_channels 256 must be a multiple of groups 3/);
    expect(() => new DySample(18, 2, 'pl', 2)).toThrow(/style 'pl' needs in_channels 18 to be a multiple of scale² = 4/);
    expect(() => new DySample(16, 2, 'xx' as 'lp')).toThrow(/style must be 'lp' or 'pl', got 'xx'/);
  });
});

describe('DySample initialisation', () => {
  it('is reproducible under manualSeed (the offset conv draws from the seeded generator)', async () => {
    await initBackend({ backend: 'cpu', log: false });
    const offsets = (seed: number) => {
      manualSeed(seed);
      const m = new DySample(64, 2, 'lp', 4, false);
      const w = Array.from(m.offset.weight.dataSync());
      m.dispose();
      return w;
    };
    const a = offsets(0);
    expect(offsets(0)).toEqual(a);
    expect(offsets(1)).not.toEqual(a);
    // Official init: N(0, 1e-3²).
    const std = Math.sqrt(a.reduce((s, v) => s + v * v, 0) / a.length);
    expect(std).toBeGreaterThan(0.0005);
    expect(std).toBeLessThan(0.002);
  });
});
