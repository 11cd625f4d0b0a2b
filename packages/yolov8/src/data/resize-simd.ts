import type { Rgb } from './rgb';
import { clampRow, type Taps } from './resize-taps';
import { WASM } from './resize.wasm';

/** What the WebAssembly resize writes: bytes, float32 HWC in 0–1, or float32 planar in 0–1. */
export type SimdLayout = 'u8' | 'nhwc' | 'nchw';

interface Kernel {
  memory: WebAssembly.Memory;
  resize: (...args: number[]) => void;
}

let kernel: Kernel | null | undefined;
let enabled = true;

/** The module, compiled once (under a kilobyte, so browsers allow it synchronously); null without SIMD. */
function load(): Kernel | null {
  if (kernel === undefined) {
    try {
      const bytes = Uint8Array.from(atob(WASM), (c) => c.charCodeAt(0));
      kernel = WebAssembly.validate(bytes) ? (new WebAssembly.Instance(new WebAssembly.Module(bytes)).exports as unknown as Kernel) : null;
    } catch {
      kernel = null;
    }
  }
  return kernel;
}

/** Turns the WebAssembly resize off (JavaScript kernels only) or back on; tests compare the two. */
export function useSimdResize(on: boolean): void {
  enabled = on;
}

const align = (n: number): number => (n + 15) & ~15;

/**
 * cv2's INTER_LINEAR resize of `img` to `w`×`h` by taps `xt`, `yt` in WebAssembly SIMD, as compact rows
 * (`u8`, `nhwc`: `3w` values per row; `nchw`: three `w`×`h` planes). The result is a view of the module's
 * memory, valid until the next call; null where WebAssembly SIMD is unavailable.
 */
export function simdResize(img: Rgb, w: number, h: number, xt: Taps, yt: Taps, layout: SimdLayout): Uint8Array | Float32Array | null {
  const k = enabled ? load() : null;
  if (!k) return null;
  const { data, width: sw, height: sh } = img;
  // Layout: image (+16 bytes: the right-edge tap reads past it), x taps, y taps, two resized rows, output (+4 bytes slack).
  const xo = align(sw * sh * 3 + 16);
  const xab = xo + align(4 * w);
  const ytp = xab + align(4 * w);
  const ra = ytp + align(16 * h);
  const rb = ra + align(16 * w);
  const out = rb + align(16 * w);
  const valueBytes = layout === 'u8' ? 1 : 4;
  const end = out + w * h * 3 * valueBytes + 4;
  const have = k.memory.buffer.byteLength;
  if (have < end) k.memory.grow(Math.ceil((end - have) / 65536));
  const bytes = new Uint8Array(k.memory.buffer);
  const words = new Int32Array(k.memory.buffer);
  bytes.set(data.subarray(0, sw * sh * 3), 0);
  for (let x = 0; x < w; x++) {
    words[(xo >> 2) + x] = xt.ofs[x]! * 3;
    words[(xab >> 2) + x] = xt.w0[x]! | (xt.w1[x]! << 16);
  }
  const rowBytes = sw * 3;
  for (let y = 0, i = ytp >> 2; y < h; y++, i += 4) {
    words[i] = clampRow(yt.ofs[y]!, sh) * rowBytes;
    words[i + 1] = clampRow(yt.ofs[y]! + 1, sh) * rowBytes;
    words[i + 2] = yt.w0[y]!;
    words[i + 3] = yt.w1[y]!;
  }
  const mode = layout === 'u8' ? 0 : layout === 'nhwc' ? 1 : 2;
  const outRow = layout === 'nchw' ? 4 * w : 3 * w * valueBytes;
  k.resize(0, w, h, xo, xab, ytp, ra, rb, out, mode, outRow, 4 * w * h);
  return layout === 'u8' ? new Uint8Array(k.memory.buffer, out, w * h * 3) : new Float32Array(k.memory.buffer, out, w * h * 3);
}
