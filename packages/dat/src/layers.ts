import { LayerNorm, Module, tf, type OnnxBuilder, type OnnxValue } from '@yolomods/core';

/** The seed's `LayerNormProxy`: LayerNorm over the channels of a feature map (child `norm`); NHWC already has channels last. */
export class LayerNormProxy extends Module {
  /** The wrapped LayerNorm (core's `nn.LayerNorm`, keys `norm.weight`, `norm.bias`). */
  readonly norm: LayerNorm;
  constructor(
    /** Channels normalised. */
    readonly dim: number,
  ) {
    super();
    this.norm = this.module('norm', new LayerNorm(dim));
  }
  /** LayerNorm over the last (channel) axis of an NHWC map. */
  forward(x: tf.Tensor4D): tf.Tensor4D {
    const c = x.shape[3];
    if (c !== this.dim) throw new Error(`LayerNormProxy(${this.dim}): input has ${c} channels`);
    return this.norm.forward(x) as tf.Tensor4D;
  }
  /** NCHW export: `LayerNormalization` at opset ≥ 17, its decomposition at 16. */
  override toOnnx(g: OnnxBuilder, x: OnnxValue): OnnxValue {
    // Opset ≥ 17 has LayerNormalization (core's export); opset 16, the lowest with GridSample, gets the
    // decomposition over axis 1 of the NCHW map (ReduceMean still takes `axes` as an attribute there).
    if (g.opset >= 17) return this.norm.toOnnx(g, x);
    const shape = [1, this.dim, 1, 1];
    const mean = g.op('ReduceMean', [x], { axes: [1], keepdims: 1 }, [x.shape[0]!, 1, x.shape[2]!, x.shape[3]!]);
    const d = g.binary('Sub', x, mean);
    const variance = g.op('ReduceMean', [g.binary('Mul', d, d)], { axes: [1], keepdims: 1 }, mean.shape);
    const inv = g.unary('Reciprocal', g.unary('Sqrt', g.binary('Add', variance, g.constant([this.norm.eps], [], 'ln_eps'))));
    const w = g.constant(this.norm.torchValue('weight').data, shape, 'ln_w');
    const b = g.constant(this.norm.torchValue('bias').data, shape, 'ln_b');
    return g.binary('Add', g.binary('Mul', g.binary('Mul', d, inv), w), b);
  }
}
