import { BatchNorm2d, Conv2d, Module, Sequential, SiLU, gatherPixels, tf, type OnnxBuilder, type OnnxValue } from '@yolomods/core';

/** Python's round(): halves go to the even neighbour. */
function pyRound(x: number): number {
  const r = Math.round(x);
  return Math.abs(x % 1) === 0.5 && r % 2 !== 0 ? r - 1 : r;
}

/**
 * Initial sampling offsets of the official `_get_p_n`: a rows×base grid (base = round(√N), row-major)
 * plus the N mod base remaining points in one more row. Returns [row offsets, column offsets].
 */
export function initialOffsets(n: number): [number[], number[]] {
  const base = pyRound(Math.sqrt(n));
  const rowCount = Math.floor(n / base);
  const rows: number[] = [];
  const cols: number[] = [];
  for (let r = 0; r < rowCount; r++) for (let c = 0; c < base; c++) rows.push(r), cols.push(c);
  for (let c = 0; c < n % base; c++) rows.push(rowCount), cols.push(c);
  return [rows, cols];
}

/**
 * AKConv(inc, outc, num_param, stride=1, bias=null): a convolution with any number of sampling points
 * in any initial shape, moved by learned offsets, then reduced by a (num_param, 1) conv → BN → SiLU.
 */
export class AKConv extends Module {
  /** The reducing conv: `conv.0` (num_param×1, stride num_param×1), `conv.1` BN, `conv.2` SiLU. */
  readonly conv: Sequential;
  /** Offset predictor `p_conv` (3x3, pad 1, stride, with bias): 2·num_param outputs, rows then columns. */
  readonly pConv: Conv2d;
  readonly #pRows: number[];
  readonly #pCols: number[];

  constructor(
    readonly inc: number,
    readonly outc: number,
    readonly numParam: number,
    readonly stride = 1,
    bias: boolean | null = null,
  ) {
    super();
    if (!Number.isInteger(numParam) || numParam < 1) throw new Error(`AKConv: num_param must be an integer ≥ 1, got ${numParam}`);
    if (!Number.isInteger(stride) || stride < 1) throw new Error(`AKConv: stride must be an integer ≥ 1, got ${stride}`);
    const n = numParam;
    this.conv = this.module('conv', new Sequential([new Conv2d(inc, outc, [n, 1], { stride: [n, 1], bias: !!bias }), new BatchNorm2d(outc), new SiLU()]));
    this.pConv = this.module('p_conv', new Conv2d(inc, 2 * n, 3, { padding: 1, stride }));
    // Official init: zero offset weights, so training starts from the initial shape.
    tf.tidy(() => this.pConv.weight.assign(tf.zerosLike(this.pConv.weight)));
    [this.#pRows, this.#pCols] = initialOffsets(n);
  }

  forward(x: tf.Tensor4D): tf.Tensor4D {
    const [b, hIn, wIn, c] = x.shape;
    const n = this.numParam;
    if (c !== this.inc) throw new Error(`AKConv: input has ${c} channels, expected ${this.inc}`);
    return tf.tidy(() => {
      const offset = this.pConv.forward(x);
      const [, h, w] = offset.shape;
      const [offR, offC] = tf.split(offset, 2, 3);
      const grid = (val: (i: number, j: number, k: number) => number) => {
        const a = new Float32Array(h * w * n);
        for (let i = 0; i < h; i++) for (let j = 0; j < w; j++) for (let k = 0; k < n; k++) a[(i * w + j) * n + k] = val(i, j, k);
        return tf.tensor4d(a, [1, h, w, n]);
      };
      const pr = tf.add(offR!, grid((i, _j, k) => i * this.stride + this.#pRows[k]!));
      const pc = tf.add(offC!, grid((_i, j, k) => j * this.stride + this.#pCols[k]!));
      // Corner indices are detached floats (floor has no gradient); the official code clamps them and p.
      const ltR = tf.clipByValue(tf.floor(pr), 0, hIn - 1);
      const ltC = tf.clipByValue(tf.floor(pc), 0, wIn - 1);
      const rbR = tf.clipByValue(tf.add(tf.floor(pr), 1), 0, hIn - 1);
      const rbC = tf.clipByValue(tf.add(tf.floor(pc), 1), 0, wIn - 1);
      const r = tf.clipByValue(pr, 0, hIn - 1);
      const cc = tf.clipByValue(pc, 0, wIn - 1);
      const plus = (q: tf.Tensor, p: tf.Tensor) => tf.add(1, tf.sub(q, p));
      const minus = (q: tf.Tensor, p: tf.Tensor) => tf.sub(1, tf.sub(q, p));
      const corners: [tf.Tensor, tf.Tensor, tf.Tensor][] = [
        [ltR, ltC, tf.mul(plus(ltR, r), plus(ltC, cc))],
        [rbR, rbC, tf.mul(minus(rbR, r), minus(rbC, cc))],
        [ltR, rbC, tf.mul(plus(ltR, r), minus(rbC, cc))],
        [rbR, ltC, tf.mul(minus(rbR, r), plus(ltC, cc))],
      ];
      let sampled: tf.Tensor | null = null;
      for (const [qr, qc, g] of corners) {
        const term = tf.mul(gatherPixels(x, qr, qc), tf.expandDims(g, -1));
        sampled = sampled ? tf.add(sampled, term) : term;
      }
      // 'b c h w n -> b c (h n) w' in NHWC: [B, h, w, N, C] → [B, h·N, w, C].
      const stacked = tf.reshape(tf.transpose(sampled!, [0, 1, 3, 2, 4]), [b, h * n, w, c]);
      return this.conv.forward(stacked) as tf.Tensor4D;
    });
  }

  /** ONNX: the same sampling as row Gathers on the channels-last map (static shapes). */
  override toOnnx(g: OnnxBuilder, x: OnnxValue): OnnxValue {
    const [b, c, hIn, wIn] = x.shape as [number, number, number, number];
    const n = this.numParam;
    const offset = this.pConv.toOnnx(g, x);
    const [, , h, w] = offset.shape as [number, number, number, number];
    const grid = (val: (k: number, i: number, j: number) => number) => {
      const a = new Float32Array(n * h * w);
      for (let k = 0; k < n; k++) for (let i = 0; i < h; i++) for (let j = 0; j < w; j++) a[(k * h + i) * w + j] = val(k, i, j);
      return g.constant(a, [1, n, h, w], 'p0_pn');
    };
    const pr = g.binary('Add', g.slice(offset, 1, 0, n), grid((k, i) => i * this.stride + this.#pRows[k]!));
    const pc = g.binary('Add', g.slice(offset, 1, n, 2 * n), grid((k, _i, j) => j * this.stride + this.#pCols[k]!));
    const clip = (v: OnnxValue, hi: number) => g.op('Clip', [v, g.constant([0], [], 'lo'), g.constant([hi], [], 'hi')], {}, v.shape);
    const one = g.constant([1], [], 'one');
    const ltR = clip(g.unary('Floor', pr), hIn - 1);
    const ltC = clip(g.unary('Floor', pc), wIn - 1);
    const rbR = clip(g.binary('Add', g.unary('Floor', pr), one), hIn - 1);
    const rbC = clip(g.binary('Add', g.unary('Floor', pc), one), wIn - 1);
    const r = clip(pr, hIn - 1);
    const cc = clip(pc, wIn - 1);
    const plus = (q: OnnxValue, p: OnnxValue) => g.binary('Add', one, g.binary('Sub', q, p));
    const minus = (q: OnnxValue, p: OnnxValue) => g.binary('Sub', one, g.binary('Sub', q, p));
    // Pixels as rows of C values ([B·H·W, C]): one Gather of whole rows per corner. GatherElements on the
    // NCHW map needed its indices expanded over the channels, which cost onnxruntime more than the convs.
    const rows = g.reshape(g.transpose(x, [0, 2, 3, 1]), [b * hIn * wIn, c]);
    // each image's first row, added in int64 (a float index is exact only below 2^24)
    const first = g.reshape(g.ints(Array.from({ length: b }, (_, i) => i * hIn * wIn), 'batch_row'), [b, 1, 1, 1]);
    // Indices and weights are put in the output's (h, n) row order while small, so the gathered rows need
    // only one transpose back to NCHW.
    const hn = (v: OnnxValue) => g.transpose(v, [0, 2, 1, 3]);
    const sample = (qr: OnnxValue, qc: OnnxValue) => {
      const pixel = g.binary('Add', g.binary('Mul', qr, g.constant([wIn], [], 'w')), qc);
      const idx = g.binary('Add', g.op('Cast', [hn(pixel)], { to: 7 }, [b, h, n, w]), first);
      return g.op('Gather', [rows, idx], { axis: 0 }, [b, h, n, w, c]);
    };
    const corners: [OnnxValue, OnnxValue, OnnxValue][] = [
      [ltR, ltC, g.binary('Mul', plus(ltR, r), plus(ltC, cc))],
      [rbR, rbC, g.binary('Mul', minus(rbR, r), minus(rbC, cc))],
      [ltR, rbC, g.binary('Mul', plus(ltR, r), minus(rbC, cc))],
      [rbR, ltC, g.binary('Mul', minus(rbR, r), plus(ltC, cc))],
    ];
    let sampled: OnnxValue | null = null;
    for (const [qr, qc, wt] of corners) {
      const term = g.binary('Mul', sample(qr, qc), g.reshape(hn(wt), [b, h, n, w, 1]));
      sampled = sampled ? g.binary('Add', sampled, term) : term;
    }
    // [B, h, N, w, C] → 'b c (h n) w'.
    const stacked = g.transpose(g.reshape(sampled!, [b, h * n, w, c]), [0, 3, 1, 2]);
    return this.conv.toOnnx(g, stacked) as OnnxValue;
  }
}
