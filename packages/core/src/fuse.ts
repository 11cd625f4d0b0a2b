import { tf } from './runtime';
import type { Module } from './module';
import { Conv } from './blocks/conv';
import { Conv2d } from './nn/layers';
import { conv2d, pair } from './ops/conv';
import { addMacs } from './ops/flops';

interface Folded {
  /** `[kh, kw, in/groups, out]` with the BN scale folded in. */
  weight: tf.Tensor4D;
  /** BN shift (plus the conv bias, scaled). */
  bias: tf.Tensor1D;
}

/** ultralytics `fuse_conv_and_bn`: w·γ/√(σ²+ε) and β − μ·γ/√(σ²+ε) (+ the conv's own bias, scaled). */
function fold(m: Conv): Folded {
  return tf.tidy(() => {
    const { bn, conv } = m;
    const scale = tf.div(bn.weight, tf.sqrt(tf.add(bn.runningVar, bn.eps)));
    const weight = tf.keep(tf.mul(conv.weight, scale) as tf.Tensor4D);
    const shift = tf.sub(bn.bias, tf.mul(bn.runningMean, scale));
    const bias = tf.keep((conv.bias ? tf.add(tf.mul(conv.bias, scale), shift) : shift) as tf.Tensor1D);
    return { weight, bias };
  });
}

/** One fused convolution: a single FusedConv2D (bias inside the kernel) where groups = 1, else conv + bias. */
function fusedForward(m: Conv, f: Folded, x: tf.Tensor4D): tf.Tensor4D {
  const { stride, padding, dilation, groups } = m.conv.opts;
  return tf.tidy(() => {
    let y: tf.Tensor4D;
    if (groups === 1) {
      const [ph, pw] = pair(padding, 0);
      const [kh, kw, cin, cout] = f.weight.shape;
      const [dh, dw] = pair(dilation, 1);
      const [sh, sw] = pair(stride, 1);
      y = tf.fused.conv2d({ x, filter: f.weight, strides: [sh, sw], pad: [[0, 0], [ph, ph], [pw, pw], [0, 0]], dilations: [dh, dw], bias: f.bias });
      addMacs(x.shape[0] * y.shape[1] * y.shape[2] * cout * kh * kw * cin);
    } else {
      y = tf.add(conv2d(x, f.weight, m.conv.opts), f.bias);
    }
    return m.act.forward(y) as tf.Tensor4D;
  });
}

/**
 * Folds every Conv block's BatchNorm into its convolution for inference (ultralytics
 * `model.fuse()`): the fused block runs conv(+bias) → act. Weights are snapshotted: fuse after
 * loading them. Fused blocks refuse train mode. Returns a function that frees the folded tensors.
 * Blocks that override Conv's forward are left alone.
 */
export function fuseConvBn(root: Module): { fused: number; release: () => void } {
  const folded: Folded[] = [];
  for (const m of root.modules()) {
    if (!(m instanceof Conv) || m.forward !== Conv.prototype.forward || !(m.conv instanceof Conv2d)) continue;
    const f = fold(m);
    folded.push(f);
    m.forward = function (this: Conv, x: tf.Tensor4D): tf.Tensor4D {
      if (this.training) throw new Error('this Conv was fused for inference (model.fuse()); build a fresh model to train');
      return fusedForward(this, f, x);
    };
  }
  return { fused: folded.length, release: () => folded.forEach((f) => tf.dispose([f.weight, f.bias])) };
}
