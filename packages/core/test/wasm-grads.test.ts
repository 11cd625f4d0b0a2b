import { beforeAll, describe, expect, it } from 'vitest';
import { initBackend, parseModel, tf } from '../src/index';
import { config } from './fixtures';

/** Deterministic values in [-0.5, 0.5) (an LCG: no shared RNG state between backends). */
function rnd(shape: number[], seed: number): tf.Tensor {
  let s = seed >>> 0;
  const a = new Float32Array(shape.reduce((p, d) => p * d, 1));
  for (let i = 0; i < a.length; i++) {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    a[i] = s / 4294967296 - 0.5;
  }
  return tf.tensor(a, shape);
}

type Result = Float32Array[];

/** Runs `fn` on a backend and downloads every result; a missing kernel throws out of here. */
async function on(backend: 'cpu' | 'wasm', fn: () => tf.Tensor[]): Promise<Result> {
  await initBackend({ backend, log: false });
  const before = tf.memory().numTensors;
  const outs = fn();
  const data = outs.map((t) => t.dataSync().slice() as Float32Array);
  tf.dispose(outs);
  expect(tf.memory().numTensors).toBe(before);
  return data;
}

/** Max |wasm − cpu| over all outputs, relative to max(1, |cpu|). */
async function compare(fn: () => tf.Tensor[]): Promise<number> {
  const cpu = await on('cpu', fn);
  const wasm = await on('wasm', fn);
  expect(wasm.length).toBe(cpu.length);
  let worst = 0;
  cpu.forEach((c, k) => {
    const w = wasm[k]!;
    expect(w.length).toBe(c.length);
    for (let i = 0; i < c.length; i++) worst = Math.max(worst, Math.abs(w[i]! - c[i]!) / Math.max(1, Math.abs(c[i]!)));
  });
  return worst;
}

/** Gradients of sum(f(x, w) · r) w.r.t. x and w, r a fixed random cotangent. */
function grads(f: (x: tf.Tensor, w: tf.Tensor) => tf.Tensor, xShape: number[], wShape: number[]) {
  return (): tf.Tensor[] =>
    tf.tidy(() => {
      const x = rnd(xShape, 1);
      const w = rnd(wShape, 2);
      const y = f(x, w);
      const r = rnd(y.shape, 3);
      const g = tf.grads((a: tf.Tensor, b: tf.Tensor) => tf.sum(tf.mul(f(a, b), r)));
      return g([x, w]);
    });
}

type P4 = [[number, number], [number, number], [number, number], [number, number]];
const pad = (ph: number, pw: number): P4 => [[0, 0], [ph, ph], [pw, pw], [0, 0]];

describe('wasm gradient kernels match the cpu backend', () => {
  beforeAll(async () => {
    await initBackend({ backend: 'wasm', log: false });
  });

  const convCases: [string, number[], number[], number, P4 | 'same' | 'valid'][] = [
    ['3x3 s1 p1', [2, 9, 11, 5], [3, 3, 5, 7], 1, pad(1, 1)],
    ['3x3 s2 p1, odd size (floor)', [2, 9, 11, 5], [3, 3, 5, 7], 2, pad(1, 1)],
    ['1x1 s1', [2, 6, 7, 8], [1, 1, 8, 4], 1, pad(0, 0)],
    ['1x1 s2, odd size', [2, 7, 9, 8], [1, 1, 8, 4], 2, pad(0, 0)],
    ['5x3 s2 asymmetric pads', [1, 10, 9, 3], [5, 3, 3, 4], 2, [[0, 0], [2, 1], [0, 1], [0, 0]]],
    ['4x4 s2 same', [2, 8, 8, 3], [4, 4, 3, 2], 2, 'same'],
    ['3x3 s3 valid', [1, 11, 10, 2], [3, 3, 2, 3], 3, 'valid'],
  ];
  for (const [name, xs, ws, s, p] of convCases) {
    it(`Conv2D backprop ${name}`, async () => {
      const d = await compare(grads((x, w) => tf.conv2d(x as tf.Tensor4D, w as tf.Tensor4D, s, p), xs, ws));
      expect(d).toBeLessThan(1e-5);
    });
  }

  const dwCases: [string, number[], number[], number, P4 | 'same'][] = [
    ['3x3 s1 p1', [2, 8, 9, 6], [3, 3, 6, 1], 1, pad(1, 1)],
    ['3x3 s2 p1 odd size, multiplier 2', [2, 9, 7, 4], [3, 3, 4, 2], 2, pad(1, 1)],
    ['5x5 s1 same', [1, 7, 7, 3], [5, 5, 3, 1], 1, 'same'],
  ];
  for (const [name, xs, ws, s, p] of dwCases) {
    it(`DepthwiseConv2d backprop ${name}`, async () => {
      const d = await compare(grads((x, w) => tf.depthwiseConv2d(x as tf.Tensor4D, w as tf.Tensor4D, s, p), xs, ws));
      expect(d).toBeLessThan(1e-5);
    });
  }

  const poolCases: [string, number, number, number][] = [
    ['5x5 s1 p2 (SPPF), chained', 5, 1, 2],
    ['3x3 s2 p1 (ASFF), chained', 3, 2, 1],
    ['2x2 s2 p0, chained', 2, 2, 0],
  ];
  for (const [name, k, s, p] of poolCases) {
    it(`MaxPoolGrad ${name}`, async () => {
      // Chaining pools makes ties (equal maxima): the first maximum must win on both backends.
      const f = (x: tf.Tensor) => tf.maxPool(tf.maxPool(x as tf.Tensor4D, k, s, p), k, 1, Math.floor(k / 2) > p ? p : Math.floor(k / 2));
      const d = await compare(grads((x, w) => tf.mul(f(x), tf.sum(w)), [2, 13, 11, 3], [1]));
      expect(d).toBeLessThan(1e-6);
    });
  }

  it('ResizeNearestNeighborGrad at batch 2 (x2 upsample and a fractional resize)', async () => {
    const up = await compare(grads((x, w) => tf.mul(tf.image.resizeNearestNeighbor(x as tf.Tensor4D, [10, 14]), w), [2, 5, 7, 3], [3]));
    const frac = await compare(grads((x, w) => tf.mul(tf.image.resizeNearestNeighbor(x as tf.Tensor4D, [7, 12], true), w), [3, 5, 7, 2], [2]));
    expect(Math.max(up, frac)).toBeLessThan(1e-6);
  });

  it('gather and its gradient (UnsortedSegmentSum), with and without batchDims', async () => {
    const idx = () => tf.tensor2d([[0, 4, 2, 4], [1, 1, 3, 0]], [2, 4], 'int32');
    const plain = await compare(grads((x, w) => tf.mul(tf.gather(x, tf.reshape(idx(), [-1]), 1), w), [3, 5, 2], [2]));
    const batched = await compare(grads((x, w) => tf.mul(tf.gather(x, idx(), 1, 1), w), [2, 5, 3], [3]));
    expect(Math.max(plain, batched)).toBeLessThan(1e-6);
  });
});
