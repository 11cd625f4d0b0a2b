import * as tf from '@tensorflow/tfjs';
import { heapKernels } from './heap-kernels';

/*
 * MaxPoolGrad on layer-kernels.wat (~5x faster than pool-grads.ts's JavaScript loop, which stays for
 * other dtypes, windows over 32k pixels and a wasm module that did not load).
 */

/* eslint-disable @typescript-eslint/no-explicit-any */
type WasmBackend = { makeOutput(shape: number[], dtype: tf.DataType): tf.TensorInfo; getMemoryOffset(dataId: object): number; wasm?: unknown };
type Args = { inputs: Record<string, tf.TensorInfo>; attrs: Record<string, any>; backend: WasmBackend };

function geometry(x: tf.TensorInfo, attrs: Record<string, any>) {
  const ci = tf.backend_util.computePool2DInfo(x.shape as [number, number, number, number], attrs.filterSize, attrs.strides, 1, attrs.pad, attrs.dimRoundingMode);
  const [n, h, w, c] = x.shape as [number, number, number, number];
  // The window's clipping packs bounds into 16 bits each.
  const fits = h < 32768 && w < 32768;
  return { fits, dims: [n, h, w, c, ci.filterHeight, ci.filterWidth, ci.strideHeight, ci.strideWidth, ci.padInfo.top, ci.padInfo.left, ci.outHeight, ci.outWidth] as const, outShape: [n, ci.outHeight, ci.outWidth, c] };
}

/** MaxPoolGrad on the heap module (each dy to the first maximum of its window), or null where it does not apply. */
export function heapMaxPoolGrad({ inputs: { dy, input }, attrs, backend }: Args): tf.TensorInfo | null {
  const k = heapKernels(backend.wasm);
  if (!k || input!.dtype !== 'float32' || dy!.dtype !== 'float32') return null;
  const g = geometry(input!, attrs);
  if (!g.fits) return null;
  if (dy!.shape[1] !== g.outShape[1] || dy!.shape[2] !== g.outShape[2]) throw new Error(`MaxPoolGrad: dy is [${dy!.shape.join(', ')}] but the pool's output is ${g.outShape[1]}x${g.outShape[2]}`);
  const dx = backend.makeOutput(input!.shape, 'float32');
  if (tf.util.sizeFromShape(input!.shape) > 0) k.maxPoolGrad(backend.getMemoryOffset(dy!.dataId), backend.getMemoryOffset(input!.dataId), backend.getMemoryOffset(dx.dataId), ...g.dims);
  return dx;
}
