import { tf } from '../runtime';
import { viaHeapKernel } from './heap-kernel';
import { OPTIMIZER_KERNELS } from '../wasm/kernel-names';
import { adamwScalars, type AdamWSettings, type SgdSettings } from './optim-settings';

export type { AdamWSettings, SgdSettings } from './optim-settings';

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
