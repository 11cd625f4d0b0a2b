import { tf } from '../runtime';
import { heapKernels } from '../wasm/heap-kernels';

/** Whether core's wasm kernel `name` (heap-kernels.wat, layer-kernels.wat) runs now: wasm active, modules loaded, `fits`. */
export function heapKernelRuns(name: string, fits: boolean): boolean {
  return !!(fits && tf.getBackend() === 'wasm' && tf.getKernel(name, 'wasm') && heapKernels((tf.backend() as { wasm?: unknown }).wasm));
}

/**
 * Runs core's wasm kernel `name` where {@link heapKernelRuns}; otherwise `ops()`, the same arithmetic in
 * tf ops (every other backend). Always a list, single-output kernels included.
 */
export function viaHeapKernel<T extends tf.Tensor[]>(name: string, inputs: Record<string, tf.Tensor>, attrs: object, fits: boolean, ops: () => T): T {
  if (!heapKernelRuns(name, fits)) return ops();
  const out = tf.engine().runKernel(name, inputs as tf.NamedTensorMap, attrs as unknown as tf.NamedAttrMap) as tf.Tensor | tf.Tensor[];
  return (Array.isArray(out) ? out : [out]) as T;
}
