import fc from 'fast-check';
import { beforeAll, describe, expect, it } from 'vitest';
import { initBackend, tf } from '../src/index';

// yolomods replaces wasm's Identity, Cast, Slice, SplitV, Concat and Transpose (see src/wasm/copy-kernels.ts);
// each must give exactly what tfjs-cpu gives, for any shape, axis and dtype.

const dims = fc.array(fc.integer({ min: 1, max: 5 }), { minLength: 1, maxLength: 5 });
const dtypes = fc.constantFrom<'float32' | 'int32' | 'bool'>('float32', 'int32', 'bool');

function values(size: number, dtype: string, seed: number): number[] {
  return Array.from({ length: size }, (_, i) => (dtype === 'bool' ? (i * 7 + seed) % 3 === 0 ? 1 : 0 : ((i * 37 + seed) % 101) - 50 + (dtype === 'float32' ? 0.25 : 0)));
}

/** Runs `fn` on wasm and on cpu over the same inputs; returns both results' shapes and values. */
async function both(fn: () => tf.Tensor[]): Promise<{ wasm: [number[], number[]][]; cpu: [number[], number[]][] }> {
  const run = async (backend: 'wasm' | 'cpu') => {
    await tf.setBackend(backend);
    const before = tf.memory().numTensors;
    const outs = fn();
    const r = outs.map((t) => [t.shape, Array.from(t.dataSync())] as [number[], number[]]);
    tf.dispose(outs);
    expect(tf.memory().numTensors).toBe(before);
    return r;
  };
  return { wasm: await run('wasm'), cpu: await run('cpu') };
}

describe('wasm data-movement kernels equal tfjs-cpu', () => {
  beforeAll(async () => {
    await initBackend({ backend: 'cpu', log: false });
    await initBackend({ backend: 'wasm', log: false });
  });

  it('Slice: any begin and size on any rank up to 5', async () => {
    const sliceCase = dims.chain((shape) =>
      fc.tuple(
        fc.constant(shape),
        fc.tuple(...shape.map((d) => fc.integer({ min: 0, max: d - 1 }).chain((b) => fc.tuple(fc.constant(b), fc.integer({ min: 0, max: d - b }))))),
        dtypes,
      ),
    );
    await fc.assert(
      fc.asyncProperty(sliceCase, async ([shape, bs, dtype]) => {
        const size = shape.reduce((a, v) => a * v, 1);
        const data = values(size, dtype, shape.length);
        const r = await both(() => tf.tidy(() => [tf.slice(tf.tensor(data, shape, dtype), bs.map((p) => p[0]), bs.map((p) => p[1]))]));
        expect(r.wasm).toEqual(r.cpu);
      }),
      { numRuns: 150 },
    );
  });

  it('Concat and SplitV: any axis, any number of parts, empty parts included', async () => {
    const concatCase = dims.chain((shape) =>
      fc.tuple(fc.constant(shape), fc.integer({ min: 0, max: shape.length - 1 }), fc.array(fc.integer({ min: 0, max: 4 }), { minLength: 1, maxLength: 4 }), dtypes),
    );
    await fc.assert(
      fc.asyncProperty(concatCase, async ([shape, axis, widths, dtype]) => {
        const parts = widths.map((wd, i) => {
          const sh = shape.map((d, k) => (k === axis ? wd : d));
          return { sh, data: values(sh.reduce((a, v) => a * v, 1), dtype, i) };
        });
        const total = widths.reduce((a, v) => a + v, 0);
        const r = await both(() =>
          tf.tidy(() => {
            const joined = tf.concat(parts.map((p) => tf.tensor(p.data, p.sh, dtype)), axis);
            return total > 0 ? [joined, ...tf.split(joined, widths, axis)] : [joined];
          }),
        );
        expect(r.wasm).toEqual(r.cpu);
      }),
      { numRuns: 150 },
    );
  });

  it('Transpose: any permutation of any rank up to 5', async () => {
    const transposeCase = dims.chain((shape) =>
      fc.tuple(fc.constant(shape), fc.shuffledSubarray([...shape.keys()], { minLength: shape.length, maxLength: shape.length }), dtypes),
    );
    await fc.assert(
      fc.asyncProperty(transposeCase, async ([shape, perm, dtype]) => {
        const data = values(shape.reduce((a, v) => a * v, 1), dtype, perm[0]!);
        const r = await both(() => tf.tidy(() => [tf.transpose(tf.tensor(data, shape, dtype), perm)]));
        expect(r.wasm).toEqual(r.cpu);
      }),
      { numRuns: 200 },
    );
  });

  it('Identity and same-dtype Cast share data: each copy outlives its source, memory is freed with the last', async () => {
    await tf.setBackend('wasm');
    const before = tf.memory();
    const x = tf.tensor([1.5, -2, 3], [3]);
    const copies = [tf.clone(x), tf.cast(x, 'float32'), tf.cast(x, 'int32')];
    // Shared, not copied: only the int32 cast holds a buffer of its own.
    expect(tf.memory().numDataBuffers - before.numDataBuffers).toBe(2);
    x.dispose();
    expect(Array.from(copies[0]!.dataSync())).toEqual([1.5, -2, 3]);
    expect(Array.from(copies[1]!.dataSync())).toEqual([1.5, -2, 3]);
    expect(Array.from(copies[2]!.dataSync())).toEqual([1, -2, 3]);
    expect(copies[2]!.dtype).toBe('int32');
    tf.dispose(copies);
    expect(tf.memory().numTensors).toBe(before.numTensors);
    expect(tf.memory().numBytes).toBe(before.numBytes);
    expect(tf.memory().numDataBuffers).toBe(before.numDataBuffers);
  });

  it('a gradient through saved (cloned) tensors is unchanged when the forward values are disposed', async () => {
    await tf.setBackend('wasm');
    const x = tf.tensor([0.5, -1, 2], [3]);
    const g = tf.grad((t: tf.Tensor) => tf.sum(tf.mul(t, tf.sigmoid(t))))(x);
    const s = [0.5, -1, 2].map((v) => 1 / (1 + Math.exp(-v)));
    const expected = [0.5, -1, 2].map((v, i) => s[i]! + v * s[i]! * (1 - s[i]!));
    Array.from(g.dataSync()).forEach((v, i) => expect(v).toBeCloseTo(expected[i]!, 5));
    tf.dispose([x, g]);
  });
});
