import { tf } from './runtime';

/** A tensor held in host memory (no TF.js allocation): what weight files and state dicts carry. */
export interface HostTensor {
  /** Element type: float32 for values, int32 for integer data (I64 files are narrowed). */
  dtype: 'float32' | 'int32';
  /** Shape, row-major. */
  shape: number[];
  /** Values, row-major (C order). */
  data: Float32Array | Int32Array;
}

/** A flat map of names to host tensors, e.g. a PyTorch-keyed state dict. */
export type TensorMap = Record<string, HostTensor>;

/** True when `v` looks like a {@link HostTensor}. */
export function isHostTensor(v: unknown): v is HostTensor {
  return !!v && typeof v === 'object' && 'shape' in v && 'data' in v && ArrayBuffer.isView((v as HostTensor).data);
}

/** Copies a TF.js tensor into host memory. */
export function toHost(t: tf.Tensor): HostTensor {
  const dtype = t.dtype === 'int32' || t.dtype === 'bool' ? 'int32' : 'float32';
  const data = dtype === 'int32' ? Int32Array.from(t.dataSync() as Int32Array) : Float32Array.from(t.dataSync() as Float32Array);
  return { dtype, shape: [...t.shape], data };
}

/** Creates a TF.js tensor from a host tensor (caller disposes). */
export function fromHost(h: HostTensor): tf.Tensor {
  return tf.tensor(h.data, h.shape, h.dtype);
}

const TO_NHWC: Record<number, number[]> = { 3: [0, 2, 1], 4: [0, 2, 3, 1] };
const TO_NCHW: Record<number, number[]> = { 3: [0, 2, 1], 4: [0, 3, 1, 2] };

/** PyTorch feature map (NCHW, or N C L) → NHWC TF.js tensor (caller disposes). */
export function nchwToNhwc(h: HostTensor | tf.Tensor): tf.Tensor {
  return tf.tidy(() => {
    const t = h instanceof tf.Tensor ? h : fromHost(h);
    const perm = TO_NHWC[t.rank];
    return perm ? tf.transpose(t, perm) : t.clone();
  });
}

/** NHWC TF.js tensor → PyTorch layout (NCHW, or N C L) TF.js tensor (caller disposes). */
export function nhwcToNchw(t: tf.Tensor): tf.Tensor {
  return tf.tidy(() => {
    const perm = TO_NCHW[t.rank];
    return perm ? tf.transpose(t, perm) : t.clone();
  });
}
