import * as tf from '@tensorflow/tfjs';

/*
 * Mean and Sum over axes that are not innermost (BatchNorm's per-channel statistics, bias gradients of
 * broadcast adds, global pooling of NHWC maps). Stock wasm and cpu transpose the whole tensor first so
 * that the reduced axes come last: ~10x slower than streaming it once. Here the reduced block of axes
 * becomes the height of a `[P, K, 1, R]` image: one average pool on wasm (XNNPACK streams it), one
 * `[1, K]·[K, R]` matMul per leading slice on cpu.
 */

/* eslint-disable @typescript-eslint/no-explicit-any */
type ReduceArgs = { inputs: { x: tf.TensorInfo }; attrs: { axis: number | number[]; keepDims: boolean }; backend: unknown };

/** `[P, K, R]` when the reduced axes are one contiguous block that leaves the last axis, else null. */
function blockShape(shape: number[], axis: number | number[]): { p: number; k: number; r: number } | null {
  const axes = tf.util.parseAxisParam(axis, shape).sort((a, b) => a - b);
  if (!axes.length || axes.some((a, i) => a !== axes[0]! + i) || axes.at(-1) === shape.length - 1) return null;
  const size = (from: number, to: number) => shape.slice(from, to).reduce((a, v) => a * v, 1);
  return { p: size(0, axes[0]!), k: size(axes[0]!, axes.at(-1)! + 1), r: size(axes.at(-1)! + 1, shape.length) };
}

function outShape(shape: number[], axis: number | number[], keepDims: boolean): number[] {
  const axes = tf.util.parseAxisParam(axis, shape);
  return keepDims ? shape.map((d, i) => (axes.includes(i) ? 1 : d)) : shape.filter((_, i) => !axes.includes(i));
}

/** A Mean (or Sum) kernel for `backend` that streams non-innermost reductions and hands the rest to `stock`. */
export function blockReduce(kind: 'Mean' | 'Sum', backend: 'wasm' | 'cpu', stock: (a: any) => any): (a: ReduceArgs) => tf.TensorInfo | tf.Tensor {
  return (args) => {
    const { x } = args.inputs;
    const block = x.dtype === 'float32' ? blockShape(x.shape, args.attrs.axis) : null;
    if (!block || tf.util.sizeFromShape(x.shape) === 0) return stock(args);
    const { p, k, r } = block;
    const shape = outShape(x.shape, args.attrs.axis, args.attrs.keepDims);
    const xt = x as unknown as tf.Tensor;
    return tf.tidy(() => {
      let y: tf.Tensor;
      if (backend === 'wasm') {
        y = tf.avgPool(tf.reshape(xt, [p, k, 1, r]) as tf.Tensor4D, [k, 1], 1, 'valid');
        if (kind === 'Sum') y = tf.mul(y, k);
      } else {
        y = tf.matMul(tf.fill([1, 1, k], kind === 'Mean' ? 1 / k : 1), tf.reshape(xt, [p, k, r]));
      }
      return tf.reshape(y, shape);
    });
  };
}
