import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import { initBackend, registry, tf } from '@yolomods/core';
import { DAttention } from '../src/index';

describe('DAttention behaviour (wasm)', () => {
  beforeAll(async () => {
    await initBackend({ backend: 'wasm', log: false });
  });
  afterEach(() => {
    DAttention.maxAttentionBytes = 256 * 2 ** 20;
  });

  it('is registered as DAttention and DAttentionBaseline with the input-channels rule', () => {
    const a = registry.get('DAttention');
    expect(registry.get('DAttentionBaseline')).toBe(a);
    expect(a.package).toBe('@yolomods/dat');
  });

  it('the PyTorch module tree: 14 modules, state-dict keys of the seed', () => {
    const m = new DAttention(16);
    expect(m.modules().size).toBe(14);
    expect(Object.keys(m.stateDict())).toEqual([
      'conv_offset.0.weight', 'conv_offset.0.bias', 'conv_offset.1.norm.weight', 'conv_offset.1.norm.bias', 'conv_offset.3.weight',
      'proj_q.weight', 'proj_q.bias', 'proj_k.weight', 'proj_k.bias', 'proj_v.weight', 'proj_v.bias',
      'proj_out.weight', 'proj_out.bias', 'rpe_table.weight', 'rpe_table.bias',
    ]);
    m.dispose();
  });

  it('vis keeps the last sampling positions (one tensor, replaced each forward, freed when switched off)', () => {
    const m = new DAttention(16);
    const x = tf.randomNormal([1, 5, 7, 16]) as tf.Tensor4D;
    expect(m.lastPositions).toBeNull();
    m.vis = true;
    tf.dispose(m.forward(x));
    const before = tf.memory().numTensors;
    tf.dispose(m.forward(x));
    expect(tf.memory().numTensors).toBe(before);
    const pos = m.lastPositions!;
    expect(pos.shape).toEqual([1, 5, 7, 2]);
    expect(m.lastInputSize).toEqual([5, 7]);
    const expected = tf.tidy(() => m.positions(m.projQ.forward(x)));
    expect(tf.tidy(() => tf.max(tf.abs(tf.sub(pos, expected))).dataSync()[0])).toBe(0);
    expected.dispose();
    m.vis = false;
    tf.dispose(m.forward(x));
    expect(m.lastPositions).toBeNull();
    expect(tf.memory().numTensors).toBe(before - 1);
    x.dispose();
    m.dispose();
  });

  it('repeated forwards and backwards keep the tensor count', () => {
    const m = new DAttention(16);
    const x = tf.randomNormal([1, 5, 7, 16]) as tf.Tensor4D;
    const before = tf.memory().numTensors;
    for (let i = 0; i < 2; i++) {
      tf.dispose(m.forward(x));
      const { value, grads } = tf.variableGrads(() => tf.sum(m.forward(x)) as tf.Scalar, m.trainableVariables());
      expect(Object.keys(grads)).toHaveLength(15);
      tf.dispose([value, ...Object.values(grads)]);
      expect(tf.memory().numTensors).toBe(before);
    }
    x.dispose();
    m.dispose();
  });

  it('attention bytes are B·heads·HW·Ns·4, and yolov8n at 640 fits the default budget (P5 20x20x256, P4 40x40x128)', () => {
    const p5 = new DAttention(256);
    const p4 = new DAttention(128);
    expect(p5.attentionBytes([1, 20, 20, 256])).toBe(8 * 400 * 400 * 4);
    expect(p4.attentionBytes([1, 40, 40, 128])).toBe(8 * 1600 * 1600 * 4);
    expect(p4.attentionBytes([1, 40, 40, 128])).toBeLessThanOrEqual(DAttention.maxAttentionBytes);
    p5.dispose();
    p4.dispose();
  });

  it('refuses an attention matrix over the budget, saying the shape, the bytes and how to raise it', () => {
    const m = new DAttention(16);
    const x = tf.zeros([2, 6, 8, 16]) as tf.Tensor4D;
    const bytes = 2 * 8 * 48 * 48 * 4;
    DAttention.maxAttentionBytes = bytes - 1;
    const before = tf.memory().numTensors;
    expect(() => m.forward(x)).toThrow(/attention matrix \[16, 48, 48\] of 147456 bytes.*budget of 147455 bytes.*DAttention\.maxAttentionBytes/);
    expect(tf.memory().numTensors).toBe(before);
    DAttention.maxAttentionBytes = bytes;
    tf.dispose(m.forward(x));
    // The instance option wins over the static default.
    const small = new DAttention(16, null, 8, 1, 0, 0, 1, -1, true, true, false, false, 9, false, { maxAttentionBytes: 1000 });
    expect(() => small.forward(x)).toThrow(/over the budget of 1000 bytes/);
    small.maxAttentionBytes = bytes;
    tf.dispose(small.forward(x));
    tf.dispose(x);
    m.dispose();
    small.dispose();
  });

  it('rejects bad inputs and configurations with the numbers', () => {
    const m = new DAttention(16);
    const wrongC = tf.zeros([1, 4, 4, 8]) as tf.Tensor4D;
    expect(() => m.forward(wrongC)).toThrow('DAttention(16): expected an NHWC input [B, H, W, 16], got [1, 4, 4, 8]');
    const tiny = tf.zeros([1, 1, 4, 16]) as tf.Tensor4D;
    expect(() => m.forward(tiny)).toThrow(/key grid 1x4 of a 1x4 input needs at least 2 rows/);
    tf.dispose([wrongC, tiny]);
    m.dispose();
    expect(() => new DAttention(20)).toThrow(/multiple of 8/);
    expect(() => new DAttention(16, null, 4)).toThrow(/n_heads=4 × head channels 2/);
    expect(() => new DAttention(16, null, 8, 3)).toThrow(/n_groups=3/);
    expect(() => new DAttention(16, null, 8, 1, 0, 0, 1, -1, true, false, false, true)).toThrow('fixed_pe=true is not supported yet');
    expect(() => new DAttention(16, null, 8, 1, 0, 0, 1, -1, true, false, false, false, 9, true)).toThrow('log_cpb=true is not supported yet');
    expect(() => new DAttention(16, null, 8, 1, 0, 0, 1, -1, true, false)).toThrow('dwc_pe=false (relative position bias table) is not supported yet');
  });

  it('no_off attends to the (pooled) input itself, has no rpe_table and freezes the offset network', () => {
    const m = new DAttention(16, null, 8, 1, 0, 0, 1, -1, true, true, true);
    expect(Object.keys(m.stateDict())).not.toContain('rpe_table.weight');
    expect(m.countParameters().gradients).toBe(m.countParameters().parameters - (16 * 81 + 16 + 16 + 16 + 32));
    const x = tf.randomNormal([1, 3, 4, 16]) as tf.Tensor4D;
    // With offsets off and stride 1 the keys are the pixels themselves: attention over proj_k/proj_v of x.
    const y = m.forward(x);
    const want = tf.tidy(() => {
      const q = tf.reshape(m.projQ.forward(x), [12, 8, 2]).transpose([1, 0, 2]);
      const k = tf.reshape(m.projK.forward(x), [12, 8, 2]).transpose([1, 0, 2]);
      const v = tf.reshape(m.projV.forward(x), [12, 8, 2]).transpose([1, 0, 2]);
      const a = tf.softmax(tf.mul(tf.matMul(q, k, false, true), 2 ** -0.5));
      const o = tf.reshape(tf.transpose(tf.matMul(a, v), [1, 0, 2]), [1, 3, 4, 16]);
      return m.projOut.forward(o as tf.Tensor4D);
    });
    expect(tf.max(tf.abs(tf.sub(y, want))).dataSync()[0]).toBeLessThan(1e-5);
    tf.dispose([x, y, want]);
    m.dispose();
  });

  it('offset_range_factor ≥ 0 bounds offsets with tanh instead of clamping, and stride 2 samples a half-size key grid', () => {
    const m = new DAttention(16, null, 8, 1, 0, 0, 2, 2);
    expect(m.keyGrid(6, 8)).toEqual([3, 4]);
    const x = tf.randomNormal([1, 6, 8, 16]) as tf.Tensor4D;
    const pos = tf.tidy(() => m.positions(m.projQ.forward(x)));
    expect(pos.shape).toEqual([1, 3, 4, 2]);
    const p = pos.arraySync() as number[][][][];
    // |offset| < factor/(n-1) around the reference points (i+0.5)/(n-1)·2-1.
    expect(Math.abs(p[0]![0]![0]![0]! - (0.5 / 2) * 2 + 1)).toBeLessThan(2 / 2);
    expect(Math.abs(p[0]![0]![0]![1]! - (0.5 / 3) * 2 + 1)).toBeLessThan(2 / 3);
    const y = m.forward(x);
    expect(y.shape).toEqual([1, 6, 8, 16]);
    tf.dispose([x, pos, y]);
    m.dispose();
  });
});
