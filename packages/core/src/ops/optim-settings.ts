// Plain settings and scalars, no tensors: shared by the tf-ops path (ops/optim) and the wasm kernels
// (wasm/optim-kernels) without one importing the other.

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
