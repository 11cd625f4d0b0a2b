import * as tf from '@tensorflow/tfjs';
import { adamwScalars, type AdamWSettings, type SgdSettings } from '../ops/optim-settings';
import { requireHeapKernels } from './heap-kernels';

/* eslint-disable @typescript-eslint/no-explicit-any */
type WasmBackend = { makeOutput(shape: number[], dtype: tf.DataType): tf.TensorInfo; getMemoryOffset(dataId: object): number; wasm?: unknown };
type Args = { inputs: Record<string, tf.TensorInfo>; attrs: Record<string, any>; backend: WasmBackend };


/** AdamW in one pass of heap-kernels.wat (float32 inputs of one size). */
export function adamwKernel({ inputs: { param, grad, m, v }, attrs, backend }: Args): tf.TensorInfo[] {
  const k = requireHeapKernels(backend.wasm, 'YolomodsAdamW');
  const h = attrs as AdamWSettings;
  const s = adamwScalars(h);
  const outs = [param!, m!, v!].map((t) => backend.makeOutput(t.shape, 'float32'));
  const at = (t: tf.TensorInfo) => backend.getMemoryOffset(t.dataId);
  k.adamw(at(param!), at(grad!), at(m!), at(v!), at(outs[0]!), at(outs[1]!), at(outs[2]!), tf.util.sizeFromShape(param!.shape), s.coef, s.decay, h.beta1, s.c1, h.beta2, s.c2, s.sbc2, h.eps, s.stepSize);
  return outs;
}

/** Nesterov SGD in one pass of heap-kernels.wat (float32 inputs of one size). */
export function sgdKernel({ inputs: { param, grad, buffer }, attrs, backend }: Args): tf.TensorInfo[] {
  const k = requireHeapKernels(backend.wasm, 'YolomodsSGD');
  const h = attrs as SgdSettings;
  const outs = [param!, buffer!].map((t) => backend.makeOutput(t.shape, 'float32'));
  const at = (t: tf.TensorInfo) => backend.getMemoryOffset(t.dataId);
  k.sgd(at(param!), at(grad!), at(buffer!), at(outs[0]!), at(outs[1]!), tf.util.sizeFromShape(param!.shape), h.gradScale ?? 1, h.weightDecay, h.momentum, h.lr);
  return outs;
}
