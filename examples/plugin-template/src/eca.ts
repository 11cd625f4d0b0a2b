import { Module, OnnxBuilder, conv2d, tf, uniformInit, type OnnxValue } from '@yolomods/core';

/**
 * ECA(c1, k_size=3): Efficient Channel Attention. Global average pool, a 1-D conv across channels,
 * sigmoid, rescale. Keys as PyTorch: `conv.weight` `[1, 1, k]`.
 */
export class ECA extends Module {
  /** The 1-D conv across channels (`conv.weight`). */
  readonly conv: Conv1dAcrossChannels;
  constructor(readonly c1: number, readonly kSize = 3) {
    super();
    if (!Number.isInteger(kSize) || kSize < 1 || kSize % 2 === 0) throw new Error(`ECA: k_size must be an odd positive integer, got ${kSize}`);
    this.conv = this.module('conv', new Conv1dAcrossChannels(kSize));
  }
  forward(x: tf.Tensor4D): tf.Tensor4D {
    return tf.tidy(() => tf.mul(x, tf.sigmoid(this.conv.forward(tf.mean(x, [1, 2], true) as tf.Tensor4D))));
  }
  override toOnnx(g: OnnxBuilder, x: OnnxValue): OnnxValue {
    const pooled = g.op('GlobalAveragePool', [x], {}, [x.shape[0]!, x.shape[1]!, 1, 1]);
    return g.binary('Mul', x, g.unary('Sigmoid', this.conv.toOnnx(g, pooled)));
  }
}

/** `nn.Conv1d(1, 1, k, padding=(k-1)/2, bias=False)` applied along the channel axis of `[B, 1, 1, C]`. */
class Conv1dAcrossChannels extends Module {
  readonly weight: tf.Variable;
  constructor(readonly k: number) {
    super();
    this.weight = this.param('weight', uniformInit([1, 1, k], k));
  }
  forward(x: tf.Tensor4D): tf.Tensor4D {
    const [b, , , c] = x.shape;
    return tf.tidy(() => {
      // Channels become the conv's height: [B, C, 1, 1] with a [k, 1, 1, 1] HWIO filter.
      const y = conv2d(tf.reshape(x, [b, c, 1, 1]), tf.reshape(this.weight, [this.k, 1, 1, 1]), { padding: [(this.k - 1) / 2, 0] });
      return tf.reshape(y, [b, 1, 1, c]);
    });
  }
  override toOnnx(g: OnnxBuilder, x: OnnxValue): OnnxValue {
    const [b, c] = [x.shape[0]!, x.shape[1]!];
    const w = this.torchValue('weight');
    const col = g.reshape(x, [b, 1, c, 1]);
    const y = g.conv(col, g.constant(w.data, [1, 1, this.k, 1], 'eca_w'), null, { pad: [(this.k - 1) / 2, 0] });
    return g.reshape(y, [b, c, 1, 1]);
  }
}
