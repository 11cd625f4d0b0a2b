import { SHARED, UNSHARED } from './heap-kernels.wasm';

/** heap-kernels.wat's exports; addresses, strides and steps in bytes on tfjs-wasm's heap. */
export interface HeapKernels {
  /** `rows` runs of `bytes` bytes from `src + r·srcStride` to `dst + r·dstStride`. */
  rows(src: number, srcStride: number, dst: number, dstStride: number, bytes: number, rows: number): void;
  /** `count` times (stepping by `srcStep`/`dstStep`): a `rows`×`cols` matrix of 4-byte elements written transposed. */
  transpose(src: number, srcStride: number, dst: number, dstStride: number, rows: number, cols: number, count: number, srcStep: number, dstStep: number): void;
  /** One AdamW step over `n` floats at `p`, `g`, `m`, `v`, written to `po`, `mo`, `vo` (see the .wat for the formula). */
  adamw(p: number, g: number, m: number, v: number, po: number, mo: number, vo: number, n: number, coef: number, decay: number, b1: number, c1: number, b2: number, c2: number, sbc2: number, eps: number, step: number): void;
  /** One Nesterov SGD step over `n` floats at `p`, `g`, `b`, written to `po`, `bo`. */
  sgd(p: number, g: number, b: number, po: number, bo: number, n: number, coef: number, wd: number, mom: number, lr: number): void;
}

const loaded = new WeakMap<WebAssembly.Memory, HeapKernels | null>();

function decode(base64: string): Uint8Array<ArrayBuffer> {
  return Uint8Array.from(atob(base64), (c) => c.charCodeAt(0));
}

/** tfjs-wasm's memory: the threaded build keeps it on the module, the single-thread build exports it. */
function memoryOf(module: unknown): unknown {
  const m = module as { wasmMemory?: unknown; asm?: { memory?: unknown } } | undefined;
  return m?.wasmMemory ?? m?.asm?.memory;
}

/**
 * heap-kernels.wat instantiated on the memory of tfjs-wasm's module (`backend.wasm`), or null where the
 * engine refuses it (no SIMD or bulk memory): callers then fall back to JavaScript loops, stock kernels or tf ops.
 */
export function heapKernels(wasmModule: unknown): HeapKernels | null {
  const memory = memoryOf(wasmModule);
  if (!(memory instanceof WebAssembly.Memory)) return null;
  let copy = loaded.get(memory);
  if (copy === undefined) {
    try {
      const shared = typeof SharedArrayBuffer !== 'undefined' && memory.buffer instanceof SharedArrayBuffer;
      // About a kilobyte: synchronous compilation is allowed everywhere (browsers cap it at 4 KB).
      const instance = new WebAssembly.Instance(new WebAssembly.Module(decode(shared ? SHARED : UNSHARED)), { env: { memory } });
      copy = instance.exports as unknown as HeapKernels;
    } catch {
      copy = null;
    }
    loaded.set(memory, copy);
  }
  return copy;
}
