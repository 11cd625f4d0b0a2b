import fc from 'fast-check';
import { beforeAll, describe, expect, it } from 'vitest';
import { initBackend, tf } from '../src/index';

// core replaces Mean and Sum on wasm and cpu (src/wasm/reduce-kernels.ts); both are checked against a
// plain loop, for any rank, any set of axes (contiguous or not, innermost or not) and keepDims.

/** Mean or sum of `data` (row-major `shape`) over `axes`, by visiting every element. */
function reference(data: Float32Array, shape: number[], axes: number[], kind: 'mean' | 'sum', keepDims: boolean): { shape: number[]; values: number[] } {
  const outShape = shape.map((d, i) => (axes.includes(i) ? 1 : d));
  const outSize = outShape.reduce((a, v) => a * v, 1);
  const acc = new Float64Array(outSize);
  const idx = new Array<number>(shape.length).fill(0);
  for (let e = 0; e < data.length; e++) {
    let o = 0;
    for (let d = 0; d < shape.length; d++) o = o * outShape[d]! + (axes.includes(d) ? 0 : idx[d]!);
    acc[o]! += data[e]!;
    for (let d = shape.length - 1; d >= 0; d--) {
      if (++idx[d]! < shape[d]!) break;
      idx[d] = 0;
    }
  }
  const count = axes.reduce((a, d) => a * shape[d]!, 1);
  return { shape: keepDims ? outShape : shape.filter((_, i) => !axes.includes(i)), values: Array.from(acc, (v) => (kind === 'mean' ? v / count : v)) };
}

describe('Mean and Sum kernels equal a plain loop on wasm and cpu', () => {
  beforeAll(async () => {
    await initBackend({ backend: 'cpu', log: false });
    await initBackend({ backend: 'wasm', log: false });
  });

  const reduceCase = fc
    .array(fc.integer({ min: 1, max: 6 }), { minLength: 1, maxLength: 5 })
    .chain((shape) => fc.tuple(fc.constant(shape), fc.subarray(shape.map((_, i) => i), { minLength: 1 }), fc.constantFrom<'mean' | 'sum'>('mean', 'sum'), fc.boolean()));

  for (const backend of ['wasm', 'cpu'] as const) {
    it(`${backend}: any rank, any axes, keepDims or not`, async () => {
      await tf.setBackend(backend);
      fc.assert(
        fc.property(reduceCase, ([shape, axes, kind, keepDims]) => {
          const size = shape.reduce((a, v) => a * v, 1);
          const data = Float32Array.from({ length: size }, (_, i) => (((i * 37) % 101) - 50) / 7);
          const want = reference(data, shape, axes, kind, keepDims);
          const before = tf.memory().numTensors;
          const got = tf.tidy(() => (kind === 'mean' ? tf.mean : tf.sum)(tf.tensor(data, shape), axes, keepDims));
          expect(got.shape).toEqual(want.shape);
          const values = got.dataSync();
          got.dispose();
          expect(tf.memory().numTensors).toBe(before);
          want.values.forEach((v, i) => expect(Math.abs(values[i]! - v)).toBeLessThanOrEqual(1e-5 * Math.max(1, Math.abs(v)) * Math.sqrt(size)));
        }),
        { numRuns: 200 },
      );
    });
  }

  it('int32 sums stay exact and int32 (handed to the stock kernel)', async () => {
    await tf.setBackend('wasm');
    const s = tf.sum(tf.tensor([[1, 2], [3, 4]], [2, 2], 'int32'), 0);
    expect(s.dtype).toBe('int32');
    expect(Array.from(s.dataSync())).toEqual([4, 6]);
    s.dispose();
  });
});
