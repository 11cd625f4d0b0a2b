import { tf } from '../runtime';
import { Module, exportChild } from '../module';
import type { OnnxBuilder, OnnxValue } from '../onnx/builder';
import { BatchNorm2d, Conv2d, Identity, SiLU } from '../nn/layers';

/** ultralytics `autopad`: 'same' padding for odd kernels. */
export function autopad(k: number, p: number | null = null, d = 1): number {
  const kk = d > 1 ? d * (k - 1) + 1 : k;
  return p ?? Math.floor(kk / 2);
}

/** The SiLU instance every default-activation Conv shares (PyTorch counts it once). */
export const DEFAULT_ACT = new SiLU();

/** ultralytics `Conv(c1, c2, k=1, s=1, p=None, g=1, d=1, act=True)`: Conv2d (no bias) → BN → SiLU. */
export class Conv extends Module {
  /** The convolution (`conv.weight`). */
  readonly conv: Conv2d;
  /** The batch norm (`bn.*`). */
  readonly bn: BatchNorm2d;
  /** The activation. */
  readonly act: Module;
  constructor(c1: number, c2: number, k = 1, s = 1, p: number | null = null, g = 1, d = 1, act: boolean | Module = true) {
    super();
    this.conv = this.module('conv', new Conv2d(c1, c2, k, { stride: s, padding: autopad(k, p, d), groups: g, dilation: d, bias: false }));
    this.bn = this.module('bn', new BatchNorm2d(c2));
    this.act = this.module('act', act === true ? DEFAULT_ACT : act instanceof Module ? act : new Identity());
  }
  forward(x: tf.Tensor4D): tf.Tensor4D {
    return tf.tidy(() => this.act.forward(this.bn.forward(this.conv.forward(x))) as tf.Tensor4D);
  }
  /** Exported with BatchNorm folded into the convolution (ultralytics `fuse_conv_and_bn`). */
  override toOnnx(g: OnnxBuilder, x: OnnxValue, outputs?: [number, number]): OnnxValue {
    return exportChild(g, this.act, this.conv.toOnnx(g, x, this.bn.affine(), outputs), 'act') as OnnxValue;
  }
  /**
   * Exported as `n` convs over equal chunks of the output channels: what a Split of its output gives,
   * without the Split, which onnxruntime's blocked-channel layout lacks (it converted the tensor back and
   * forth around each one; yolov8n runs ~7 % faster without).
   */
  toOnnxChunks(g: OnnxBuilder, x: OnnxValue, n: number): OnnxValue[] {
    const c = this.conv.outChannels / n;
    if (!Number.isInteger(c)) throw new Error(`Conv(${this.conv.inChannels}, ${this.conv.outChannels}): ${this.conv.outChannels} channels do not split into ${n} chunks`);
    return Array.from({ length: n }, (_, i) => this.toOnnx(g, x, [i * c, (i + 1) * c]));
  }
}

function gcd(a: number, b: number): number {
  return b === 0 ? a : gcd(b, a % b);
}

/** ultralytics `DWConv(c1, c2, k=1, s=1, d=1, act=True)`: Conv with groups = gcd(c1, c2). */
export class DWConv extends Conv {
  constructor(c1: number, c2: number, k = 1, s = 1, d = 1, act: boolean | Module = true) {
    super(c1, c2, k, s, null, gcd(c1, c2), d, act);
  }
}
