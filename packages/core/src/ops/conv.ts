import { tf } from '../runtime';
import { addMacs } from './flops';

/** A pair given as one number or `[h, w]`. */
export type Pair = number | [number, number];

/** Options of {@link conv2d}; PyTorch `Conv2d` semantics. */
export interface Conv2dOptions {
  /** Stride (default 1). */
  stride?: Pair;
  /** Zero padding on each side (default 0), as PyTorch's `padding`. */
  padding?: Pair;
  /** Dilation (default 1). */
  dilation?: Pair;
  /** Groups (default 1): full, depth-wise and grouped convolutions all go through here. */
  groups?: number;
}

/** Expands a {@link Pair}. */
export function pair(v: Pair | undefined, dflt: number): [number, number] {
  if (v === undefined) return [dflt, dflt];
  return typeof v === 'number' ? [v, v] : v;
}

/**
 * PyTorch-semantics 2-D convolution on NHWC input with an HWIO `[kh, kw, in/groups, out]` filter,
 * including grouped convolution (TF.js only has full and depth-wise).
 */
export function conv2d(x: tf.Tensor4D, w: tf.Tensor4D, opts: Conv2dOptions = {}): tf.Tensor4D {
  const groups = opts.groups ?? 1;
  const [kh, kw, cinG, cout] = w.shape;
  const cin = x.shape[3];
  if (cinG * groups !== cin) {
    throw new Error(`conv2d: input has ${cin} channels but the weight expects ${cinG} x ${groups} groups = ${cinG * groups}`);
  }
  if (cout % groups !== 0) throw new Error(`conv2d: ${cout} output channels are not divisible by groups=${groups}`);
  const [sh, sw] = pair(opts.stride, 1);
  const [ph, pw] = pair(opts.padding, 0);
  const [dh, dw] = pair(opts.dilation, 1);
  const pad: [[number, number], [number, number], [number, number], [number, number]] = [[0, 0], [ph, ph], [pw, pw], [0, 0]];
  const outH = Math.floor((x.shape[1] + 2 * ph - dh * (kh - 1) - 1) / sh) + 1;
  const outW = Math.floor((x.shape[2] + 2 * pw - dw * (kw - 1) - 1) / sw) + 1;
  addMacs(x.shape[0] * outH * outW * cout * kh * kw * cinG);
  return tf.tidy(() => {
    if (groups === 1) return tf.conv2d(x, w, [sh, sw], pad, 'NHWC', [dh, dw]);
    if (cinG === 1) {
      // Depth-wise: PyTorch output channel c*m + j reads input channel c, as TF.js depth-wise does.
      const filter = tf.reshape(w, [kh, kw, cin, cout / cin]) as tf.Tensor4D;
      return tf.depthwiseConv2d(x, filter, [sh, sw], pad, 'NHWC', [dh, dw]);
    }
    const xs = tf.split(x, groups, 3);
    const ws = tf.split(w, groups, 3);
    const ys = xs.map((xg, g) => tf.conv2d(xg as tf.Tensor4D, ws[g] as tf.Tensor4D, [sh, sw], pad, 'NHWC', [dh, dw]));
    return tf.concat(ys, 3);
  });
}

/** Batched matrix product with multiply-accumulate counting (use this, not `tf.matMul`, in blocks). */
export function matMul(a: tf.Tensor, b: tf.Tensor, transposeA = false, transposeB = false): tf.Tensor {
  const m = a.shape[a.rank - (transposeA ? 1 : 2)]!;
  const k = a.shape[a.rank - (transposeA ? 2 : 1)]!;
  const n = b.shape[b.rank - (transposeB ? 2 : 1)]!;
  const batch = a.shape.slice(0, -2).reduce((p, d) => p * d, 1);
  const batchB = b.shape.slice(0, -2).reduce((p, d) => p * d, 1);
  addMacs(Math.max(batch, batchB) * m * n * k);
  return tf.matMul(a, b, transposeA, transposeB);
}
