import * as tf from '@tensorflow/tfjs';
import { heapKernels } from './heap-kernels';

/*
 * Data-movement kernels for wasm. tfjs-wasm copies the whole tensor for Identity and same-dtype Cast
 * (the engine clones every tensor a gradient saves, so a training step made ~550 full copies), and
 * runs Slice, SplitV and Concat in JavaScript with one `subarray().set()` per row after reading the
 * whole input out of the heap: 10–20 ns per element for channel slices of NHWC maps; its Transpose
 * takes ~4.5 ns per element. These share data by reference count (as tfjs-cpu does) or copy with
 * heap-kernels.wat on the heap (JavaScript loops on heap views, or the stock Transpose, where it cannot load).
 */

/* eslint-disable @typescript-eslint/no-explicit-any */
type Heap = Float32Array | Int32Array | Uint8Array;
type WasmBackend = {
  incRef(dataId: object): void;
  makeOutput(shape: number[], dtype: tf.DataType): tf.TensorInfo;
  typedArrayFromHeap(t: tf.TensorInfo): Heap;
  getMemoryOffset(dataId: object): number;
  wasm?: unknown;
};
type KernelArgs = { inputs: Record<string, any>; attrs: Record<string, any>; backend: WasmBackend };

/** Copies `count` runs of `run` elements, run `r` from `srcOff + r·srcStride` to `dstOff + r·dstStride`. */
type CopyRows = (srcOff: number, srcStride: number, dstOff: number, dstStride: number, run: number, count: number) => void;

/** Below this many elements a typed-array `set` per run costs more than an element loop. */
const SET_MIN = 48;

function copyRun(src: Heap, s: number, dst: Heap, d: number, n: number): void {
  if (n >= SET_MIN) dst.set(src.subarray(s, s + n), d);
  else for (let t = 0; t < n; t++) dst[d + t] = src[s + t]!;
}

/** Row copies from `src`'s data into `dst`'s: heap-kernels.wat where it loads, else JS loops on heap views. */
function rowsBetween(backend: WasmBackend, src: tf.TensorInfo, dst: tf.TensorInfo): CopyRows {
  const copy = heapKernels(backend.wasm);
  if (copy) {
    const bytes = src.dtype === 'bool' ? 1 : 4;
    const s0 = backend.getMemoryOffset(src.dataId);
    const d0 = backend.getMemoryOffset(dst.dataId);
    return (so, ss, d, ds, run, count) => copy.rows(s0 + so * bytes, ss * bytes, d0 + d * bytes, ds * bytes, run * bytes, count);
  }
  // Views are taken after the output's malloc, which may grow (and detach) the heap.
  const from = backend.typedArrayFromHeap(src);
  const to = backend.typedArrayFromHeap(dst);
  return (so, ss, d, ds, run, count) => {
    for (let r = 0; r < count; r++) copyRun(from, so + r * ss, to, d + r * ds, run);
  };
}

/** Shares `x`'s data (reference-counted) instead of copying it. */
export function sharedIdentity({ inputs: { x }, backend }: KernelArgs): tf.TensorInfo {
  backend.incRef(x.dataId);
  return { dataId: x.dataId, shape: x.shape, dtype: x.dtype };
}

/**
 * Merges each axis into the next outer one where the slice takes all of it, so a channel slice of an
 * NHWC map becomes rows of `[N·H·W, C]` and a full slice one contiguous run.
 */
function collapse(shape: number[], begin: number[], size: number[]): { shape: number[]; begin: number[]; size: number[] } {
  const s = [shape[0]!];
  const b = [begin[0]!];
  const z = [size[0]!];
  for (let k = 1; k < shape.length; k++) {
    const last = s.length - 1;
    if (begin[k] === 0 && size[k] === shape[k]) {
      s[last] = s[last]! * shape[k]!;
      b[last] = b[last]! * shape[k]!;
      z[last] = z[last]! * shape[k]!;
    } else {
      s.push(shape[k]!);
      b.push(begin[k]!);
      z.push(size[k]!);
    }
  }
  return { shape: s, begin: b, size: z };
}

function sliceInto(shape: number[], begin: number[], size: number[], rows: CopyRows): void {
  const c = collapse(shape, begin, size);
  const r = c.shape.length;
  if (r === 1) {
    rows(c.begin[0]!, 0, 0, 0, c.size[0]!, 1);
    return;
  }
  // The two innermost collapsed axes are one strided row copy; the outer ones loop here.
  const strides = tf.util.computeStrides(c.shape);
  const run = c.size[r - 1]!;
  const count = c.size[r - 2]!;
  const stride = strides[r - 2]!;
  const outer = c.size.slice(0, r - 2);
  const blocks = outer.reduce((a, v) => a * v, 1);
  const idx = new Array<number>(r - 2).fill(0);
  let o = 0;
  for (let q = 0; q < blocks; q++) {
    let off = c.begin[r - 1]! + c.begin[r - 2]! * stride;
    for (let d = 0; d < r - 2; d++) off += (c.begin[d]! + idx[d]!) * strides[d]!;
    rows(off, stride, o, run, run, count);
    o += run * count;
    for (let d = r - 3; d >= 0; d--) {
      if (++idx[d]! < outer[d]!) break;
      idx[d] = 0;
    }
  }
}

/** Slice as row copies on the heap, without reading the input out first. */
export function fastSlice({ inputs: { x }, attrs: { begin, size }, backend }: KernelArgs): tf.TensorInfo {
  const [b, s] = tf.slice_util.parseSliceParams(x, begin, size);
  const out = backend.makeOutput(s, x.dtype);
  if (tf.util.sizeFromShape(s) === 0) return out;
  sliceInto(x.shape, b, s, rowsBetween(backend, x, out));
  return out;
}

/** Rows (the axes before `axis`) and per-tensor inner lengths of a concat or split along `axis`. */
function rowsAndInner(shapes: number[][], axis: number): { rows: number; inner: number[] } {
  const rows = tf.util.sizeFromShape(shapes[0]!.slice(0, axis));
  return { rows, inner: shapes.map((sh) => tf.util.sizeFromShape(sh.slice(axis))) };
}

/** Concat of numeric tensors as row copies into the output. */
export function fastConcat({ inputs, attrs, backend }: KernelArgs): tf.TensorInfo {
  const list = Object.values(inputs) as tf.TensorInfo[];
  const axis = tf.util.parseAxisParam(attrs.axis, list[0]!.shape)[0]!;
  tf.backend_util.assertParamsConsistent(list.map((t) => t.shape), axis);
  const outShape = tf.backend_util.computeOutShape(list.map((t) => t.shape), axis);
  const parts = list.filter((t) => tf.util.sizeFromShape(t.shape) > 0);
  if (parts.length === 1) return sharedIdentity({ inputs: { x: parts[0] }, attrs: {}, backend });
  const out = backend.makeOutput(outShape, list[0]!.dtype);
  if (tf.util.sizeFromShape(outShape) === 0) return out;
  const { rows, inner } = rowsAndInner(parts.map((t) => t.shape), axis);
  const total = inner.reduce((a, v) => a + v, 0);
  let col = 0;
  parts.forEach((t, i) => {
    const n = inner[i]!;
    rowsBetween(backend, t, out)(0, n, col, total, n, rows);
    col += n;
  });
  return out;
}

/** SplitV in one pass over the input. */
export function fastSplitV({ inputs: { x }, attrs, backend }: KernelArgs): tf.TensorInfo[] {
  const axis = tf.util.parseAxisParam(attrs.axis, x.shape)[0]!;
  const sizes = tf.backend_util.prepareSplitSize(x, attrs.numOrSizeSplits, axis) as number[];
  const shapes = sizes.map((s) => x.shape.map((d: number, k: number) => (k === axis ? s : d)));
  const outs = shapes.map((sh) => backend.makeOutput(sh, x.dtype));
  const { rows, inner } = rowsAndInner(shapes, axis);
  const total = tf.util.sizeFromShape(x.shape.slice(axis));
  let col = 0;
  outs.forEach((o, i) => {
    const n = inner[i]!;
    if (n > 0) rowsBetween(backend, x, o)(col, total, 0, n, n, rows);
    col += n;
  });
  return outs;
}

/**
 * The same permutation over fewer axes: size-1 axes dropped, and axes that stay adjacent and in order
 * merged (NHWC → CHWN becomes [N, H·W, C] → [C, H·W, N]).
 */
function collapsePermutation(shape: number[], perm: number[]): { shape: number[]; perm: number[] } {
  const kept = perm.filter((a) => shape[a] !== 1);
  if (!kept.length) return { shape: [1], perm: [0] };
  // Input axes renumbered among the kept ones, so axes on either side of a size-1 axis count as adjacent.
  const sorted = [...kept].sort((a, b) => a - b);
  const groups: number[][] = [];
  for (const a of kept.map((k) => sorted.indexOf(k))) {
    const last = groups[groups.length - 1];
    if (last && last[last.length - 1]! + 1 === a) last.push(a);
    else groups.push([a]);
  }
  const byInput = [...groups].sort((g, h) => g[0]! - h[0]!);
  return {
    shape: byInput.map((g) => g.reduce((n, a) => n * shape[sorted[a]!]!, 1)),
    perm: groups.map((g) => byInput.indexOf(g)),
  };
}

/** Calls `fn(srcOffset, dstOffset)` (elements) for every index over `axes` of the output. */
function forEachIndex(axes: number[], outShape: number[], srcStride: number[], dstStride: number[], fn: (s: number, d: number) => void): void {
  const idx = axes.map(() => 0);
  const total = axes.reduce((n, a) => n * outShape[a]!, 1);
  for (let q = 0; q < total; q++) {
    let s = 0;
    let d = 0;
    axes.forEach((a, k) => {
      s += idx[k]! * srcStride[a]!;
      d += idx[k]! * dstStride[a]!;
    });
    fn(s, d);
    for (let k = axes.length - 1; k >= 0; k--) {
      if (++idx[k]! < outShape[axes[k]!]!) break;
      idx[k] = 0;
    }
  }
}

/** The longest of `axes` (the one a single wasm call walks) and the others (walked here). */
function splitLongest(axes: number[], outShape: number[]): { long: number; rest: number[] } {
  const long = axes.reduce((b, a) => (outShape[a]! > outShape[b]! ? a : b), axes[0]!);
  return { long, rest: axes.filter((a) => a !== long) };
}

/**
 * Transpose of 4-byte tensors as strided copies on the heap: row copies while the innermost axis stays
 * innermost, else tiled 2-D transposes (heap-kernels.wat). Returns null where that module is unavailable.
 */
export function fastTranspose({ inputs: { x }, attrs: { perm }, backend }: KernelArgs): tf.TensorInfo | null {
  const copy = heapKernels(backend.wasm);
  if (!copy || (x.dtype !== 'float32' && x.dtype !== 'int32')) return null;
  const outFull = (perm as number[]).map((a) => x.shape[a]);
  const c = collapsePermutation(x.shape, perm);
  if (c.perm.length === 1) {
    backend.incRef(x.dataId);
    return { dataId: x.dataId, shape: outFull, dtype: x.dtype };
  }
  const out = backend.makeOutput(outFull, x.dtype);
  if (tf.util.sizeFromShape(outFull) === 0) return out;
  const r = c.perm.length;
  const inStrides = [...tf.util.computeStrides(c.shape), 1];
  const outShape = c.perm.map((a) => c.shape[a]!);
  const dstStride = [...tf.util.computeStrides(outShape), 1];
  const srcStride = c.perm.map((a) => inStrides[a]!);
  const src0 = backend.getMemoryOffset(x.dataId);
  const dst0 = backend.getMemoryOffset(out.dataId);
  const outer = [...Array(r).keys()];
  if (c.perm[r - 1] === r - 1) {
    const { long, rest } = splitLongest(outer.slice(0, r - 1), outShape);
    const run = outShape[r - 1]! * 4;
    forEachIndex(rest, outShape, srcStride, dstStride, (s, d) => copy.rows(src0 + s * 4, srcStride[long]! * 4, dst0 + d * 4, dstStride[long]! * 4, run, outShape[long]!));
    return out;
  }
  // Output axis q holds the input's innermost axis: the 2-D transposes pair it with the output's innermost.
  const q = c.perm.indexOf(r - 1);
  const others = outer.filter((a) => a !== q && a !== r - 1);
  const { long, rest } = others.length ? splitLongest(others, outShape) : { long: -1, rest: [] as number[] };
  const count = long < 0 ? 1 : outShape[long]!;
  const srcStep = long < 0 ? 0 : srcStride[long]! * 4;
  const dstStep = long < 0 ? 0 : dstStride[long]! * 4;
  forEachIndex(rest, outShape, srcStride, dstStride, (s, d) =>
    copy.transpose(src0 + s * 4, srcStride[r - 1]! * 4, dst0 + d * 4, dstStride[q]! * 4, outShape[r - 1]!, outShape[q]!, count, srcStep, dstStep),
  );
  return out;
}
