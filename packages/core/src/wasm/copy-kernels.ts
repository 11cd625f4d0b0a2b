import * as tf from '@tensorflow/tfjs';

/*
 * Data-movement kernels for wasm. tfjs-wasm copies the whole tensor for Identity and same-dtype Cast
 * (the engine clones every tensor a gradient saves, so a training step made ~550 full copies), and
 * runs Slice, SplitV and Concat in JavaScript with one `subarray().set()` per row after reading the
 * whole input out of the heap: 10–20 ns per element for channel slices of NHWC maps. These share
 * data by reference count (as tfjs-cpu does) or copy with plain loops on the heap views.
 */

/* eslint-disable @typescript-eslint/no-explicit-any */
type Heap = Float32Array | Int32Array | Uint8Array;
type WasmBackend = {
  incRef(dataId: object): void;
  makeOutput(shape: number[], dtype: tf.DataType): tf.TensorInfo;
  typedArrayFromHeap(t: tf.TensorInfo): Heap;
};
type KernelArgs = { inputs: Record<string, any>; attrs: Record<string, any>; backend: WasmBackend };

/** Below this many elements a typed-array `set` per run costs more than an element loop. */
const SET_MIN = 48;

function copyRun(src: Heap, s: number, dst: Heap, d: number, n: number): void {
  if (n >= SET_MIN) dst.set(src.subarray(s, s + n), d);
  else for (let t = 0; t < n; t++) dst[d + t] = src[s + t]!;
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

function sliceInto(src: Heap, shape: number[], begin: number[], size: number[], dst: Heap): void {
  const c = collapse(shape, begin, size);
  const r = c.shape.length;
  const run = c.size[r - 1]!;
  const strides = tf.util.computeStrides(c.shape);
  const outer = c.size.slice(0, r - 1);
  const rows = outer.reduce((a, v) => a * v, 1);
  const idx = new Array<number>(r - 1).fill(0);
  let o = 0;
  for (let q = 0; q < rows; q++) {
    let off = c.begin[r - 1]!;
    for (let d = 0; d < r - 1; d++) off += (c.begin[d]! + idx[d]!) * strides[d]!;
    copyRun(src, off, dst, o, run);
    o += run;
    for (let d = r - 2; d >= 0; d--) {
      if (++idx[d]! < outer[d]!) break;
      idx[d] = 0;
    }
  }
}

/** Slice on the heap views, without reading the input out first. */
export function fastSlice({ inputs: { x }, attrs: { begin, size }, backend }: KernelArgs): tf.TensorInfo {
  const [b, s] = tf.slice_util.parseSliceParams(x, begin, size);
  const out = backend.makeOutput(s, x.dtype);
  if (tf.util.sizeFromShape(s) === 0) return out;
  // Views are taken after makeOutput: its malloc may grow (and detach) the heap.
  sliceInto(backend.typedArrayFromHeap(x), x.shape, b, s, backend.typedArrayFromHeap(out));
  return out;
}

/** Rows (the axes before `axis`) and per-tensor inner lengths of a concat or split along `axis`. */
function rowsAndInner(shapes: number[][], axis: number): { rows: number; inner: number[] } {
  const rows = tf.util.sizeFromShape(shapes[0]!.slice(0, axis));
  return { rows, inner: shapes.map((sh) => tf.util.sizeFromShape(sh.slice(axis))) };
}

/** Concat of numeric tensors, interleaving rows with plain loops. */
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
  const dst = backend.typedArrayFromHeap(out);
  let col = 0;
  parts.forEach((t, i) => {
    const src = backend.typedArrayFromHeap(t);
    const n = inner[i]!;
    for (let r = 0; r < rows; r++) copyRun(src, r * n, dst, r * total + col, n);
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
  const src = backend.typedArrayFromHeap(x);
  let col = 0;
  outs.forEach((o, i) => {
    const n = inner[i]!;
    if (n > 0) {
      const dst = backend.typedArrayFromHeap(o);
      for (let r = 0; r < rows; r++) copyRun(src, r * total + col, dst, r * n, n);
    }
    col += n;
  });
  return outs;
}
