import { tf } from '../runtime';
import { heapKernels } from '../wasm/heap-kernels';

/**
 * Runs core's wasm kernel `name` (heap-kernels.wat, layer-kernels.wat) when wasm is the active backend, the modules loaded
 * and `fits` holds; otherwise `ops()`, the same arithmetic in tf ops (every other backend).
 */
export function viaHeapKernel<T extends tf.Tensor[]>(name: string, inputs: Record<string, tf.Tensor>, attrs: object, fits: boolean, ops: () => T): T {
  const wasm = fits && tf.getBackend() === 'wasm' && tf.getKernel(name, 'wasm') && heapKernels((tf.backend() as { wasm?: unknown }).wasm);
  if (!wasm) return ops();
  return tf.engine().runKernel(name, inputs as tf.NamedTensorMap, attrs as unknown as tf.NamedAttrMap) as unknown as T;
}
