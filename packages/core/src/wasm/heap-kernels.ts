import * as copyModule from './heap-kernels.wasm';
import * as layerModule from './layer-kernels.wasm';

/** heap-kernels.wat's and layer-kernels.wat's exports; addresses, strides and steps in bytes on tfjs-wasm's heap. */
export interface HeapKernels {
  /** `rows` runs of `bytes` bytes from `src + r·srcStride` to `dst + r·dstStride`. */
  rows(src: number, srcStride: number, dst: number, dstStride: number, bytes: number, rows: number): void;
  /** `count` times (stepping by `srcStep`/`dstStep`): a `rows`×`cols` matrix of 4-byte elements written transposed. */
  transpose(src: number, srcStride: number, dst: number, dstStride: number, rows: number, cols: number, count: number, srcStep: number, dstStep: number): void;
  /** One AdamW step over `n` floats at `p`, `g`, `m`, `v`, written to `po`, `mo`, `vo` (see the .wat for the formula). */
  adamw(p: number, g: number, m: number, v: number, po: number, mo: number, vo: number, n: number, coef: number, decay: number, b1: number, c1: number, b2: number, c2: number, sbc2: number, eps: number, step: number): void;
  /** One Nesterov SGD step over `n` floats at `p`, `g`, `b`, written to `po`, `bo`. */
  sgd(p: number, g: number, b: number, po: number, bo: number, n: number, coef: number, wd: number, mom: number, lr: number): void;
  /** Train-mode BatchNorm over `k` rows of `c` channels: `y`, `mean`, biased `variance`; `scratch` holds `c` floats. */
  bnForward(x: number, k: number, c: number, gamma: number, beta: number, eps: number, y: number, mean: number, variance: number, scratch: number): void;
  /** Its gradient: `dx`, `dgamma`, `dbeta`; `scratch` holds `3c` floats. */
  bnBackward(dy: number, x: number, mean: number, variance: number, gamma: number, eps: number, k: number, c: number, dx: number, dgamma: number, dbeta: number, scratch: number): void;
  /** SiLU's gradient `dy·(s + y·(1 − s))` over `n` floats. */
  siluGrad(dy: number, s: number, y: number, dx: number, n: number): void;
  /** Max pooling's gradient over `[n, h, w, c]` (window `kh`×`kw`, strides, top/left pads, `[n, oh, ow, c]` dy): each `dy` to the first maximum of its window. */
  maxPoolGrad(dy: number, x: number, dx: number, n: number, h: number, w: number, c: number, kh: number, kw: number, sh: number, sw: number, pt: number, pl: number, oh: number, ow: number): void;
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
 * heap-kernels.wat and layer-kernels.wat instantiated on the memory of tfjs-wasm's module (`backend.wasm`), or null where the
 * engine refuses it (no SIMD or bulk memory): callers then fall back to JavaScript loops, stock kernels or tf ops.
 */
export function heapKernels(wasmModule: unknown): HeapKernels | null {
  const memory = memoryOf(wasmModule);
  if (!(memory instanceof WebAssembly.Memory)) return null;
  let copy = loaded.get(memory);
  if (copy === undefined) {
    try {
      const shared = typeof SharedArrayBuffer !== 'undefined' && memory.buffer instanceof SharedArrayBuffer;
      // Each module is under 4 KB: synchronous compilation is allowed everywhere (browsers cap it there).
      const exports = [copyModule, layerModule].map((m) => new WebAssembly.Instance(new WebAssembly.Module(decode(shared ? m.SHARED : m.UNSHARED)), { env: { memory } }).exports);
      copy = Object.assign({}, ...exports) as HeapKernels;
    } catch {
      copy = null;
    }
    loaded.set(memory, copy);
  }
  return copy;
}

/** heapKernels for a kernel that runs only after its op checked the module loaded; throws naming the kernel otherwise. */
export function requireHeapKernels(wasmModule: unknown, kernelName: string): HeapKernels {
  const k = heapKernels(wasmModule);
  if (!k) throw new Error(`${kernelName} on wasm: heap-kernels.wat / layer-kernels.wat did not load`);
  return k;
}
