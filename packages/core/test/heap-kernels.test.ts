import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { adamwUpdate, initBackend, sgdUpdate, tf } from '../src/index';
import { optimizerOps } from '../src/ops/optim';
import { heapKernels } from '../src/wasm/heap-kernels';

// heap-kernels.wat (src/wasm) backs the wasm Slice/SplitV/Concat/Transpose kernels; here it runs on
// memories of its own, shared (tfjs-wasm with threads) and unshared (one thread), against plain loops.

const memories = {
  shared: () => new WebAssembly.Memory({ initial: 1, maximum: 4, shared: true }),
  unshared: () => new WebAssembly.Memory({ initial: 1 }),
};

/** Index of the first element where `a` and `b` differ, or -1 (deep equality of 64 KiB arrays is slow). */
function firstDifference(a: ArrayLike<number>, b: ArrayLike<number>): number {
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return i;
  return a.length === b.length ? -1 : a.length;
}

/** The heap kernels on a fresh memory from `make`, filled with a byte pattern. */
function onFreshMemory(make: () => WebAssembly.Memory) {
  const memory = make();
  const kernels = heapKernels({ wasmMemory: memory });
  expect(kernels).not.toBeNull();
  const bytes = new Uint8Array(memory.buffer);
  for (let i = 0; i < bytes.length; i++) bytes[i] = (i * 131 + 7) & 255;
  return { kernels: kernels!, bytes, words: new Int32Array(memory.buffer) };
}

describe('heap-kernels.wat', () => {
  it('is compiled from its current source', () => {
    const script = fileURLToPath(new URL('../../../scripts/build-wasm.mjs', import.meta.url));
    const r = spawnSync(process.execPath, [script, fileURLToPath(new URL('../src/wasm', import.meta.url)), '--check'], { encoding: 'utf8' });
    expect(r.stderr).toBe('');
    expect(r.status).toBe(0);
  });

  for (const [kind, make] of Object.entries(memories)) {
    it(`rows: strided runs of any byte length, vector body and tail (${kind} memory)`, () => {
      const row = fc.record({
        src: fc.integer({ min: 0, max: 4000 }),
        dst: fc.integer({ min: 30000, max: 34000 }),
        bytes: fc.integer({ min: 0, max: 70 }),
        srcGap: fc.integer({ min: 0, max: 40 }),
        dstGap: fc.integer({ min: 0, max: 40 }),
        rows: fc.integer({ min: 0, max: 20 }),
      });
      fc.assert(
        fc.property(row, (c) => {
          const { kernels: copy, bytes: heap } = onFreshMemory(make);
          const expected = heap.slice();
          for (let r = 0; r < c.rows; r++) {
            for (let b = 0; b < c.bytes; b++) expected[c.dst + r * (c.bytes + c.dstGap) + b] = expected[c.src + r * (c.bytes + c.srcGap) + b]!;
          }
          copy.rows(c.src, c.bytes + c.srcGap, c.dst, c.bytes + c.dstGap, c.bytes, c.rows);
          expect(firstDifference(heap, expected)).toBe(-1);
        }),
        { numRuns: 60 },
      );
    });

    it(`transpose: repeated strided matrices of 4-byte elements, partial tiles included (${kind} memory)`, () => {
      const block = fc.record({
        rows: fc.integer({ min: 1, max: 19 }),
        cols: fc.integer({ min: 1, max: 11 }),
        count: fc.integer({ min: 0, max: 3 }),
        srcPad: fc.integer({ min: 0, max: 3 }),
        dstPad: fc.integer({ min: 0, max: 3 }),
      });
      fc.assert(
        fc.property(block, (c) => {
          const { kernels: copy, words } = onFreshMemory(make);
          const [src, dst] = [0, 8000];
          const srcStride = c.cols + c.srcPad;
          const dstStride = c.rows + c.dstPad;
          const srcStep = c.rows * srcStride;
          const dstStep = c.cols * dstStride;
          const expected = words.slice();
          for (let k = 0; k < c.count; k++) {
            for (let i = 0; i < c.rows; i++) {
              for (let j = 0; j < c.cols; j++) expected[dst + k * dstStep + j * dstStride + i] = expected[src + k * srcStep + i * srcStride + j]!;
            }
          }
          copy.transpose(src * 4, srcStride * 4, dst * 4, dstStride * 4, c.rows, c.cols, c.count, srcStep * 4, dstStep * 4);
          expect(firstDifference(words, expected)).toBe(-1);
        }),
        { numRuns: 60 },
      );
    });
  }

  it("loads on tfjs-wasm's own memory (so the copy kernels use it, not their JavaScript fallback)", async () => {
    await initBackend({ backend: 'wasm', log: false });
    expect(heapKernels((tf.backend() as unknown as { wasm: unknown }).wasm)).not.toBeNull();
  });
});

describe('one-pass optimiser updates (heap-kernels.wat) equal the tf-ops updates', () => {
  const settings = fc.record({
    n: fc.integer({ min: 1, max: 37 }),
    lr: fc.double({ min: 1e-5, max: 0.1, noNaN: true }),
    momentum: fc.double({ min: 0.5, max: 0.99, noNaN: true }),
    weightDecay: fc.constantFrom(0, 5e-4, 0.05),
    gradScale: fc.constantFrom(1, 0.37),
    step: fc.integer({ min: 1, max: 50 }),
    seed: fc.integer({ min: 0, max: 1000 }),
  });
  const values = (n: number, seed: number, scale: number, positive = false) =>
    Array.from({ length: n }, (_, i) => {
      const x = Math.sin(seed * 7.1 + i * 3.7) * scale;
      return positive ? Math.abs(x) : x;
    });

  /** Runs `fn` on wasm and on cpu; returns each result's values. */
  async function onBoth(fn: () => tf.Tensor[]): Promise<{ wasm: Float32Array[]; cpu: Float32Array[] }> {
    const run = async (backend: string) => {
      await tf.setBackend(backend);
      const before = tf.memory().numTensors;
      const outs = fn();
      const r = outs.map((t) => t.dataSync() as Float32Array);
      tf.dispose(outs);
      expect(tf.memory().numTensors).toBe(before);
      return r;
    };
    return { wasm: await run('wasm'), cpu: await run('cpu') };
  }

  const maxDiff = (a: Float32Array[], b: Float32Array[]) => Math.max(...a.map((x, i) => Math.max(0, ...x.map((v, j) => Math.abs(v - b[i]![j]!)))));

  it('AdamW: kernel on wasm, tf ops on wasm and on cpu agree to the bit', async () => {
    await initBackend({ backend: 'cpu', log: false });
    await initBackend({ backend: 'wasm', log: false });
    await fc.assert(
      fc.asyncProperty(settings, async (s) => {
        const h = { lr: s.lr, beta1: s.momentum, beta2: 0.999, eps: 1e-8, weightDecay: s.weightDecay, step: s.step, gradScale: s.gradScale };
        const make = () => [values(s.n, s.seed, 1), values(s.n, s.seed + 1, 0.1), values(s.n, s.seed + 2, 0.01), values(s.n, s.seed + 3, 1e-4, true)].map((v) => tf.tensor1d(v));
        const kernel = await onBoth(() => tf.tidy(() => { const [p, g, m, v] = make(); return adamwUpdate(p!, g!, m!, v!, h); }));
        const ops = await onBoth(() => tf.tidy(() => { const [p, g, m, v] = make(); return optimizerOps.adamw(p!, g!, m!, v!, h); }));
        expect(maxDiff(kernel.wasm, ops.wasm)).toBe(0);
        expect(maxDiff(kernel.wasm, ops.cpu)).toBe(0);
        expect(maxDiff(kernel.wasm, kernel.cpu)).toBe(0);
      }),
      { numRuns: 40 },
    );
    // The comparison above means something only if wasm ran the one-pass kernels, not the tf-ops fallback.
    await tf.setBackend('wasm');
    const ran = await tf.profile(() => {
      const [p, g, m, v, b] = [0, 1, 2, 3, 4].map((i) => tf.fill([5], i + 1));
      tf.dispose([...adamwUpdate(p!, g!, m!, v!, { lr: 0.01, beta1: 0.9, beta2: 0.999, eps: 1e-8, weightDecay: 0, step: 1 }), ...sgdUpdate(p!, g!, b!, { lr: 0.01, momentum: 0.9, weightDecay: 0 })]);
      tf.dispose([p, g, m, v, b]);
    });
    expect(ran.kernels.map((k) => k.name)).toEqual(expect.arrayContaining(['YolomodsAdamW', 'YolomodsSGD']));
  });

  it('Nesterov SGD: kernel on wasm, tf ops on wasm and on cpu agree to the bit; a zero buffer gives the first step', async () => {
    await fc.assert(
      fc.asyncProperty(settings, async (s) => {
        const h = { lr: s.lr, momentum: s.momentum, weightDecay: s.weightDecay, gradScale: s.gradScale };
        const make = (zeroBuffer: boolean) => [values(s.n, s.seed, 1), values(s.n, s.seed + 1, 0.1), zeroBuffer ? new Array<number>(s.n).fill(0) : values(s.n, s.seed + 2, 0.05)].map((v) => tf.tensor1d(v));
        for (const zero of [false, true]) {
          const kernel = await onBoth(() => tf.tidy(() => { const [p, g, b] = make(zero); return sgdUpdate(p!, g!, b!, h); }));
          const ops = await onBoth(() => tf.tidy(() => { const [p, g, b] = make(zero); return optimizerOps.sgd(p!, g!, b!, h); }));
          expect(maxDiff(kernel.wasm, ops.wasm)).toBe(0);
          expect(maxDiff(kernel.wasm, ops.cpu)).toBe(0);
          if (zero) {
            // PyTorch's first step: buffer = d = g·scale + p·wd.
            const p = values(s.n, s.seed, 1);
            const g = values(s.n, s.seed + 1, 0.1);
            kernel.wasm[1]!.forEach((b, j) => expect(b).toBeCloseTo(g[j]! * s.gradScale + p[j]! * s.weightDecay, 5));
          }
        }
      }),
      { numRuns: 40 },
    );
  });
});
