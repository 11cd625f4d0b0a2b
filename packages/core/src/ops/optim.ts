import { tf } from '../runtime';
import { viaHeapKernel } from './heap-kernel';

/** One AdamW step's settings (PyTorch `AdamW`). */
export interface AdamWSettings {
  /** Learning rate. */
  lr: number;
  /** β1 (first-moment decay). */
  beta1: number;
  /** β2 (second-moment decay). */
  beta2: number;
  /** ε added to the denominator. */
  eps: number;
  /** Decoupled weight decay. */
  weightDecay: number;
  /** Step number, from 1 (bias correction). */
  step: number;
  /** Factor applied to the gradient first (global-norm clipping); default 1. */
  gradScale?: number;
}

/** One SGD step's settings (PyTorch `SGD` with `nesterov=True`). */
export interface SgdSettings {
  /** Learning rate. */
  lr: number;
  /** Momentum. */
  momentum: number;
  /** L2 weight decay added to the gradient. */
  weightDecay: number;
  /** Factor applied to the gradient first (global-norm clipping); default 1. */
  gradScale?: number;
}

/** The scalars of heap-kernels.wat's `adamw`, from the settings (computed as the tf-ops path computes them). */
export function adamwScalars(h: AdamWSettings): { coef: number; decay: number; c1: number; c2: number; sbc2: number; stepSize: number } {
  return {
    coef: h.gradScale ?? 1,
    decay: 1 - h.lr * h.weightDecay,
    c1: 1 - h.beta1,
    c2: 1 - h.beta2,
    sbc2: Math.sqrt(1 - h.beta2 ** h.step),
    stepSize: h.lr / (1 - h.beta1 ** h.step),
  };
}

function adamwOps(p: tf.Tensor, g: tf.Tensor, m: tf.Tensor, v: tf.Tensor, h: AdamWSettings): tf.Tensor[] {
  const s = adamwScalars(h);
  return tf.tidy(() => {
    const grad = s.coef === 1 ? g : tf.mul(g, s.coef);
    const decayed = h.weightDecay ? tf.mul(p, s.decay) : p;
    const m2 = tf.add(tf.mul(m, h.beta1), tf.mul(grad, s.c1));
    const v2 = tf.add(tf.mul(v, h.beta2), tf.mul(tf.square(grad), s.c2));
    const denom = tf.add(tf.div(tf.sqrt(v2), s.sbc2), h.eps);
    return [tf.sub(decayed, tf.mul(tf.div(m2, denom), s.stepSize)), m2, v2];
  });
}

function sgdOps(p: tf.Tensor, g: tf.Tensor, buf: tf.Tensor, h: SgdSettings): tf.Tensor[] {
  return tf.tidy(() => {
    const grad = (h.gradScale ?? 1) === 1 ? g : tf.mul(g, h.gradScale!);
    const d = tf.add(grad, tf.mul(p, h.weightDecay));
    const b = tf.add(tf.mul(buf, h.momentum), d);
    return [tf.sub(p, tf.mul(tf.add(d, tf.mul(b, h.momentum)), h.lr)), b];
  });
}

/** The one-pass update kernels core registers on wasm (heap-kernels.wat). */
export const OPTIMIZER_KERNELS = { adamw: 'YolomodsAdamW', sgd: 'YolomodsSGD' } as const;

function fitsKernel(inputs: Record<string, tf.Tensor>): boolean {
  const list = Object.values(inputs);
  return list.every((t) => t.dtype === 'float32' && t.size === list[0]!.size);
}

/**
 * One AdamW step for a parameter: the new `[param, m, v]` (the inputs are left as they are). One pass
 * over the parameter on wasm, tf ops elsewhere, with the same float32 arithmetic (PyTorch's order).
 */
export function adamwUpdate(param: tf.Tensor, grad: tf.Tensor, m: tf.Tensor, v: tf.Tensor, h: AdamWSettings): [tf.Tensor, tf.Tensor, tf.Tensor] {
  const inputs = { param, grad, m, v };
  return viaHeapKernel(OPTIMIZER_KERNELS.adamw, inputs, h, fitsKernel(inputs), () => adamwOps(param, grad, m, v, h)) as [tf.Tensor, tf.Tensor, tf.Tensor];
}

/**
 * One Nesterov SGD step for a parameter: the new `[param, momentumBuffer]`; a zero buffer gives PyTorch's
 * first step. One pass on wasm, tf ops elsewhere.
 */
export function sgdUpdate(param: tf.Tensor, grad: tf.Tensor, buffer: tf.Tensor, h: SgdSettings): [tf.Tensor, tf.Tensor] {
  const inputs = { param, grad, buffer };
  return viaHeapKernel(OPTIMIZER_KERNELS.sgd, inputs, h, fitsKernel(inputs), () => sgdOps(param, grad, buffer, h)) as [tf.Tensor, tf.Tensor];
}

/** The tf-ops implementations (every backend but wasm; tests compare the kernels with them). */
export const optimizerOps = { adamw: adamwOps, sgd: sgdOps };
