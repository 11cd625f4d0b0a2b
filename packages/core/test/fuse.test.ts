import { describe, expect, it } from 'vitest';
import { assertClose, initBackend, parseModel, readCase, tf, toHost } from '../src/index';
import { config, fixture } from './fixtures';

describe('model.fuse()', () => {
  it('folds BN into conv on yolov8.yaml scale t: outputs within 1e-4 of the unfused eval model', async () => {
    await initBackend({ backend: 'wasm', log: false });
    const c = readCase(fixture('models/model_yolov8_t.safetensors'));
    const build = () => parseModel(config('yolov8', 'yolov8.yaml'), { scale: 't', nc: 5 }).loadStateDict(c.weights);
    const plain = build().eval();
    const fused = build().fuse();
    const x = tf.tidy(() => tf.transpose(tf.tensor(c.inputs[0]!.data, c.inputs[0]!.shape), [0, 2, 3, 1])) as tf.Tensor4D;
    const want = plain.forward(x);
    const before = tf.memory().numTensors;
    for (let rep = 0; rep < 2; rep++) {
      const got = fused.forward(x);
      got.feats.forEach((f, i) => assertClose(f, toHost(want.feats[i]!), { atol: 1e-4, rtol: 0 }, `feats.${i}`));
      // y: boxes are DFL expectations times the stride (up to 32), so the raw maps' 1e-4 becomes ~1e-3 px.
      assertClose(got.y!, toHost(want.y!), { atol: 1e-4, rtol: 2e-4 }, 'y');
      tf.dispose([got.y!, ...got.feats]);
      expect(tf.memory().numTensors).toBe(before);
    }
    // The fused path really differs from the unfused one: BN parameters no longer matter.
    const bn = [...fused.namedEntries()].find(([k]) => k === 'model.0.bn.weight')![1].variable;
    bn.assign(tf.zerosLike(bn));
    const same = fused.forward(x);
    assertClose(same.feats[0]!, toHost(want.feats[0]!), { atol: 1e-4, rtol: 1e-5 }, 'feats.0 after zeroing a BN weight');
    tf.dispose([same.y!, ...same.feats, want.y!, ...want.feats]);
    fused.train();
    expect(() => fused.forward(x)).toThrow(/fused for inference/);
    x.dispose();
    plain.dispose();
    const live = tf.memory().numTensors;
    fused.dispose();
    expect(tf.memory().numTensors).toBeLessThan(live);
  });
});
