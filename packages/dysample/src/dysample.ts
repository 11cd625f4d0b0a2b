import { Conv2d, Module, gridSample, normalInit, pixelShuffle, pixelUnshuffle, tf, type OnnxBuilder, type OnnxValue } from '@yolomods/core';

/** DySample sampling style: 'lp' (linear then pixel-shuffle) or 'pl' (pixel-shuffle then linear). */
export type DySampleStyle = 'lp' | 'pl';

/** `init_pos[xy, group, i, j]`: sub-pixel centres of the s×s output cells, x first, as the official code. */
function initPos(scale: number, groups: number): Float32Array {
  const out = new Float32Array(2 * groups * scale * scale);
  let k = 0;
  for (let xy = 0; xy < 2; xy++)
    for (let g = 0; g < groups; g++)
      for (let i = 0; i < scale; i++)
        for (let j = 0; j < scale; j++) out[k++] = ((xy === 0 ? j : i) - (scale - 1) / 2) / scale;
  return out;
}

/**
 * DySample(in_channels, scale=2, style='lp', groups=4, dyscope=false) — "Learning to Upsample by
 * Learning to Sample" (ICCV'23): upsampling by bilinear point sampling at learned offsets.
 */
export class DySample extends Module {
  /** 1×1 conv predicting offsets (`offset.weight`, `offset.bias`). */
  readonly offset: Conv2d;
  /** 1×1 conv predicting the dynamic scope (`scope.weight`), when `dyscope`. */
  readonly scope: Conv2d | null;
  /** Initial sampling positions (buffer `init_pos`, `[1, 2·groups·scale², 1, 1]`). */
  readonly initPos: tf.Variable;

  constructor(
    readonly inChannels: number,
    readonly scale = 2,
    readonly style: DySampleStyle = 'lp',
    readonly groups = 4,
    readonly dyscope = false,
  ) {
    super();
    if (style !== 'lp' && style !== 'pl') throw new Error(`DySample: style must be 'lp' or 'pl', got '${style}'`);
    if (!Number.isInteger(scale) || scale < 1) throw new Error(`DySample: scale must be a positive integer, got ${scale}`);
    if (!(inChannels >= groups && inChannels % groups === 0)) {
      throw new Error(`DySample: in_channels ${inChannels} must be a multiple of groups ${groups}`);
    }
    const s2 = scale * scale;
    if (style === 'pl' && !(inChannels >= s2 && inChannels % s2 === 0)) {
      throw new Error(`DySample: style 'pl' needs in_channels ${inChannels} to be a multiple of scale² = ${s2}`);
    }
    const cin = style === 'pl' ? inChannels / s2 : inChannels;
    const cout = style === 'pl' ? 2 * groups : 2 * groups * s2;
    this.offset = this.module('offset', new Conv2d(cin, cout, 1));
    // Official init: offsets start near zero (normal std 1e-3, bias 0), the scope at exactly 0.
    tf.tidy(() => {
      this.offset.weight.assign(normalInit(this.offset.weight.shape, 0.001));
      this.offset.bias!.assign(tf.zerosLike(this.offset.bias!));
    });
    this.scope = dyscope ? this.module('scope', new Conv2d(cin, cout, 1, { bias: false })) : null;
    if (this.scope) tf.tidy(() => this.scope!.weight.assign(tf.zerosLike(this.scope!.weight)));
    this.initPos = this.param('init_pos', tf.tensor4d(initPos(scale, groups), [1, 1, 1, 2 * groups * s2]), { layout: 'nchw', buffer: true });
  }

  /** Offsets `[B, H, W, 2·groups·scale²]` in input pixels, init_pos included. */
  #offsets(x: tf.Tensor4D): tf.Tensor4D {
    const s = this.scale;
    const gain = this.scope ? 0.5 : 0.25;
    const predict = (z: tf.Tensor4D) => {
      const o = this.offset.forward(z);
      return this.scope ? tf.mul(o, tf.sigmoid(this.scope.forward(z))) : o;
    };
    const raw = this.style === 'pl' ? pixelUnshuffle(predict(pixelShuffle(x, s)) as tf.Tensor4D, s) : predict(x);
    return tf.add(tf.mul(raw, gain), this.initPos) as tf.Tensor4D;
  }

  forward(x: tf.Tensor4D): tf.Tensor4D {
    const [b, h, w, c] = x.shape;
    const s = this.scale;
    const g = this.groups;
    return tf.tidy(() => {
      const off = tf.reshape(this.#offsets(x), [b, h, w, 2, g * s * s]);
      // Cell centres (w + 0.5, h + 0.5) in input pixels, normalised as grid_sample expects.
      const base = new Float32Array(h * w * 2);
      for (let y = 0; y < h; y++) for (let xx = 0; xx < w; xx++) base.set([xx + 0.5, y + 0.5], (y * w + xx) * 2);
      const norm = tf.tensor(new Float32Array([2 / w, 2 / h]), [1, 1, 1, 2, 1]);
      const coords = tf.sub(tf.mul(tf.add(off, tf.tensor(base, [1, h, w, 2, 1])), norm), 1);
      const shuffled = pixelShuffle(tf.reshape(coords, [b, h, w, 2 * g * s * s]) as tf.Tensor4D, s);
      const grid = tf.reshape(tf.transpose(tf.reshape(shuffled, [b, s * h, s * w, 2, g]), [0, 4, 1, 2, 3]), [b * g, s * h, s * w, 2]);
      const xg = tf.reshape(tf.transpose(tf.reshape(x, [b, h, w, g, c / g]), [0, 3, 1, 2, 4]), [b * g, h, w, c / g]);
      const y = gridSample(xg as tf.Tensor4D, grid as tf.Tensor4D, { alignCorners: false, paddingMode: 'border' });
      return tf.reshape(tf.transpose(tf.reshape(y, [b, g, s * h, s * w, c / g]), [0, 2, 3, 1, 4]), [b, s * h, s * w, c]) as tf.Tensor4D;
    });
  }

  override toOnnx(gr: OnnxBuilder, x: OnnxValue): OnnxValue {
    const [b, c, h, w] = x.shape as [number, number, number, number];
    const s = this.scale;
    const g = this.groups;
    const shuffle = (v: OnnxValue) => {
      const [, cc, hh, ww] = v.shape as [number, number, number, number];
      const t = gr.transpose(gr.reshape(v, [b, cc / (s * s), s, s, hh, ww]), [0, 1, 4, 2, 5, 3]);
      return gr.reshape(t, [b, cc / (s * s), hh * s, ww * s]);
    };
    const unshuffle = (v: OnnxValue) => {
      const [, cc, hh, ww] = v.shape as [number, number, number, number];
      const t = gr.transpose(gr.reshape(v, [b, cc, hh / s, s, ww / s, s]), [0, 1, 3, 5, 2, 4]);
      return gr.reshape(t, [b, cc * s * s, hh / s, ww / s]);
    };
    const predict = (z: OnnxValue) => {
      const o = this.offset.toOnnx(gr, z);
      return this.scope ? gr.binary('Mul', o, gr.unary('Sigmoid', this.scope.toOnnx(gr, z))) : o;
    };
    const raw = this.style === 'pl' ? unshuffle(predict(shuffle(x))) : predict(x);
    const pos = this.torchValue('init_pos');
    const off = gr.binary('Add', gr.binary('Mul', raw, gr.constant([this.scope ? 0.5 : 0.25], [], 'gain')), gr.constant(pos.data, pos.shape, 'init_pos'));
    const base = new Float32Array(2 * h * w);
    for (let y = 0; y < h; y++)
      for (let xx = 0; xx < w; xx++) {
        base[y * w + xx] = xx + 0.5;
        base[h * w + y * w + xx] = y + 0.5;
      }
    const norm = gr.constant([2 / w, 2 / h], [1, 2, 1, 1, 1], 'norm');
    const coords = gr.binary('Sub', gr.binary('Mul', gr.binary('Add', gr.reshape(off, [b, 2, g * s * s, h, w]), gr.constant(base, [1, 2, 1, h, w], 'base')), norm), gr.constant([1], [], 'one'));
    const sh = shuffle(gr.reshape(coords, [b, 2 * g * s * s, h, w]));
    const grid = gr.reshape(gr.transpose(gr.reshape(sh, [b, 2, g, s * h, s * w]), [0, 2, 3, 4, 1]), [b * g, s * h, s * w, 2]);
    const xg = gr.reshape(x, [b * g, c / g, h, w]);
    const mode = gr.opset >= 20 ? 'linear' : 'bilinear';
    const y = gr.op('GridSample', [xg, grid], { mode, padding_mode: 'border', align_corners: 0 }, [b * g, c / g, s * h, s * w]);
    return gr.reshape(y, [b, c, s * h, s * w]);
  }
}
