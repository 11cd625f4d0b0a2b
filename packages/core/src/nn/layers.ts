import { tf } from '../runtime';
import { Module } from '../module';
import { conv2d, matMul, pair, type Pair } from '../ops/conv';
import { uniformInit } from '../ops/init';
import { upsampleNearest } from '../ops/sample';
import { batchNormTrain, channelAffine, silu } from '../ops/batch-norm';
import { OnnxFloat, type OnnxBuilder, type OnnxValue } from '../onnx/builder';

/** Options of {@link Conv2d} beyond channels and kernel. */
export interface Conv2dConfig {
  /** Stride (default 1). */
  stride?: Pair;
  /** Zero padding per side (default 0). */
  padding?: Pair;
  /** Dilation (default 1). */
  dilation?: Pair;
  /** Groups (default 1). */
  groups?: number;
  /** Learnable bias (default true, as PyTorch). */
  bias?: boolean;
}

/** PyTorch `nn.Conv2d` (keys `weight`, `bias`), NHWC. */
export class Conv2d extends Module {
  /** Filter, internal layout `[kh, kw, in/groups, out]`. */
  readonly weight: tf.Variable;
  /** Bias `[out]`, or null. */
  readonly bias: tf.Variable | null;
  /** Convolution options. */
  readonly opts: Required<Omit<Conv2dConfig, 'bias'>>;
  constructor(
    readonly inChannels: number,
    readonly outChannels: number,
    kernel: Pair,
    cfg: Conv2dConfig = {},
  ) {
    super();
    const [kh, kw] = pair(kernel, 1);
    const groups = cfg.groups ?? 1;
    if (inChannels % groups || outChannels % groups) {
      throw new Error(`Conv2d(${inChannels}, ${outChannels}): channels must be divisible by groups=${groups}`);
    }
    const fanIn = (inChannels / groups) * kh * kw;
    this.weight = this.param('weight', uniformInit([kh, kw, inChannels / groups, outChannels], fanIn), { layout: 'oihw' });
    this.bias = cfg.bias === false ? null : this.param('bias', uniformInit([outChannels], fanIn));
    this.opts = { stride: cfg.stride ?? 1, padding: cfg.padding ?? 0, dilation: cfg.dilation ?? 1, groups };
  }
  forward(x: tf.Tensor4D): tf.Tensor4D {
    return tf.tidy(() => {
      const y = conv2d(x, this.weight as tf.Tensor4D, this.opts);
      return this.bias ? tf.add(y, this.bias) : y;
    });
  }
  /** Exports the conv, BatchNorm `fold`ed in if given; `outputs` = [from, to) exports only those output channels. */
  override toOnnx(g: OnnxBuilder, x: OnnxValue, fold?: { scale: Float32Array; shift: Float32Array }, outputs?: [number, number]): OnnxValue {
    const full = this.torchValue('weight');
    const [o0, o1] = outputs ?? [0, this.outChannels];
    if (outputs && this.opts.groups !== 1) throw new Error(`Conv2d(${this.inChannels}, ${this.outChannels}): output ranges need groups=1, got ${this.opts.groups}`);
    const per = full.data.length / this.outChannels;
    const out = o1 - o0;
    const w = { data: full.data.slice(o0 * per, o1 * per), shape: [out, ...full.shape.slice(1)] };
    const bias = this.bias ? this.torchValue('bias').data.slice(o0, o1) : new Float32Array(out);
    if (fold) {
      for (let o = 0; o < out; o++) {
        for (let j = 0; j < per; j++) w.data[o * per + j]! *= fold.scale[o0 + o]!;
        bias[o] = bias[o]! * fold.scale[o0 + o]! + fold.shift[o0 + o]!;
      }
    }
    const hasBias = !!this.bias || !!fold;
    return g.conv(x, g.constant(w.data, w.shape, 'weight'), hasBias ? g.constant(bias, [out], 'bias') : null, {
      stride: pair(this.opts.stride, 1),
      pad: pair(this.opts.padding, 0),
      dilation: pair(this.opts.dilation, 1),
      groups: this.opts.groups,
    });
  }
}

/** PyTorch `nn.BatchNorm2d` over the channel (last) axis; batch statistics in train mode. */
export class BatchNorm2d extends Module {
  /** Scale γ. */
  readonly weight: tf.Variable;
  /** Shift β. */
  readonly bias: tf.Variable;
  /** Running mean (buffer). */
  readonly runningMean: tf.Variable;
  /** Running variance (buffer). */
  readonly runningVar: tf.Variable;
  /** ε added to the variance (PyTorch default 1e-5; ultralytics models set 1e-3). */
  eps: number;
  /** Running-statistics momentum (PyTorch default 0.1; ultralytics models set 0.03). */
  momentum: number;
  constructor(readonly channels: number, cfg: { eps?: number; momentum?: number } = {}) {
    super();
    this.weight = this.param('weight', tf.ones([channels]));
    this.bias = this.param('bias', tf.zeros([channels]));
    this.runningMean = this.param('running_mean', tf.zeros([channels]), { buffer: true });
    this.runningVar = this.param('running_var', tf.ones([channels]), { buffer: true });
    this.eps = cfg.eps ?? 1e-5;
    this.momentum = cfg.momentum ?? 0.1;
  }
  forward(x: tf.Tensor4D): tf.Tensor4D {
    if (!this.training) {
      return tf.tidy(() => {
        const scale = tf.mul(this.weight, tf.rsqrt(tf.add(this.runningVar, this.eps)));
        return channelAffine(x, scale, tf.sub(this.bias, tf.mul(this.runningMean, scale)));
      });
    }
    return tf.tidy(() => this.#trainForward(x));
  }

  #trainForward(x: tf.Tensor4D): tf.Tensor4D {
    return batchNormTrain(x, this.weight, this.bias, this.eps, (mean, variance) => {
      // Running statistics are a side effect (unbiased variance, as PyTorch): nothing downstream reads them.
      const m = this.momentum;
      const k = x.size / this.channels;
      this.runningMean.assign(tf.add(tf.mul(this.runningMean, 1 - m), tf.mul(mean, m)));
      this.runningVar.assign(tf.add(tf.mul(this.runningVar, 1 - m), tf.mul(variance, (m * k) / Math.max(k - 1, 1))));
    });
  }
  /** Eval-mode BN as a per-channel affine map y = x·scale + shift (for folding into a conv). */
  affine(): { scale: Float32Array; shift: Float32Array } {
    const [g, b, m, v] = ['weight', 'bias', 'running_mean', 'running_var'].map((k) => this.torchValue(k).data) as Float32Array[];
    const scale = g!.map((gi, i) => gi / Math.sqrt(v![i]! + this.eps));
    return { scale, shift: b!.map((bi, i) => bi - m![i]! * scale[i]!) };
  }
  override toOnnx(g: OnnxBuilder, x: OnnxValue): OnnxValue {
    const { scale, shift } = this.affine();
    const shape = [1, this.channels, 1, 1];
    return g.binary('Add', g.binary('Mul', x, g.constant(scale, shape, 'bn_scale')), g.constant(shift, shape, 'bn_shift'));
  }
}

/** PyTorch `nn.Linear` on the last axis (keys `weight` `[out, in]`, `bias`). */
export class Linear extends Module {
  /** Weight, internal `[in, out]`. */
  readonly weight: tf.Variable;
  /** Bias `[out]`, or null. */
  readonly bias: tf.Variable | null;
  constructor(readonly inFeatures: number, readonly outFeatures: number, bias = true) {
    super();
    this.weight = this.param('weight', uniformInit([inFeatures, outFeatures], inFeatures), { layout: 'linear' });
    this.bias = bias ? this.param('bias', uniformInit([outFeatures], inFeatures)) : null;
  }
  forward(x: tf.Tensor): tf.Tensor {
    return tf.tidy(() => {
      const flat = tf.reshape(x, [-1, this.inFeatures]);
      let y = matMul(flat, this.weight);
      if (this.bias) y = tf.add(y, this.bias);
      return tf.reshape(y, [...x.shape.slice(0, -1), this.outFeatures]);
    });
  }
  override toOnnx(g: OnnxBuilder, x: OnnxValue): OnnxValue {
    const w = this.torchValue('weight');
    const wt = new Float32Array(w.data.length);
    for (let o = 0; o < this.outFeatures; o++) for (let i = 0; i < this.inFeatures; i++) wt[i * this.outFeatures + o] = w.data[o * this.inFeatures + i]!;
    const shape = [...x.shape.slice(0, -1), this.outFeatures];
    const y = g.op('MatMul', [x, g.constant(wt, [this.inFeatures, this.outFeatures], 'linear_w')], {}, shape);
    return this.bias ? g.binary('Add', y, g.constant(this.torchValue('bias').data, [this.outFeatures], 'linear_b')) : y;
  }
}

/** PyTorch `nn.LayerNorm(dim)` over the last axis (channels, in NHWC). */
export class LayerNorm extends Module {
  /** Scale γ. */
  readonly weight: tf.Variable;
  /** Shift β. */
  readonly bias: tf.Variable;
  constructor(readonly dim: number, readonly eps = 1e-5) {
    super();
    this.weight = this.param('weight', tf.ones([dim]));
    this.bias = this.param('bias', tf.zeros([dim]));
  }
  forward(x: tf.Tensor): tf.Tensor {
    return tf.tidy(() => {
      const { mean, variance } = tf.moments(x, -1, true);
      return tf.add(tf.mul(tf.mul(tf.sub(x, mean), tf.rsqrt(tf.add(variance, this.eps))), this.weight), this.bias);
    });
  }
  override toOnnx(g: OnnxBuilder, x: OnnxValue): OnnxValue {
    // Normalises axis 1 of an NCHW map: moved last, LayerNormalization, moved back.
    const last = g.transpose(x, [0, 2, 3, 1]);
    const w = g.constant(this.torchValue('weight').data, [this.dim], 'ln_w');
    const b = g.constant(this.torchValue('bias').data, [this.dim], 'ln_b');
    const y = g.op('LayerNormalization', [last, w, b], { axis: -1, epsilon: new OnnxFloat(this.eps) }, last.shape);
    return g.transpose(y, [0, 3, 1, 2]);
  }
}

/** PyTorch `nn.Dropout(p)`: identity in eval mode. */
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

/** x·σ(x). */
export class SiLU extends Module {
  forward(x: tf.Tensor): tf.Tensor {
    return tf.tidy(() => silu(x));
  }
  override toOnnx(g: OnnxBuilder, x: OnnxValue): OnnxValue {
    return g.silu(x);
  }
}

/** max(x, 0). */
export class ReLU extends Module {
  forward(x: tf.Tensor): tf.Tensor {
    return tf.relu(x);
  }
  override toOnnx(g: OnnxBuilder, x: OnnxValue): OnnxValue {
    return g.unary('Relu', x);
  }
}

/** Exact (erf) GELU, PyTorch's default. */
export class GELU extends Module {
  forward(x: tf.Tensor): tf.Tensor {
    return tf.tidy(() => {
      // 0.5·x·(1 + erf(x/√2)); tf.erf has gradients on every backend.
      return tf.mul(tf.mul(x, 0.5), tf.add(1, tf.erf(tf.mul(x, Math.SQRT1_2))));
    });
  }
  override toOnnx(g: OnnxBuilder, x: OnnxValue): OnnxValue {
    const erf = g.unary('Erf', g.binary('Mul', x, g.constant([Math.SQRT1_2], [], 'rsqrt2')));
    return g.binary('Mul', g.binary('Mul', x, g.constant([0.5], [], 'half')), g.binary('Add', erf, g.constant([1], [], 'one')));
  }
}

/** σ(x). */
export class Sigmoid extends Module {
  forward(x: tf.Tensor): tf.Tensor {
    return tf.sigmoid(x);
  }
  override toOnnx(g: OnnxBuilder, x: OnnxValue): OnnxValue {
    return g.unary('Sigmoid', x);
  }
}

/** Returns its input. */
export class Identity extends Module {
  forward(x: tf.Tensor): tf.Tensor {
    return x;
  }
  override toOnnx(_g: OnnxBuilder, x: OnnxValue): OnnxValue {
    return x;
  }
}

/** PyTorch `nn.MaxPool2d(k, s, p)`; padded cells never win (−∞ padding). */
export class MaxPool2d extends Module {
  constructor(readonly kernel: number, readonly stride: number = kernel, readonly padding = 0) {
    super();
  }
  forward(x: tf.Tensor4D): tf.Tensor4D {
    return tf.maxPool(x, this.kernel, this.stride, this.padding);
  }
  override toOnnx(g: OnnxBuilder, x: OnnxValue): OnnxValue {
    const [k, s, p] = [this.kernel, this.stride, this.padding];
    const out = (d: number) => Math.floor((d + 2 * p - k) / s) + 1;
    return g.op('MaxPool', [x], { kernel_shape: [k, k], strides: [s, s], pads: [p, p, p, p] }, [x.shape[0]!, x.shape[1]!, out(x.shape[2]!), out(x.shape[3]!)]);
  }
}

/** PyTorch `nn.Upsample(size=None, scale_factor, mode='nearest')`. */
export class Upsample extends Module {
  constructor(readonly size: number | null = null, readonly scaleFactor = 2, readonly mode = 'nearest') {
    super();
    if (mode !== 'nearest') throw new Error(`Upsample: mode '${mode}' is not supported (only 'nearest')`);
    if (size !== null) throw new Error('Upsample: a fixed size is not supported; use scale_factor');
  }
  forward(x: tf.Tensor4D): tf.Tensor4D {
    return upsampleNearest(x, this.scaleFactor);
  }
  override toOnnx(g: OnnxBuilder, x: OnnxValue): OnnxValue {
    const f = this.scaleFactor;
    const scales = g.constant([1, 1, f, f], [4], 'scales');
    const shape = [x.shape[0]!, x.shape[1]!, Math.round(x.shape[2]! * f), Math.round(x.shape[3]! * f)];
    return g.op('Resize', [x, null, scales], { mode: 'nearest', coordinate_transformation_mode: 'asymmetric', nearest_mode: 'floor' }, shape);
  }
}

/** PyTorch dimension (NCHW) → NHWC axis. */
export function torchDimToNhwc(d: number): number {
  const map = [0, 3, 1, 2];
  const axis = map[d < 0 ? d + 4 : d];
  if (axis === undefined) throw new Error(`dimension ${d} is not a 4-D tensor dimension`);
  return axis;
}

/** ultralytics `Concat(dimension=1)`: concatenates a list of maps along a PyTorch dimension. */
export class Concat extends Module {
  readonly axis: number;
  constructor(readonly dimension = 1) {
    super();
    this.axis = torchDimToNhwc(dimension);
  }
  forward(xs: tf.Tensor[]): tf.Tensor {
    const shapes = xs.map((t) => t.shape);
    const ref = shapes[0]!;
    for (const s of shapes) {
      if (s.some((d, i) => i !== this.axis && d !== ref[i])) {
        throw new Error(`Concat: inputs differ outside dimension ${this.dimension}: ${shapes.map((s) => `[${s.join(', ')}]`).join(' vs ')}`);
      }
    }
    return tf.concat(xs, this.axis);
  }
  override toOnnx(g: OnnxBuilder, xs: OnnxValue[]): OnnxValue {
    return g.concat(xs, this.dimension);
  }
}
