import { tf } from '../runtime';
import { Module, ModuleList, Sequential } from '../module';
import { Conv2d } from '../nn/layers';
import { matMul } from '../ops/conv';
import { Conv } from './conv';
import type { OnnxBuilder, OnnxValue } from '../onnx/builder';

/** What a detection head returns. */
export interface DetectOutput {
  /**
   * Eval mode: decoded predictions `[B, A, 4 + nc]`, one row per anchor (P3 anchors first, each
   * level row-major), columns `cx, cy, w, h` in input pixels then `nc` sigmoid class scores. This is
   * ultralytics' `y` transposed (PyTorch gives `[B, 4 + nc, A]`). Null in train mode.
   */
  y: tf.Tensor3D | null;
  /** Raw maps per level, NHWC `[B, H_i, W_i, 4·reg_max + nc]` (box logits first, then class logits). */
  feats: tf.Tensor4D[];
}

/** The fixed `arange(reg_max)` 1x1 conv inside DFL (a parameter without gradient, as ultralytics). */
class DflConv extends Module {
  readonly weight: tf.Variable;
  constructor(c1: number) {
    super();
    this.weight = this.param('weight', tf.tidy(() => tf.reshape(tf.range(0, c1, 1, 'float32'), [1, 1, c1, 1])), { layout: 'oihw', trainable: false });
  }
  forward(): never {
    throw new Error('DflConv is applied by DFL');
  }
}

/** ultralytics `DFL(c1=16)`: expectation of a softmax over `c1` distance bins. */
export class DFL extends Module {
  /** The fixed bin-value conv (`conv.weight`). */
  readonly conv: DflConv;
  constructor(readonly c1 = 16) {
    super();
    this.conv = this.module('conv', new DflConv(c1));
  }
  /** `[B, A, 4·c1]` box logits → `[B, A, 4]` distances (in strides). */
  forward(x: tf.Tensor3D): tf.Tensor3D {
    const [b, a] = x.shape;
    return tf.tidy(() => {
      const p = tf.softmax(tf.reshape(x, [b * a * 4, this.c1]));
      return tf.reshape(matMul(p, tf.reshape(this.conv.weight, [this.c1, 1])), [b, a, 4]) as tf.Tensor3D;
    });
  }
}

/** Anchor centres `(w + 0.5, h + 0.5)` and their strides for each level's map size. */
export function makeAnchors(shapes: [number, number][], strides: number[]): { points: Float32Array; strides: Float32Array } {
  const total = shapes.reduce((s, [h, w]) => s + h * w, 0);
  const points = new Float32Array(total * 2);
  const st = new Float32Array(total);
  let k = 0;
  shapes.forEach(([h, w], l) => {
    for (let y = 0; y < h; y++) {
      for (let x = 0; x < w; x++, k++) {
        points[2 * k] = x + 0.5;
        points[2 * k + 1] = y + 0.5;
        st[k] = strides[l]!;
      }
    }
  });
  return { points, strides: st };
}

/** Decodes ltrb distances around anchor points to `cx, cy, w, h` (ultralytics `dist2bbox(xywh=True)`). */
export function dist2bbox(distance: tf.Tensor3D, anchors: tf.Tensor2D): tf.Tensor3D {
  return tf.tidy(() => {
    const [lt, rb] = tf.split(distance, 2, 2);
    const x1y1 = tf.sub(anchors, lt!);
    const x2y2 = tf.add(anchors, rb!);
    return tf.concat([tf.div(tf.add(x1y1, x2y2), 2), tf.sub(x2y2, x1y1)], 2) as tf.Tensor3D;
  });
}

/** ultralytics v8 `Detect(nc, ch)`: box (DFL) and class branches per level, decoded in eval mode. */
export class Detect extends Module {
  /** Number of classes. */
  readonly nc: number;
  /** Number of levels. */
  readonly nl: number;
  /** DFL bins. */
  readonly regMax = 16;
  /** Outputs per anchor (4·reg_max + nc). */
  readonly no: number;
  /** Stride of each level, set by the model from a forward pass. */
  stride: number[] = [];
  /** Box branches. */
  readonly cv2: ModuleList<Sequential>;
  /** Class branches. */
  readonly cv3: ModuleList<Sequential>;
  /** Distribution focal loss decoder. */
  readonly dfl: DFL;
  constructor(nc = 80, ch: number[] = []) {
    super();
    this.nc = nc;
    this.nl = ch.length;
    this.no = nc + this.regMax * 4;
    const c2 = Math.max(16, Math.trunc(ch[0]! / 4), this.regMax * 4);
    const c3 = Math.max(ch[0]!, Math.min(nc, 100));
    this.cv2 = this.module('cv2', new ModuleList(ch.map((x) => new Sequential([new Conv(x, c2, 3), new Conv(c2, c2, 3), new Conv2d(c2, 4 * this.regMax, 1)]))));
    this.cv3 = this.module('cv3', new ModuleList(ch.map((x) => new Sequential([new Conv(x, c3, 3), new Conv(c3, c3, 3), new Conv2d(c3, nc, 1)]))));
    this.dfl = this.module('dfl', new DFL(this.regMax));
  }

  /** ultralytics `bias_init`: box biases 1, class biases log(5 / nc / (640 / s)²). Needs `stride`. */
  biasInit(): void {
    this.cv2.items.forEach((seq, i) => {
      const conv = seq.layers[2] as Conv2d;
      const clsConv = this.cv3.items[i]!.layers[2] as Conv2d;
      const s = this.stride[i]!;
      tf.tidy(() => {
        conv.bias!.assign(tf.onesLike(conv.bias!));
        clsConv.bias!.assign(tf.fill([this.nc], Math.log(5 / this.nc / (640 / s) ** 2)));
      });
    });
  }

  /** Raw maps per level: concat(box branch, class branch) on channels. */
  protected heads(xs: tf.Tensor4D[]): tf.Tensor4D[] {
    if (xs.length !== this.nl) throw new Error(`Detect expects ${this.nl} feature maps, got ${xs.length}`);
    return xs.map((x, i) =>
      tf.tidy(() => tf.concat([this.cv2.items[i]!.forward(x) as tf.Tensor4D, this.cv3.items[i]!.forward(x) as tf.Tensor4D], 3)),
    );
  }

  /** Decodes raw maps into `y` (see {@link DetectOutput}). */
  decode(feats: tf.Tensor4D[]): tf.Tensor3D {
    if (this.stride.length !== this.nl) throw new Error('Detect: strides are unknown (build the model with parseModel)');
    const b = feats[0]!.shape[0];
    return tf.tidy(() => {
      const flat = tf.concat(feats.map((f) => tf.reshape(f, [b, -1, this.no])), 1) as tf.Tensor3D;
      const [box, cls] = tf.split(flat, [this.regMax * 4, this.nc], 2);
      const { points, strides } = makeAnchors(feats.map((f) => [f.shape[1], f.shape[2]]), this.stride);
      const anchors = tf.tensor2d(points, [strides.length, 2]);
      const xywh = dist2bbox(this.dfl.forward(box as tf.Tensor3D), anchors);
      const scaled = tf.mul(xywh, tf.reshape(tf.tensor1d(strides), [1, -1, 1]));
      return tf.concat([scaled, tf.sigmoid(cls!)], 2) as tf.Tensor3D;
    });
  }

  forward(xs: tf.Tensor4D[]): DetectOutput {
    const feats = this.heads(xs);
    if (this.training || this.stride.length === 0) return { y: null, feats };
    return { y: this.decode(feats), feats };
  }

  /** Raw maps per level in the ONNX graph (subclasses that fuse first override this). */
  protected onnxHeads(g: OnnxBuilder, xs: OnnxValue[]): OnnxValue[] {
    return xs.map((x, i) => g.concat([this.cv2.items[i]!.toOnnx(g, x) as OnnxValue, this.cv3.items[i]!.toOnnx(g, x) as OnnxValue], 1));
  }

  /** Exports the head with its decode: output `[B, 4 + nc, A]` exactly as ultralytics' `y`. */
  override toOnnx(g: OnnxBuilder, xs: OnnxValue[]): OnnxValue {
    const maps = this.onnxHeads(g, xs);
    const b = maps[0]!.shape[0]!;
    const flat = g.concat(maps.map((m) => g.reshape(m, [b, this.no, m.shape[2]! * m.shape[3]!])), 2);
    const a = flat.shape[2]!;
    const [box, cls] = g.split(flat, [4 * this.regMax, this.nc], 1);
    // ultralytics softmaxes over axis 1 of [b, bins, 4, a]; onnxruntime runs a softmax over an inner axis
    // through transposes (13% of yolov8n's time), so the bins go last and DFL's 1x1 conv becomes a MatMul.
    const bins = g.transpose(g.reshape(box!, [b, 4, this.regMax, a]), [0, 1, 3, 2]);
    const w = this.dfl.conv.torchValue('weight');
    const prob = g.op('Softmax', [bins], { axis: 3 }, bins.shape);
    const dist = g.reshape(g.op('MatMul', [prob, g.constant(w.data, [this.regMax, 1], 'dfl')], {}, [b, 4, a, 1]), [b, 4, a]);
    const { points, strides } = makeAnchors(maps.map((m) => [m.shape[2]!, m.shape[3]!]), this.stride);
    const xy = new Float32Array(2 * a);
    for (let k = 0; k < a; k++) {
      xy[k] = points[2 * k]!;
      xy[a + k] = points[2 * k + 1]!;
    }
    const anchors = g.constant(xy, [1, 2, a], 'anchors');
    const x1y1 = g.binary('Sub', anchors, g.slice(dist, 1, 0, 2));
    const x2y2 = g.binary('Add', anchors, g.slice(dist, 1, 2, 4));
    const c = g.binary('Div', g.binary('Add', x1y1, x2y2), g.constant([2], [], 'two'));
    const xywh = g.binary('Mul', g.concat([c, g.binary('Sub', x2y2, x1y1)], 1), g.constant(strides, [1, 1, a], 'strides'));
    return g.concat([xywh, g.unary('Sigmoid', cls!)], 1);
  }
}
