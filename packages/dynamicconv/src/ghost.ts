import { BatchNorm2d, Conv, Module, ModuleList, ReLU, Sequential, tf, type OnnxBuilder, type OnnxValue } from '@yolomods/core';
import { DynamicConv } from './dynamic-conv';

/**
 * GhostModule(inp, oup, kernel_size=1, ratio=2, dw_size=3, stride=1) with DynamicConv: a primary
 * DynamicConv → BN → ReLU, a cheap depth-wise DynamicConv → BN → ReLU, concatenated and cut to `oup`.
 */
export class GhostModule extends Module {
  /** `primary_conv.0..2`. */
  readonly primaryConv: Sequential;
  /** `cheap_operation.0..2`. */
  readonly cheapOperation: Sequential;
  constructor(readonly inp: number, readonly oup: number, kernelSize = 1, ratio = 2, dwSize = 3, stride = 1, numExperts = 4) {
    super();
    const init = Math.ceil(oup / ratio);
    const extra = init * (ratio - 1);
    this.primaryConv = this.module(
      'primary_conv',
      new Sequential([new DynamicConv(inp, init, kernelSize, stride, Math.floor(kernelSize / 2), 1, 1, false, numExperts), new BatchNorm2d(init), new ReLU()]),
    );
    this.cheapOperation = this.module(
      'cheap_operation',
      new Sequential([new DynamicConv(init, extra, dwSize, 1, Math.floor(dwSize / 2), 1, init, false, numExperts), new BatchNorm2d(extra), new ReLU()]),
    );
  }
  forward(x: tf.Tensor4D): tf.Tensor4D {
    return tf.tidy(() => {
      const x1 = this.primaryConv.forward(x) as tf.Tensor4D;
      const x2 = this.cheapOperation.forward(x1) as tf.Tensor4D;
      const out = tf.concat([x1, x2], 3);
      return out.shape[3] === this.oup ? out : (tf.slice(out, [0, 0, 0, 0], [-1, -1, -1, this.oup]) as tf.Tensor4D);
    });
  }
  override toOnnx(g: OnnxBuilder, x: OnnxValue): OnnxValue {
    const x1 = this.primaryConv.toOnnx(g, x) as OnnxValue;
    const out = g.concat([x1, this.cheapOperation.toOnnx(g, x1) as OnnxValue], 1);
    return out.shape[1] === this.oup ? out : g.slice(out, 1, 0, this.oup);
  }
}

/**
 * C2f_DynamicConv(c1, c2, n=1, shortcut=false, g=1, e=0.5) — the seed's C2f_GhostModule_DynamicConv:
 * C2f with GhostModules (no residual; `shortcut` and `g` are accepted and ignored, as in the seed).
 */
export class C2f_DynamicConv extends Module {
  /** Hidden channels. */
  readonly c: number;
  /** Input conv to 2·c. */
  readonly cv1: Conv;
  /** Output conv from (2 + n)·c. */
  readonly cv2: Conv;
  /** The n GhostModules. */
  readonly m: ModuleList<GhostModule>;
  constructor(c1: number, c2: number, n = 1, _shortcut = false, _g = 1, e = 0.5) {
    super();
    this.c = Math.trunc(c2 * e);
    this.cv1 = this.module('cv1', new Conv(c1, 2 * this.c, 1, 1));
    this.cv2 = this.module('cv2', new Conv((2 + n) * this.c, c2, 1));
    this.m = this.module('m', new ModuleList(Array.from({ length: n }, () => new GhostModule(this.c, this.c))));
  }
  forward(x: tf.Tensor4D): tf.Tensor4D {
    return tf.tidy(() => {
      const ys: tf.Tensor4D[] = [...(tf.split(this.cv1.forward(x), 2, 3) as tf.Tensor4D[])];
      for (const g of this.m.items) ys.push(g.forward(ys[ys.length - 1]!));
      return this.cv2.forward(tf.concat(ys, 3));
    });
  }
  override toOnnx(g: OnnxBuilder, x: OnnxValue): OnnxValue {
    const ys = this.cv1.toOnnxChunks(g, x, 2);
    for (const m of this.m.items) ys.push(m.toOnnx(g, ys[ys.length - 1]!));
    return this.cv2.toOnnx(g, g.concat(ys, 1));
  }
}
