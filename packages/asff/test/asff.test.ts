import { beforeAll, describe, expect, it } from 'vitest';
import { existsSync } from 'node:fs';
import path from 'node:path';
import { assertClose, Detect, initBackend, loadConfig, nchwToNhwc, nhwcToNchw, parseModel, readCase, registry, tf } from '@yolomods/core';
import { ASFF, Detect_ASFF, asff, configsDir } from '../src/index';
import { fixture } from './fixtures';

const yamlPath = path.join(configsDir, 'yolov8-ASFF.yaml');
const pyramid = (b = 1, h = 8, w = 12, ch = [8, 16, 32]) =>
  ch.map((c, i) => tf.randomNormal([b, h >> i, w >> i, c], 0, 1, 'float32', 7 + i) as tf.Tensor4D);

describe('ASFF and Detect_ASFF behaviour (wasm)', () => {
  beforeAll(async () => {
    await initBackend({ backend: 'wasm', log: false });
  });

  it('registers ASFF and Detect_ASFF (as a head) idempotently, and ships its YAML', () => {
    registry.use(asff()).use(asff());
    expect(registry.get('Detect_ASFF')?.head).toBe(true);
    expect(registry.get('ASFF')?.package).toBe('@yolomods/asff');
    expect(new Detect_ASFF(5, [8, 16, 32])).toBeInstanceOf(Detect);
    expect(existsSync(yamlPath)).toBe(true);
  });

  it('vis keeps the softmax fusion weights of the last forward only, and frees them', () => {
    const m = new ASFF(2, [8, 16, 32], false, true).eval();
    const xs = pyramid(2);
    const before = tf.memory().numTensors;
    for (let rep = 0; rep < 3; rep++) tf.dispose(m.forward(xs));
    // One pair of kept tensors (weights, fused sum), however many forwards ran.
    expect(tf.memory().numTensors).toBe(before + 2);
    const { weights, fusedSum } = m.lastWeights!;
    expect(weights.shape).toEqual([2, 8, 12, 3]);
    expect(fusedSum.shape).toEqual([2, 8, 12]);
    const total = tf.tidy(() => tf.sum(weights, 3));
    assertClose(total, { dtype: 'float32', shape: [2, 8, 12], data: new Float32Array(2 * 8 * 12).fill(1) }, { atol: 1e-5, rtol: 0 }, 'weights sum');
    total.dispose();
    m.clearWeights();
    expect(m.lastWeights).toBeNull();
    expect(tf.memory().numTensors).toBe(before);
    m.vis = false;
    tf.dispose(m.forward(xs));
    expect(m.lastWeights).toBeNull();
    expect(tf.memory().numTensors).toBe(before);
    tf.dispose(xs);
    m.dispose();
  });

  it('Detect_ASFF.vis exposes per-level weights inside a model forward; switching it off frees them', () => {
    const model = parseModel(yamlPath, { scale: 't', nc: 5 }).eval();
    const head = model.head as Detect_ASFF;
    const x = tf.zeros([2, 96, 128, 3]) as tf.Tensor4D;
    const before = tf.memory().numTensors;
    head.vis = true;
    for (let rep = 0; rep < 2; rep++) {
      const out = model.forward(x);
      tf.dispose([out.y!, ...out.feats]);
    }
    expect(head.fusionWeights().map((w) => w!.weights.shape)).toEqual([[2, 12, 16, 3], [2, 6, 8, 3], [2, 3, 4, 3]]);
    expect(tf.memory().numTensors).toBe(before + 6);
    head.vis = false;
    expect(head.fusionWeights()).toEqual([null, null, null]);
    expect(tf.memory().numTensors).toBe(before);
    x.dispose();
    model.dispose();
  });

  it('a YAML can use ASFF on its own: three ASFF layers + Detect reproduce the yolov8-ASFF model case', () => {
    const c = readCase(fixture('models/model_yolov8-ASFF_t.safetensors'));
    const cfg = loadConfig(yamlPath);
    const head = cfg.head as unknown[];
    head.splice(head.length - 1, 1,
      [[15, 18, 21], 1, 'ASFF', [2]], // 22: P3
      [[15, 18, 21], 1, 'ASFF', [1]], // 23: P4
      [[15, 18, 21], 1, 'ASFF', [0]], // 24: P5
      [[22, 23, 24], 1, 'Detect', ['nc']], // 25
    );
    const model = parseModel(cfg, { scale: 't', nc: 5 });
    expect(model.layers[22]!.args).toEqual([2, [32, 64, 128]]);
    const rename: Record<string, string> = { l2_fusion: 'model.22', l1_fusion: 'model.23', l0_fusion: 'model.24' };
    const sd = Object.fromEntries(
      Object.entries(c.weights).map(([k, v]) => {
        const m = /^model\.22\.(l[012]_fusion|cv2|cv3|dfl)(\..*)$/.exec(k);
        return [m ? `${rename[m[1]!] ?? 'model.25.' + m[1]}${m[2]}` : k, v];
      }),
    );
    model.loadStateDict(sd).eval();
    const x = nchwToNhwc(c.inputs[0]!) as tf.Tensor4D;
    const { y, feats } = model.forward(x);
    tf.tidy(() => {
      assertClose(tf.transpose(y!, [0, 2, 1]), c.outputs[0]!, c.meta.tolerance.y, 'y');
      feats.forEach((f, i) => assertClose(nhwcToNchw(f), c.outputs[i + 1]!, c.meta.tolerance.raw_maps, `feats.${i}`));
    });
    tf.dispose([x, y!, ...feats]);
    model.dispose();
  });

  it('bad input is refused with an error naming the module and the numbers', () => {
    expect(() => new ASFF(3, [8, 16, 32])).toThrow(/ASFF: level must be 0 \(P5\), 1 \(P4\) or 2 \(P3\), got 3/);
    expect(() => new ASFF(0, [8, 16])).toThrow(/channels must be \[c_P3, c_P4, c_P5\].*\[8,16\]/);
    expect(() => new Detect_ASFF(5, [8, 16, 32, 64])).toThrow(/Detect_ASFF needs exactly 3 input levels.*\[8,16,32,64\]/);
    const m = new ASFF(1, [8, 16, 32]);
    const xs = pyramid();
    expect(() => m.forward(xs.slice(0, 2))).toThrow(/ASFF\(level=1\): expects the list \[P3, P4, P5\], got 2 maps/);
    expect(() => m.forward([xs[0]!, xs[0]!, xs[2]!])).toThrow(/P4 must be NHWC with 16 channels, got \[1, 8, 12, 8\]/);
    const odd = [xs[0]!, tf.zeros([1, 3, 6, 16]) as tf.Tensor4D, xs[2]!];
    expect(() => m.forward(odd)).toThrow(/does not halve level to level \(P3, P4, P5 = 8x12, 3x6, 2x3\); resized maps are 4x6, 3x6, 4x6/);
    const cfg = loadConfig(yamlPath);
    (cfg.head as unknown[]).push([[15, 18], 1, 'ASFF', [0]]);
    expect(() => parseModel(cfg, { scale: 't', nc: 5 })).toThrow(/layer 23 .*ASFF takes the three maps \[P3, P4, P5\] as 'from', got \[15,18\]/);
    tf.dispose([...xs, odd[1]!]);
    m.dispose();
  });
});
