import { tf } from '../runtime';
import { heapKernelRuns, viaHeapKernel } from './heap-kernel';
import { NORM_KERNELS } from '../wasm/kernel-names';


/**
 * x·scale + shift per channel as a 1x1 depth-wise convolution with bias: one pass over x where a
 * broadcast mul and add take two (3-4x faster on wasm). `shift` must be a rank-1 tensor of its own,
 * not a reshape: tfjs-wasm checks the bias's stored shape.
 */
export function channelAffine(x: tf.Tensor4D, scale: tf.Tensor, shift?: tf.Tensor): tf.Tensor4D {
  const filter = tf.reshape(scale, [1, 1, x.shape[3], 1]) as tf.Tensor4D;
  return tf.fused.depthwiseConv2d({ x, filter, strides: 1, pad: 'valid', bias: shift });
}

function fits(...ts: tf.Tensor[]): boolean {
  return ts.every((t) => t.dtype === 'float32') && ts[0]!.size > 0;
}

/** x − μ per channel: x·1 + (−μ) is x − μ exactly. */
function centred(x: tf.Tensor4D, mean: tf.Tensor): tf.Tensor4D {
  return channelAffine(x, tf.onesLike(mean), tf.neg(mean));
}

/** `[y, mean, variance, x − μ]` of train-mode BN in tf ops (biased variance). */
function forwardOps(x: tf.Tensor4D, gamma: tf.Tensor, beta: tf.Tensor, eps: number): tf.Tensor[] {
  const c = x.shape[3];
  const k = x.size / c;
  const mean = tf.mean(tf.reshape(x, [k, c]), 0);
  const xc = centred(x, mean);
  const variance = tf.mean(tf.square(tf.reshape(xc, [k, c])), 0);
  const inv = tf.rsqrt(tf.add(variance, eps));
  return [channelAffine(xc, tf.mul(inv, gamma), beta), mean, variance, xc];
}

/** `[dx, dgamma, dbeta]` of train-mode BN in tf ops from x − μ: dx = inv·γ·(dy − mean(dy) − x̂·mean(dy·x̂)). */
function backwardOps(dy: tf.Tensor4D, xc: tf.Tensor4D, variance: tf.Tensor, gamma: tf.Tensor, eps: number): tf.Tensor[] {
  const c = xc.shape[3];
  const k = xc.size / c;
  const inv = tf.rsqrt(tf.add(variance, eps));
  const dy2 = tf.reshape(dy, [k, c]);
  const meanDy = tf.mean(dy2, 0);
  // mean(dy·x̂) = inv·mean(dy·xc).
  const meanDyXhat = tf.mul(tf.mean(tf.mul(dy2, tf.reshape(xc, [k, c])), 0), inv);
  // dx = dy·a + xc·b + d, per channel.
  const a = tf.mul(inv, gamma);
  const b = tf.neg(tf.mul(a, tf.mul(meanDyXhat, inv)));
  const d = tf.neg(tf.mul(a, meanDy));
  const dx = tf.add(channelAffine(dy, a), channelAffine(xc, b, d));
  return [dx, tf.mul(meanDyXhat, k), tf.mul(meanDy, k)];
}

/**
 * Train-mode BatchNorm of NHWC `x` with batch statistics: y = (x − μ)/√(σ² + eps)·γ + β, with its
 * closed-form gradient (autodiff through the broadcasts would take six channel reductions where this
 * takes two). `onStats` receives μ and the biased σ² (for running statistics). On wasm the forward
 * is one kernel of three passes over x and the backward one of two; elsewhere, tf ops.
 */
export function batchNormTrain(x: tf.Tensor4D, gamma: tf.Tensor, beta: tf.Tensor, eps: number, onStats?: (mean: tf.Tensor, variance: tf.Tensor) => void): tf.Tensor4D {
  const bn = tf.customGrad((...args: (tf.Tensor | tf.GradSaveFunc)[]) => {
    const [xIn, g, b, save] = args as [tf.Tensor4D, tf.Tensor, tf.Tensor, tf.GradSaveFunc];
    // The wasm kernels keep x and recompute x − μ as they read it; the tf ops keep x − μ, which they made anyway.
    const onHeap = heapKernelRuns(NORM_KERNELS.bnForward, fits(xIn, g, b));
    const [y, mean, variance, xc] = onHeap
      ? (tf.engine().runKernel(NORM_KERNELS.bnForward, { x: xIn, gamma: g, beta: b }, { eps }) as tf.Tensor[])
      : forwardOps(xIn, g, b, eps);
    onStats?.(mean!, variance!);
    save([onHeap ? xIn : xc!, mean!, variance!, g]);
    return {
      value: y as tf.Tensor4D,
      gradFunc: (dy: tf.Tensor, saved: tf.Tensor[]) => {
        const [xs, m, v, gs] = saved as [tf.Tensor4D, tf.Tensor, tf.Tensor, tf.Tensor];
        if (!onHeap) return backwardOps(dy as tf.Tensor4D, xs, v, gs, eps);
        const inputs = { dy, x: xs, mean: m, variance: v, gamma: gs };
        return viaHeapKernel(NORM_KERNELS.bnBackward, inputs, { eps }, fits(dy, xs, m, v, gs), () => backwardOps(dy as tf.Tensor4D, centred(xs, m), v, gs, eps));
      },
    };
  });
  return bn(x, gamma, beta) as tf.Tensor4D;
}

/** SiLU's gradient dy·(σ + y·(1 − σ)) from the saved σ(x) and y (one pass on wasm). */
function siluGrad(dy: tf.Tensor, s: tf.Tensor, y: tf.Tensor): tf.Tensor {
  return viaHeapKernel(NORM_KERNELS.siluGrad, { dy, s, y }, {}, fits(dy, s, y), () => [tf.mul(dy, tf.add(s, tf.mul(y, tf.sub(1, s))))])[0]!;
}

/** x·σ(x), with its gradient in one pass (wasm) or four ops where autodiff through mul and sigmoid takes eight. */
export const silu = tf.customGrad((...args: (tf.Tensor | tf.GradSaveFunc)[]) => {
  const [x, save] = args as [tf.Tensor, tf.GradSaveFunc];
  const s = tf.sigmoid(x);
  const y = tf.mul(x, s);
  save([s, y]);
  return { value: y, gradFunc: (dy: tf.Tensor, saved: tf.Tensor[]) => [siluGrad(dy, saved[0]!, saved[1]!)] };
}) as (x: tf.Tensor) => tf.Tensor;

