import { Module, tf, type OnnxBuilder, type OnnxValue } from '@yolomods/core';

/** PyTorch `nn.LayerNorm(dim)` over the last axis (keys `weight`, `bias`; eps 1e-5). */
export class LayerNorm extends Module {
  /** Scale γ `[dim]`. */
  readonly weight: tf.Variable;
  /** Shift β `[dim]`. */
  readonly bias: tf.Variable;
  constructor(readonly dim: number, readonly eps = 1e-5) {
    super();
    this.weight = this.param('weight', tf.ones([dim]));
    this.bias = this.param('bias', tf.zeros([dim]));
  }
  forward(x: tf.Tensor): tf.Tensor {
    const last = x.shape[x.rank - 1];
    if (last !== this.dim) throw new Error(`LayerNorm(${this.dim}): input has ${last} features on its last axis`);
    return tf.tidy(() => {
      const { mean, variance } = tf.moments(x, -1, true);
      return tf.add(tf.mul(tf.mul(tf.sub(x, mean), tf.rsqrt(tf.add(variance, this.eps))), this.weight), this.bias);
    });
  }
}

/** The seed's `LayerNormProxy`: LayerNorm over channels of a feature map (child `norm`). NHWC already has channels last. */
export class LayerNormProxy extends Module {
  /** The wrapped LayerNorm. */
  readonly norm: LayerNorm;
  constructor(dim: number) {
    super();
    this.norm = this.module('norm', new LayerNorm(dim));
  }
  forward(x: tf.Tensor4D): tf.Tensor4D {
    return this.norm.forward(x) as tf.Tensor4D;
  }
  override toOnnx(g: OnnxBuilder, x: OnnxValue): OnnxValue {
    // ONNX maps are NCHW: normalise over axis 1 with ReduceMean, which every opset ≥ 13 has.
    const c = this.norm.dim;
    const shape = [1, c, 1, 1];
    const mean = g.op('ReduceMean', [x], { axes: [1], keepdims: 1 }, [x.shape[0]!, 1, x.shape[2]!, x.shape[3]!]);
    const d = g.binary('Sub', x, mean);
    const variance = g.op('ReduceMean', [g.binary('Mul', d, d)], { axes: [1], keepdims: 1 }, mean.shape);
    const inv = g.unary('Reciprocal', g.unary('Sqrt', g.binary('Add', variance, g.constant([this.norm.eps], [], 'ln_eps'))));
    const w = g.constant(this.norm.torchValue('weight').data, shape, 'ln_weight');
    const b = g.constant(this.norm.torchValue('bias').data, shape, 'ln_bias');
    return g.binary('Add', g.binary('Mul', g.binary('Mul', d, inv), w), b);
  }
}

/** PyTorch `nn.Dropout(p)`: identity in eval mode or when p = 0. */
export class Dropout extends Module {
  constructor(readonly p = 0) {
    super();
    if (!(p >= 0 && p < 1)) throw new Error(`Dropout: p must be in [0, 1), got ${p}`);
  }
  forward(x: tf.Tensor): tf.Tensor {
    return this.training && this.p > 0 ? tf.dropout(x, this.p) : x;
  }
  override toOnnx(_g: OnnxBuilder, x: OnnxValue): OnnxValue {
    return x;
  }
}
