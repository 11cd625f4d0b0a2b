import { Linear, Module, conv2d, matMul, pair, tf, uniformInit, type OnnxBuilder, type OnnxValue, type Pair } from '@yolomods/core';

/** timm `get_padding` for `padding=''`: ((stride − 1) + dilation·(k − 1)) // 2. */
export function timmPadding(k: number, stride: number, dilation: number): number {
  return Math.floor((stride - 1 + dilation * (k - 1)) / 2);
}

/** timm `CondConv2d`: a bank of expert kernels `weight` `[E, out·in/groups·k·k]` mixed per sample. */
export class CondConv2d extends Module {
  /** Expert kernels, each a flattened PyTorch `[out, in/groups, k, k]` kernel. */
  readonly weight: tf.Variable;
  constructor(
    readonly inChannels: number,
    readonly outChannels: number,
    readonly kernelSize: number,
    readonly stride: number,
    readonly padding: number,
    readonly dilation: number,
    readonly groups: number,
    readonly numExperts: number,
  ) {
    super();
    if (inChannels % groups || outChannels % groups) throw new Error(`CondConv2d(${inChannels}, ${outChannels}): channels must be divisible by groups=${groups}`);
    const per = (outChannels * inChannels * kernelSize * kernelSize) / groups;
    this.weight = this.param('weight', uniformInit([numExperts, per], (inChannels / groups) * kernelSize * kernelSize));
  }
  /** Convolves each sample of `x` with its own mixture `routing[b] @ weight`. */
  forward(input: { x: tf.Tensor4D; routing: tf.Tensor2D }): tf.Tensor4D {
    const { x, routing } = input;
    const b = x.shape[0];
    const k = this.kernelSize;
    return tf.tidy(() => {
      const kernels = tf.reshape(matMul(routing, this.weight), [b, this.outChannels, this.inChannels / this.groups, k, k]);
      const hwio = tf.transpose(kernels, [0, 3, 4, 2, 1]); // [B, k, k, in/g, out]
      const opts = { stride: this.stride, padding: this.padding, dilation: this.dilation, groups: this.groups };
      const xs = tf.split(x, b, 0);
      const ws = tf.unstack(hwio, 0);
      return tf.concat(xs.map((xb, i) => conv2d(xb as tf.Tensor4D, ws[i] as tf.Tensor4D, opts)), 0) as tf.Tensor4D;
    });
  }
  /** ONNX as timm runs it: the batch folded into groups, the mixed kernels as the Conv's weight input. */
  override toOnnx(g: OnnxBuilder, input: { x: OnnxValue; routing: OnnxValue }): OnnxValue {
    const { x, routing } = input;
    const [b, c, h, w] = x.shape as [number, number, number, number];
    const k = this.kernelSize;
    const bank = this.torchValue('weight');
    const mixed = g.op('MatMul', [routing, g.constant(bank.data, bank.shape, 'experts')], {}, [b, bank.shape[1]!]);
    const kernel = g.reshape(mixed, [b * this.outChannels, this.inChannels / this.groups, k, k]);
    const folded = g.reshape(x, [1, b * c, h, w]);
    const y = g.conv(folded, kernel, null, { stride: [this.stride, this.stride], pad: [this.padding, this.padding], dilation: [this.dilation, this.dilation], groups: this.groups * b });
    return g.reshape(y, [b, this.outChannels, y.shape[2]!, y.shape[3]!]);
  }
}

/**
 * DynamicConv(in, out, kernel_size=1, stride=1, padding='', dilation=1, groups=1, bias=false,
 * num_experts=4) from ParameterNet: sigmoid routing from the pooled input mixes expert kernels per sample.
 */
export class DynamicConv extends Module {
  /** Routing `Linear(in, num_experts)`. */
  readonly routing: Linear;
  /** The conditional convolution. */
  readonly condConv: CondConv2d;
  constructor(
    inFeatures: number,
    outFeatures: number,
    kernelSize: Pair = 1,
    stride = 1,
    padding: number | '' = '',
    dilation = 1,
    groups = 1,
    bias = false,
    numExperts = 4,
  ) {
    super();
    const [k, k2] = pair(kernelSize, 1);
    if (k !== k2) throw new Error(`DynamicConv: only square kernels are supported, got ${k}x${k2}`);
    if (bias) throw new Error('DynamicConv: bias=true is not supported yet (ParameterNet uses bias=False)');
    if (!Number.isInteger(numExperts) || numExperts < 1) throw new Error(`DynamicConv: num_experts must be a positive integer, got ${numExperts}`);
    const pad = padding === '' ? timmPadding(k, stride, dilation) : padding;
    this.routing = this.module('routing', new Linear(inFeatures, numExperts));
    this.condConv = this.module('cond_conv', new CondConv2d(inFeatures, outFeatures, k, stride, pad, dilation, groups, numExperts));
  }
  forward(x: tf.Tensor4D): tf.Tensor4D {
    return tf.tidy(() => {
      const pooled = tf.mean(x, [1, 2]) as tf.Tensor2D;
      const routing = tf.sigmoid(this.routing.forward(pooled)) as tf.Tensor2D;
      return this.condConv.forward({ x, routing });
    });
  }
  override toOnnx(g: OnnxBuilder, x: OnnxValue): OnnxValue {
    const [b, c] = x.shape as [number, number];
    const pooled = g.reshape(g.op('GlobalAveragePool', [x], {}, [b, c, 1, 1]), [b, c]);
    const routing = g.unary('Sigmoid', this.routing.toOnnx(g, pooled));
    return this.condConv.toOnnx(g, { x, routing });
  }
}
