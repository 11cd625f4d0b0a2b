import { tf } from '../runtime';
import { Module, ModuleList } from '../module';
import type { OnnxBuilder, OnnxValue } from '../onnx/builder';
import { MaxPool2d } from '../nn/layers';
import { Conv } from './conv';

/** ultralytics `Bottleneck(c1, c2, shortcut=True, g=1, k=(3, 3), e=0.5)`. */
export class Bottleneck extends Module {
  /** First conv. */
  readonly cv1: Conv;
  /** Second conv. */
  readonly cv2: Conv;
  /** Residual connection (shortcut and c1 == c2). */
  readonly add: boolean;
  constructor(c1: number, c2: number, shortcut = true, g = 1, k: [number, number] = [3, 3], e = 0.5) {
    super();
    const c = Math.trunc(c2 * e);
    this.cv1 = this.module('cv1', new Conv(c1, c, k[0], 1));
    this.cv2 = this.module('cv2', new Conv(c, c2, k[1], 1, null, g));
    this.add = shortcut && c1 === c2;
  }
  forward(x: tf.Tensor4D): tf.Tensor4D {
    return tf.tidy(() => {
      const y = this.cv2.forward(this.cv1.forward(x));
      return this.add ? tf.add(x, y) : y;
    });
  }
  override toOnnx(g: OnnxBuilder, x: OnnxValue): OnnxValue {
    const y = this.cv2.toOnnx(g, this.cv1.toOnnx(g, x));
    return this.add ? g.binary('Add', x, y) : y;
  }
}

/** ultralytics `C2f(c1, c2, n=1, shortcut=False, g=1, e=0.5)`: CSP bottleneck with two convolutions. */
export class C2f extends Module {
  /** Hidden channels. */
  readonly c: number;
  /** Input conv to 2·c channels. */
  readonly cv1: Conv;
  /** Output conv from (2 + n)·c channels. */
  readonly cv2: Conv;
  /** The n bottlenecks. */
  readonly m: ModuleList<Bottleneck>;
  constructor(c1: number, c2: number, n = 1, shortcut = false, g = 1, e = 0.5) {
    super();
    this.c = Math.trunc(c2 * e);
    this.cv1 = this.module('cv1', new Conv(c1, 2 * this.c, 1, 1));
    this.cv2 = this.module('cv2', new Conv((2 + n) * this.c, c2, 1));
    const blocks = Array.from({ length: n }, () => new Bottleneck(this.c, this.c, shortcut, g, [3, 3], 1.0));
    this.m = this.module('m', new ModuleList(blocks));
  }
  forward(x: tf.Tensor4D): tf.Tensor4D {
    return tf.tidy(() => {
      // A fresh array: appending to the one tf.split returns breaks backprop.
      const ys: tf.Tensor4D[] = [...(tf.split(this.cv1.forward(x), 2, 3) as tf.Tensor4D[])];
      for (const b of this.m.items) ys.push(b.forward(ys[ys.length - 1]!));
      return this.cv2.forward(tf.concat(ys, 3));
    });
  }
  override toOnnx(g: OnnxBuilder, x: OnnxValue): OnnxValue {
    const ys = this.cv1.toOnnxChunks(g, x, 2);
    for (const b of this.m.items) ys.push(b.toOnnx(g, ys[ys.length - 1]!));
    return this.cv2.toOnnx(g, g.concat(ys, 1));
  }
}

/** ultralytics `SPPF(c1, c2, k=5)`: three chained max-pools, concatenated. */
export class SPPF extends Module {
  /** Input conv to c1/2. */
  readonly cv1: Conv;
  /** Output conv. */
  readonly cv2: Conv;
  /** The shared max-pool (k, stride 1, pad k/2). */
  readonly m: MaxPool2d;
  constructor(c1: number, c2: number, k = 5) {
    super();
    const c = Math.trunc(c1 / 2);
    this.cv1 = this.module('cv1', new Conv(c1, c, 1, 1));
    this.cv2 = this.module('cv2', new Conv(c * 4, c2, 1, 1));
    this.m = this.module('m', new MaxPool2d(k, 1, Math.floor(k / 2)));
  }
  forward(x: tf.Tensor4D): tf.Tensor4D {
    return tf.tidy(() => {
      const ys = [this.cv1.forward(x)];
      for (let i = 0; i < 3; i++) ys.push(this.m.forward(ys[i]!));
      return this.cv2.forward(tf.concat(ys, 3));
    });
  }
  override toOnnx(g: OnnxBuilder, x: OnnxValue): OnnxValue {
    const ys = [this.cv1.toOnnx(g, x)];
    for (let i = 0; i < 3; i++) ys.push(this.m.toOnnx(g, ys[i]!));
    return this.cv2.toOnnx(g, g.concat(ys, 1));
  }
}
