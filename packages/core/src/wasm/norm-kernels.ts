import * as tf from '@tensorflow/tfjs';
import { requireHeapKernels } from './heap-kernels';

/* eslint-disable @typescript-eslint/no-explicit-any */
type WasmModule = { _malloc(bytes: number): number; _free(ptr: number): void };
type WasmBackend = { makeOutput(shape: number[], dtype: tf.DataType): tf.TensorInfo; getMemoryOffset(dataId: object): number; wasm: WasmModule };
type Args = { inputs: Record<string, tf.TensorInfo>; attrs: Record<string, any>; backend: WasmBackend };

/** Runs `f` with `floats` floats of scratch on tfjs-wasm's heap. */
function withScratch<T>(backend: WasmBackend, floats: number, f: (ptr: number) => T): T {
  const ptr = backend.wasm._malloc(floats * 4);
  try {
    return f(ptr);
  } finally {
    backend.wasm._free(ptr);
  }
}

/** Train-mode BatchNorm forward: `[y, mean, variance]` (channels last, float32). */
export function batchNormTrainKernel({ inputs: { x, gamma, beta }, attrs, backend }: Args): tf.TensorInfo[] {
  const k = requireHeapKernels(backend.wasm, 'YolomodsBatchNormTrain');
  const c = x!.shape.at(-1)!;
  const rows = tf.util.sizeFromShape(x!.shape) / c;
  const outs = [backend.makeOutput(x!.shape, 'float32'), backend.makeOutput([c], 'float32'), backend.makeOutput([c], 'float32')];
  const at = (t: tf.TensorInfo) => backend.getMemoryOffset(t.dataId);
  withScratch(backend, c, (scratch) => k.bnForward(at(x!), rows, c, at(gamma!), at(beta!), attrs.eps, at(outs[0]!), at(outs[1]!), at(outs[2]!), scratch));
  return outs;
}

/** Train-mode BatchNorm backward: `[dx, dgamma, dbeta]`. */
export function batchNormGradKernel({ inputs: { dy, x, mean, variance, gamma }, attrs, backend }: Args): tf.TensorInfo[] {
  const k = requireHeapKernels(backend.wasm, 'YolomodsBatchNormGrad');
  const c = x!.shape.at(-1)!;
  const rows = tf.util.sizeFromShape(x!.shape) / c;
  const outs = [backend.makeOutput(x!.shape, 'float32'), backend.makeOutput([c], 'float32'), backend.makeOutput([c], 'float32')];
  const at = (t: tf.TensorInfo) => backend.getMemoryOffset(t.dataId);
  withScratch(backend, 3 * c, (scratch) =>
    k.bnBackward(at(dy!), at(x!), at(mean!), at(variance!), at(gamma!), attrs.eps, rows, c, at(outs[0]!), at(outs[1]!), at(outs[2]!), scratch),
  );
  return outs;
}

/** SiLU's gradient from the saved σ(x) and y. */
export function siluGradKernel({ inputs: { dy, s, y }, backend }: Args): tf.TensorInfo {
  const k = requireHeapKernels(backend.wasm, 'YolomodsSiluGrad');
  const out = backend.makeOutput(dy!.shape, 'float32');
  const at = (t: tf.TensorInfo) => backend.getMemoryOffset(t.dataId);
  k.siluGrad(at(dy!), at(s!), at(y!), at(out), tf.util.sizeFromShape(dy!.shape));
  return out;
}
