import { Linear, Module, ReLU, Sequential, Sigmoid, ctor, registry as sharedRegistry, rules, tf, type OnnxBuilder, type OnnxValue, type Registry } from '@yolomods/core';

/**
 * SE(c1, r=16): squeeze-and-excitation channel attention (Hu et al., CVPR 2018), written as user code
 * with the `@yolomods/core` Module API. Global average pool → Linear(c1, c1/r) → ReLU →
 * Linear(c1/r, c1) → sigmoid → rescale the input channels. Output channels = input channels.
 *
 * Parameter keys equal the usual PyTorch module (`self.fc = nn.Sequential(nn.Linear(c1, c1 // r, bias=False),
 * nn.ReLU(), nn.Linear(c1 // r, c1, bias=False), nn.Sigmoid())`): `fc.0.weight` `[c1/r, c1]` and
 * `fc.2.weight` `[c1, c1/r]`, so `2 · c1 · (c1/r)` parameters.
 */
export class SE extends Module {
  /** Hidden width of the bottleneck: `max(1, floor(c1 / r))`. */
  readonly hidden: number;
  /** The excitation MLP (`fc.0`, `fc.1`, `fc.2`, `fc.3`). */
  readonly fc: Sequential;
  constructor(readonly c1: number, readonly r = 16) {
    super();
    if (!Number.isInteger(c1) || c1 < 1) throw new Error(`SE: c1 must be a positive integer, got ${c1}`);
    if (!(r > 0)) throw new Error(`SE: the reduction r must be positive, got ${r}`);
    this.hidden = Math.max(1, Math.floor(c1 / r));
    this.fc = this.module('fc', new Sequential([new Linear(c1, this.hidden, false), new ReLU(), new Linear(this.hidden, c1, false), new Sigmoid()]));
  }

  /** NHWC in, NHWC out: `x · σ(MLP(mean_hw(x)))`. */
  forward(x: tf.Tensor4D): tf.Tensor4D {
    return tf.tidy(() => {
      const squeezed = tf.mean(x, [1, 2], true); // [B, 1, 1, C]
      const weights = this.fc.forward(squeezed) as tf.Tensor; // Linear works on the last axis: [B, 1, 1, C]
      return tf.mul(x, weights) as tf.Tensor4D;
    });
  }

  /** ONNX (NCHW): GlobalAveragePool → [B, C] → MLP → [B, C, 1, 1] → Mul. */
  override toOnnx(g: OnnxBuilder, x: OnnxValue): OnnxValue {
    const [b, c] = [x.shape[0]!, x.shape[1]!];
    const pooled = g.reshape(g.op('GlobalAveragePool', [x], {}, [b, c, 1, 1]), [b, c]);
    const w = this.fc.toOnnx(g, pooled) as OnnxValue;
    return g.binary('Mul', x, g.reshape(w, [b, c, 1, 1]));
  }
}

// One builder for the life of the module: registering twice is then a no-op, not a conflict.
const buildSE = ctor(SE);

/**
 * Registers `SE` on a registry (default: the shared one that `YOLO.create` builds from). The channel
 * rule `rules.inputChannels` turns the YAML line `[-1, 1, SE, [16]]` into `SE(c_in, 16)` and says the
 * layer's output has `c_in` channels, exactly like an ultralytics `parse_model` branch would.
 */
export function registerSE(registry: Registry = sharedRegistry): Registry {
  return registry.register({ name: 'SE', build: buildSE, channels: rules.inputChannels, package: '@yolomods/example-custom-block' });
}
