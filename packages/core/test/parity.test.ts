import { beforeAll, describe, expect, it } from 'vitest';
import { readFileSync } from 'node:fs';
import { C2f, Conv, Detect, SPPF, assertClose, checkModuleCase, initBackend, nhwcToNchw, parseModel, readCase, readSafetensors, tf, type BackendName } from '../src/index';
import { config, fixture } from './fixtures';

for (const backend of ['cpu', 'wasm'] as BackendName[]) {
  // core registers wasm's gradient kernels (src/wasm/kernels.ts), so both backends check gradients.
  const grads = true;
  describe(`standard blocks on ${backend}`, () => {
    beforeAll(async () => {
      await initBackend({ backend, log: false });
    });

    it('Conv(8, 16, 3, 2) matches forward and backward', () => {
      const r = checkModuleCase(readCase(fixture('modules/conv_8_16_k3_s2.safetensors')), new Conv(8, 16, 3, 2), { grads });
      expect(Object.keys(r)).toContain('output');
      if (grads) expect(Object.keys(r)).toContain('grad.weights.conv.weight');
    });

    it('C2f(16, 16, n=2, shortcut) matches', () => {
      checkModuleCase(readCase(fixture('modules/c2f_16_16_n2_shortcut.safetensors')), new C2f(16, 16, 2, true), { grads });
    });

    it('SPPF(32, 32, 5) matches', () => {
      checkModuleCase(readCase(fixture('modules/sppf_32_32_k5.safetensors')), new SPPF(32, 32, 5), { grads });
    });

    it('Detect(nc=5, ch=[32, 64, 128]) matches decoded y and raw maps', () => {
      const d = new Detect(5, [32, 64, 128]);
      d.stride = [8, 16, 32];
      const r = checkModuleCase(readCase(fixture('modules/detect_nc5_ch32_64_128.safetensors')), d, { grads });
      expect(Object.keys(r)).toEqual(expect.arrayContaining(['output.0', 'output.3']));
    });

    it('yolov8.yaml at scale t matches the whole-model case and does not leak tensors', () => {
      const c = readCase(fixture('models/model_yolov8_t.safetensors'));
      const model = parseModel(config('yolov8', 'yolov8.yaml'), { scale: 't', nc: 5 });
      expect(model.stride).toEqual([8, 16, 32]);
      expect(model.countParameters().parameters).toBe(c.meta.param_count);
      model.loadStateDict(c.weights);
      model.eval();
      const x = tf.tidy(() => tf.transpose(tf.tensor(c.inputs[0]!.data, c.inputs[0]!.shape), [0, 2, 3, 1])) as tf.Tensor4D;
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
}

describe('weights round trip', () => {
  it('stateDict() → writeSafetensors → loadStateDict reproduces every key and value', async () => {
    const { writeSafetensors } = await import('../src/index');
    await initBackend({ backend: 'wasm', log: false });
    const c = readCase(fixture('models/model_yolov8_t.safetensors'));
    const a = parseModel(config('yolov8', 'yolov8.yaml'), { scale: 't', nc: 5 }).loadStateDict(c.weights);
    const bytes = writeSafetensors(a.stateDict());
    const sd = readSafetensors(bytes);
    expect(Object.keys(sd).sort()).toEqual(Object.keys(c.weights).sort());
    for (const k of ['model.0.conv.weight', 'model.22.cv3.2.2.bias', 'model.22.dfl.conv.weight']) {
      expect(Array.from(sd[k]!.data)).toEqual(Array.from(c.weights[k]!.data));
    }
    const f16 = readSafetensors(writeSafetensors(a.stateDict(), { floatDtype: 'F16' }));
    const w = c.weights['model.0.conv.weight']!.data;
    f16['model.0.conv.weight']!.data.forEach((v, i) => expect(Math.abs(v - w[i]!)).toBeLessThanOrEqual(Math.abs(w[i]!) * 1e-3 + 1e-7));
    a.dispose();
    expect(readFileSync(fixture('models/model_yolov8_t.safetensors')).byteLength).toBeGreaterThan(0);
  });
});
