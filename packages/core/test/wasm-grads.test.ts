import { beforeAll, describe, expect, it } from 'vitest';
import { initBackend, parseModel, tf, unregisteredKernels } from '../src/index';
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

  const convCases: [string, number[], number[], number | [number, number], P4 | 'same' | 'valid'][] = [
    ['3x3 s1 p1', [2, 9, 11, 5], [3, 3, 5, 7], 1, pad(1, 1)],
    ['3x3 s2 p1, odd size (floor)', [2, 9, 11, 5], [3, 3, 5, 7], 2, pad(1, 1)],
    ['1x1 s1', [2, 6, 7, 8], [1, 1, 8, 4], 1, pad(0, 0)],
    ['1x1 s2, odd size', [2, 7, 9, 8], [1, 1, 8, 4], 2, pad(0, 0)],
    ['5x3 s2 asymmetric pads', [1, 10, 9, 3], [5, 3, 3, 4], 2, [[0, 0], [2, 1], [0, 1], [0, 0]]],
    ['4x4 s2 same', [2, 8, 8, 3], [4, 4, 3, 2], 2, 'same'],
    ['3x3 s3 valid', [1, 11, 10, 2], [3, 3, 2, 3], 3, 'valid'],
    ['3x3 s2 p1, even size (YOLO downsampling)', [2, 8, 10, 4], [3, 3, 4, 6], 2, pad(1, 1)],
    ['3x3 strides 2x1 p1', [1, 9, 8, 3], [3, 3, 3, 2], [2, 1], pad(1, 1)],
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
      // 3 channels run wasm's scalar path; 10, its four-channel vectors and a tail.
      for (const shape of [[2, 13, 11, 3], [2, 9, 7, 10]]) {
        const d = await compare(grads((x, w) => tf.mul(f(x), tf.sum(w)), shape, [1]));
        expect(d).toBeLessThan(1e-6);
      }
    });
  }

  it('MaxPoolGrad sends each dy to the first maximum of its window (row-major) when values tie, as cpu', async () => {
    const cases: [number, number, number, [number, number, number, number]][] = [
      [5, 1, 2, [2, 7, 9, 10]],
      [3, 2, 1, [1, 8, 6, 7]],
    ];
    for (const [k, s, p, shape] of cases) {
      const fn = () =>
        tf.tidy(() => {
          // Five distinct values: most windows hold several equal maxima.
          const x = tf.round(tf.mul(rnd(shape, 4), 4)) as tf.Tensor4D;
          const dy = rnd(tf.maxPool(x, k, s, p).shape, 5);
          return [tf.grad((a: tf.Tensor) => tf.sum(tf.mul(tf.maxPool(a as tf.Tensor4D, k, s, p), dy)))(x)];
        });
      // Only the order of additions where windows overlap may differ; a wrongly routed dy is off by ~0.1-1.
      expect(await compare(fn)).toBeLessThan(1e-6);
    }
  });

  it('ResizeNearestNeighborGrad at batch 2 equals a direct scatter on both backends (tfjs-cpu\'s own is wrong there)', async () => {
    // Independent reference: every dy pixel added onto the source pixel the forward read.
    const reference = (n: number, h: number, w: number, c: number, src: (oy: number, ox: number) => [number, number], dy: Float32Array, oh: number, ow: number) => {
      const dx = new Float32Array(n * h * w * c);
      for (let b = 0; b < n; b++)
        for (let oy = 0; oy < oh; oy++)
          for (let ox = 0; ox < ow; ox++) {
            const [sy, sx] = src(oy, ox);
            for (let k = 0; k < c; k++) dx[((b * h + sy) * w + sx) * c + k]! += dy[((b * oh + oy) * ow + ox) * c + k]!;
          }
      return dx;
    };
    const cases: [number[], [number, number], boolean, (oy: number, ox: number) => [number, number]][] = [
      [[2, 5, 7, 3], [10, 14], false, (oy, ox) => [Math.floor(oy / 2), Math.floor(ox / 2)]],
      [[3, 5, 7, 2], [7, 12], true, (oy, ox) => [Math.round((oy * 4) / 6), Math.round((ox * 6) / 11)]],
    ];
    for (const backend of ['cpu', 'wasm'] as const) {
      for (const [shape, size, align, src] of cases) {
        const [dx, dy] = await on(backend, () =>
          tf.tidy(() => {
            const x = rnd(shape, 4);
            const r = rnd([shape[0]!, ...size, shape[3]!], 5);
            return [tf.grad((a: tf.Tensor) => tf.sum(tf.mul(tf.image.resizeNearestNeighbor(a as tf.Tensor4D, size, align), r)))(x), r];
          }),
        );
        const want = reference(shape[0]!, shape[1]!, shape[2]!, shape[3]!, src, dy!, size[0], size[1]);
        want.forEach((v, i) => expect(Math.abs(dx![i]! - v), `${backend} [${shape}]→${size} element ${i}`).toBeLessThan(1e-6));
      }
    }
  });

  it('gather and its gradient (UnsortedSegmentSum), with and without batchDims', async () => {
    const idx = () => tf.tensor2d([[0, 4, 2, 4], [1, 1, 3, 0]], [2, 4], 'int32');
    const plain = await compare(grads((x, w) => tf.mul(tf.gather(x, tf.reshape(idx(), [-1]), 1), w), [3, 5, 2], [2]));
    const batched = await compare(grads((x, w) => tf.mul(tf.gather(x, idx(), 1, 1), w), [2, 5, 3], [3]));
    expect(Math.max(plain, batched)).toBeLessThan(1e-6);
  });
});

// Train mode normalises P5 (2x2 maps, 8 values per channel) with batch statistics, which amplifies
// float32 summation-order differences to ~2e-4 of a gradient's max; eval mode isolates the kernels (~5e-6).
const STEP_MODES: [string, boolean, number][] = [
  ['train mode (batch-statistics BN)', true, 3e-4],
  ['eval mode', false, 2e-5],
];

describe('one training step of yolov8.yaml (scale t, batch 2, 64x64) on wasm', () => {
  for (const [mode, training, rtol] of STEP_MODES) {
    it(`${mode}: runs only wasm-registered kernels and every parameter gradient matches cpu within ${rtol} of its max`, async () => {
      const { readCase } = await import('../src/index');
      const { fixture } = await import('./fixtures');
      const weights = readCase(fixture('models/model_yolov8_t.safetensors')).weights;
      const step = async (backend: 'cpu' | 'wasm') => {
        await initBackend({ backend, log: false });
        const model = parseModel(config('yolov8', 'yolov8.yaml'), { scale: 't', nc: 5 }).loadStateDict(weights);
        model.train(training);
        const vars = model.trainableVariables();
        const kernels = new Set<string>();
        const before = tf.memory().numTensors;
        let grads: Float32Array[] = [];
        const prof = await tf.profile(() => {
          const { value, grads: g } = tf.variableGrads(() =>
            tf.tidy(() => {
              const { feats } = model.forward(rnd([2, 64, 64, 3], 7) as tf.Tensor4D);
              // A fixed random cotangent plus a square term: every parameter gets a non-trivial gradient.
              const terms = feats.map((f, i) => tf.add(tf.sum(tf.mul(f, rnd(f.shape, 10 + i))), tf.mul(tf.sum(tf.square(f)), 1e-3)));
              return tf.addN(terms) as tf.Scalar;
            }),
          vars);
          grads = vars.map((v) => g[v.name]!.dataSync().slice() as Float32Array);
          tf.dispose([value, ...Object.values(g)]);
        });
        prof.kernels.forEach((k) => kernels.add(k.name));
        expect(tf.memory().numTensors).toBe(before);
        model.dispose();
        return { grads, kernels, names: [...model.namedEntries()].filter(([, e]) => e.trainable).map(([k]) => k) };
      };
      const cpu = await step('cpu');
      const wasm = await step('wasm');
      const missing = unregisteredKernels(wasm.kernels, 'wasm');
      expect(missing, 'kernels run without a wasm registration').toEqual([]);
      for (const k of ['Conv2DBackpropFilter', 'Conv2DBackpropInput', 'MaxPoolGrad', 'ResizeNearestNeighborGrad']) expect(wasm.kernels).toContain(k);
      expect(wasm.grads.length).toBe(cpu.grads.length);
      cpu.grads.forEach((c, i) => {
        const w = wasm.grads[i]!;
        let scale = 0;
        let diff = 0;
        for (let j = 0; j < c.length; j++) {
          scale = Math.max(scale, Math.abs(c[j]!));
          diff = Math.max(diff, Math.abs(w[j]! - c[j]!));
        }
        expect(scale, `${cpu.names[i]} has a zero gradient`).toBeGreaterThan(0);
        expect(diff, `${cpu.names[i]}: max |wasm − cpu| ${diff} against max |g| ${scale}`).toBeLessThanOrEqual(rtol * scale + 1e-6);
      });
    });
  }
});
