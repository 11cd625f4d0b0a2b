import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { initBackend, tf } from '../src/index';
import { heapCopy } from '../src/wasm/heap-wasm';

// heap-copy.wat (src/wasm) backs the wasm Slice/SplitV/Concat/Transpose kernels; here it runs on
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

function filled(memory: WebAssembly.Memory): Uint8Array {
  const bytes = new Uint8Array(memory.buffer);
  for (let i = 0; i < bytes.length; i++) bytes[i] = (i * 131 + 7) & 255;
  return bytes;
}

describe('heap-copy.wat', () => {
  it('is compiled from its current source', () => {
    const script = fileURLToPath(new URL('../scripts/build-wasm.mjs', import.meta.url));
    const r = spawnSync(process.execPath, [script, '--check'], { encoding: 'utf8' });
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
          const memory = make();
          const copy = heapCopy({ wasmMemory: memory });
          expect(copy).not.toBeNull();
          const heap = filled(memory);
          const expected = heap.slice();
          for (let r = 0; r < c.rows; r++) {
            for (let b = 0; b < c.bytes; b++) expected[c.dst + r * (c.bytes + c.dstGap) + b] = expected[c.src + r * (c.bytes + c.srcGap) + b]!;
          }
          copy!.rows(c.src, c.bytes + c.srcGap, c.dst, c.bytes + c.dstGap, c.bytes, c.rows);
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
          const memory = make();
          const copy = heapCopy({ wasmMemory: memory })!;
          filled(memory);
          const words = new Int32Array(memory.buffer);
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
    expect(heapCopy((tf.backend() as unknown as { wasm: unknown }).wasm)).not.toBeNull();
  });
});
