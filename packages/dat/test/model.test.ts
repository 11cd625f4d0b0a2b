import { beforeAll, describe, expect, it } from 'vitest';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { assertClose, initBackend, nchwToNhwc, nhwcToNchw, parseModel, readCase, tf } from '@yolomods/core';
import { configsDir } from '../src/index';
import { fixture } from './fixtures';

const summary = JSON.parse(readFileSync(fixture('model-summary.json'), 'utf8'))['yolov8-DAttention'];
const yamlPath = path.join(configsDir, 'yolov8-DAttention.yaml');

describe('yolov8-DAttention.yaml (wasm)', () => {
  beforeAll(async () => {
    await initBackend({ backend: 'wasm', log: false });
  });

  for (const scale of ['n', 's']) {
    it(`scale ${scale}: layers, parameters, gradients and GFLOPs at 640 equal the PyTorch reference`, () => {
      const want = summary[scale];
      const model = parseModel(yamlPath, { scale, nc: 80 });
      expect(model.layers[10]!.type).toBe('DAttention');
      expect(model.layers[10]!.args).toEqual([scale === 'n' ? 256 : 512]);
      const info = model.info({ imgsz: 640 });
      expect(info.layers).toBe(want.layers);
      expect(info.parameters).toBe(want.parameters);
      expect(info.gradients).toBe(want.gradients);
      expect(Math.abs(info.gflops - want.gflops_640) / want.gflops_640).toBeLessThan(0.01);
      model.dispose();
    });
  }

  it('scale t matches the whole-model case and does not leak tensors', () => {
    const c = readCase(fixture('models/model_yolov8-DAttention_t.safetensors'));
    const model = parseModel(yamlPath, { scale: 't', nc: 5 });
    expect(model.countParameters().parameters).toBe(c.meta.param_count);
    model.loadStateDict(c.weights);
    model.eval();
    const x = nchwToNhwc(c.inputs[0]!) as tf.Tensor4D;
    const before = tf.memory().numTensors;
    for (let rep = 0; rep < 2; rep++) {
      const { y, feats } = model.forward(x);
      tf.tidy(() => {
        assertClose(tf.transpose(y!, [0, 2, 1]), c.outputs[0]!, c.meta.tolerance.y, 'y');
        feats.forEach((f, i) => assertClose(nhwcToNchw(f), c.outputs[i + 1]!, c.meta.tolerance.raw_maps, `feats.${i}`));
      });
      tf.dispose([y!, ...feats]);
      expect(tf.memory().numTensors).toBe(before);
    }
    x.dispose();
    model.dispose();
  });
});
