import { beforeAll, describe, expect, it } from 'vitest';
import { assertClose, checkModuleCase, initBackend, nchwToNhwc, nhwcToNchw, parseModel, readCase, tf, type BackendName } from '@yolomods/core';
import path from 'node:path';
import { ASFF, Detect_ASFF, configsDir } from '../src/index';
import { fixture } from './fixtures';

// The fixture's ASFFV5(level, multiplier=0.125) has dims [1024, 512, 256]·0.125 = P5 128, P4 64, P3 32.
const CH = [32, 64, 128];

for (const backend of ['cpu', 'wasm'] as BackendName[]) {
  describe(`ASFF on ${backend}`, () => {
    beforeAll(async () => {
      await initBackend({ backend, log: false });
    });

    for (const level of [0, 1, 2]) {
      it(`ASFF(level ${level}, [32, 64, 128]) matches ASFFV5(${level}, 0.125): output, input and parameter gradients`, () => {
        const r = checkModuleCase(readCase(fixture(`modules/asffv5_level${level}_m0.125.safetensors`)), new ASFF(level, CH));
        expect(Object.keys(r)).toEqual(expect.arrayContaining(['output', 'grad.input.0', 'grad.input.1', 'grad.input.2', 'grad.weights.weight_levels.conv.weight']));
      });
    }

    // cpu: forward only; its backward takes ~30 s here (20 s of it core's Detect branches, which core's
    // own detect case covers); the fusions' cpu backward is checked by the three cases above.
    const grads = backend === 'wasm' || !!process.env.YOLOMODS_SLOW_TESTS;
    it(`Detect_ASFF(5, [32, 64, 128]) matches decoded y and raw maps${grads ? ' and gradients' : ''}`, () => {
      const d = new Detect_ASFF(5, CH);
      d.stride = [8, 16, 32];
      const r = checkModuleCase(readCase(fixture('modules/detect_asff_nc5_ch32_64_128.safetensors')), d, { grads });
      expect(Object.keys(r)).toEqual(expect.arrayContaining(['output.0', 'output.3', ...(grads ? ['grad.input.2', 'grad.weights.l0_fusion.expand.conv.weight'] : [])]));
    });
  });
}

describe('yolov8-ASFF.yaml at scale t (wasm)', () => {
  beforeAll(async () => {
    await initBackend({ backend: 'wasm', log: false });
  });

  it('matches the whole-model case and does not leak tensors', () => {
    const c = readCase(fixture('models/model_yolov8-ASFF_t.safetensors'));
    const model = parseModel(path.join(configsDir, 'yolov8-ASFF.yaml'), { scale: 't', nc: 5 });
    expect(model.head).toBeInstanceOf(Detect_ASFF);
    expect(model.stride).toEqual([8, 16, 32]);
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
