import * as tf from '@tensorflow/tfjs';

type Pad4 = [[number, number], [number, number], [number, number], [number, number]];
type ConvPad = 'valid' | 'same' | number | Pad4;
type Rounding = 'floor' | 'round' | 'ceil' | undefined;

/** Pads (positive) or crops (negative) axes 1 and 2 of an NHWC tensor. */
function padOrCrop(t: tf.Tensor4D, top: number, bottom: number, left: number, right: number, value = 0): tf.Tensor4D {
  let r = t;
  if (top > 0 || bottom > 0 || left > 0 || right > 0) {
    r = tf.pad(r, [[0, 0], [Math.max(top, 0), Math.max(bottom, 0)], [Math.max(left, 0), Math.max(right, 0)], [0, 0]], value);
  }
  if (top < 0 || bottom < 0 || left < 0 || right < 0) {
    const [n, h, w, c] = r.shape;
    const t0 = Math.max(-top, 0);
    const l0 = Math.max(-left, 0);
    r = tf.slice(r, [0, t0, l0, 0], [n, h - t0 - Math.max(-bottom, 0), w - l0 - Math.max(-right, 0), c]);
  }
  return r;
}

/**
 * Stride-1 convolution of `x` padded (positive) or cropped (negative) by the given rows and columns:
 * padding is passed to the convolution (XNNPACK pads as it reads), so only a crop costs a copy.
 */
function convPadded(x: tf.Tensor4D, filter: tf.Tensor4D, top: number, bottom: number, left: number, right: number, dilations: [number, number] = [1, 1]): tf.Tensor4D {
  const cropped = padOrCrop(x, Math.min(top, 0), Math.min(bottom, 0), Math.min(left, 0), Math.min(right, 0));
  const pad: Pad4 = [[0, 0], [Math.max(top, 0), Math.max(bottom, 0)], [Math.max(left, 0), Math.max(right, 0)], [0, 0]];
  return tf.conv2d(cropped, filter, 1, pad, 'NHWC', dilations);
}

/** Inserts `s-1` zeros after every row/column (the trailing ones included): `[N, H·sh, W·sw, C]`. */
function dilate(dy: tf.Tensor4D, sh: number, sw: number): tf.Tensor4D {
  if (sh === 1 && sw === 1) return dy;
  const [n, h, w, c] = dy.shape;
  const spread = tf.pad(tf.reshape(dy, [n, h, 1, w, 1, c]), [[0, 0], [0, 0], [0, sh - 1], [0, 0], [0, sw - 1], [0, 0]]);
  return tf.reshape(spread, [n, h * sh, w * sw, c]);
}

function info(xShape: number[], filterShape: number[], strides: number | [number, number], pad: ConvPad, rounding: Rounding, depthwise = false) {
  const ci = tf.backend_util.computeConv2DInfo(
    xShape as [number, number, number, number],
    filterShape as [number, number, number, number],
    strides,
    1,
    pad as 'valid',
    rounding,
    depthwise,
  );
  return { sh: ci.strideHeight, sw: ci.strideWidth, pt: ci.padInfo.top, pl: ci.padInfo.left, kh: ci.filterHeight, kw: ci.filterWidth, oh: ci.outHeight, ow: ci.outWidth };
}

function checkDy(dy: tf.Tensor, oh: number, ow: number, what: string): void {
  if (dy.shape[1] !== oh || dy.shape[2] !== ow) {
    throw new Error(`${what}: dy is [${dy.shape.join(', ')}] but the convolution's output is ${oh}x${ow}`);
  }
}

/** Taps `r, r+s, r+2s, …` below `k`, last first: one phase's rows (or columns) of a flipped kernel. */
function phaseTaps(k: number, s: number, r: number): number[] {
  const taps: number[] = [];
  for (let i = r; i < k; i += s) taps.unshift(i);
  return taps;
}

/**
 * The filter's taps at `rows`×`cols` (in that order) as whole [in, out] blocks of `data`, the filter's
 * values (`shape` `[kh, kw, ·, ·]`): one pass over the (small) filter, where wasm's Reverse kernel
 * alone takes ~9 ms for a 3x3x128x128 filter.
 */
function pickTaps(data: Float32Array, shape: number[], rows: number[], cols: number[]): tf.Tensor4D {
  const [, kw, ci, co] = shape as [number, number, number, number];
  const block = ci * co;
  const dst = new Float32Array(rows.length * cols.length * block);
  rows.forEach((i, u) => {
    cols.forEach((j, v) => dst.set(data.subarray((i * kw + j) * block, (i * kw + j + 1) * block), (u * cols.length + v) * block));
  });
  return tf.tensor4d(dst, [rows.length, cols.length, ci, co]);
}

/** The filter's values with its in/out channels swapped (`[kh, kw, out, in]`), by core's heap Transpose on wasm. */
function swappedChannels(filter: tf.Tensor4D): { data: Float32Array; shape: number[] } {
  const t = tf.transpose(filter, [0, 1, 3, 2]);
  const data = t.dataSync() as Float32Array;
  t.dispose();
  return { data, shape: t.shape };
}

/** The kernel rotated by 180° in space, optionally with its in/out channels swapped. */
function flipFilter(filter: tf.Tensor4D, swapChannels: boolean): tf.Tensor4D {
  const [kh, kw] = filter.shape;
  const { data, shape } = swapChannels ? swappedChannels(filter) : { data: filter.dataSync() as Float32Array, shape: filter.shape };
  return pickTaps(data, shape, phaseTaps(kh, 1, 0), phaseTaps(kw, 1, 0));
}

/**
 * Input gradient of a strided convolution, phase by phase: input rows `y ≡ q (mod s)` receive only
 * the kernel taps `i ≡ y + pad (mod s)`, so each of the s_h·s_w phases is a stride-1 correlation of
 * `dy` with a sub-kernel, and the phases interleave into the result. Spreading `dy` with zeros
 * instead would do s_h·s_w times the multiplications (4x for YOLO's 3x3 stride-2 convs).
 */
function stridedInputGrad(dy: tf.Tensor4D, filter: tf.Tensor4D, n: number, h: number, w: number, cin: number, g: ReturnType<typeof info>): tf.Tensor4D {
  const swapped = swappedChannels(filter);
  const H = Math.ceil(h / g.sh);
  const W = Math.ceil(w / g.sw);
  const phase = (q: number, s: number, pad: number, k: number, size: number) => {
    const taps = phaseTaps(k, s, (q + pad) % s);
    const count = q < size ? Math.ceil((size - q) / s) : 0;
    const first = Math.floor((q + pad) / s); // dy index of the phase's first row at tap offset 0
    return { taps, count, lo: first - (taps.length - 1), hi: first + count - 1 };
  };
  const rows: tf.Tensor4D[] = [];
  for (let qh = 0; qh < g.sh; qh++) {
    const ph = phase(qh, g.sh, g.pt, g.kh, h);
    const cols: tf.Tensor4D[] = [];
    for (let qw = 0; qw < g.sw; qw++) {
      const pw = phase(qw, g.sw, g.pl, g.kw, w);
      let part: tf.Tensor4D;
      if (!ph.taps.length || !pw.taps.length || !ph.count || !pw.count) {
        part = tf.zeros([n, H, W, cin]);
      } else {
        const taps = pickTaps(swapped.data, swapped.shape, ph.taps, pw.taps);
        part = padOrCrop(convPadded(dy, taps, -ph.lo, ph.hi - (g.oh - 1), -pw.lo, pw.hi - (g.ow - 1)), 0, H - ph.count, 0, W - pw.count);
      }
      cols.push(part);
    }
    // Column phases side by side on the channel axis are columns b·s_w + q_w once reshaped.
    rows.push(tf.reshape(tf.concat(cols, 3), [n, H, W * g.sw, cin]));
  }
  const full = tf.reshape(tf.concat(rows, 2), [n, H * g.sh, W * g.sw, cin]);
  return full.shape[1] === h && full.shape[2] === w ? (full as tf.Tensor4D) : (tf.slice(full, [0, 0, 0, 0], [n, h, w, cin]) as tf.Tensor4D);
}

/**
 * Pads (or crops) of the stride-spread `dy` (`rows`×`cols`) such that a stride-1 'valid' correlation
 * with the flipped kernel yields exactly the `h`×`w` input gradient (rows PyTorch's floor() dropped get zeros).
 */
function inputGradPads(rows: number, cols: number, h: number, w: number, g: ReturnType<typeof info>): [number, number, number, number] {
  const top = g.kh - 1 - g.pt;
  const left = g.kw - 1 - g.pl;
  return [top, h + g.kh - 1 - top - rows, left, w + g.kw - 1 - left - cols];
}

/** Conv2DBackpropInput as a forward convolution of the spread `dy` with the flipped, transposed kernel. */
export function conv2dBackpropInput(dy: tf.Tensor4D, filter: tf.Tensor4D, inputShape: number[], strides: number | [number, number], pad: ConvPad, rounding?: Rounding): tf.Tensor4D {
  const [n, h, w, cin] = inputShape as [number, number, number, number];
  const g = info(inputShape, filter.shape, strides, pad, rounding);
  checkDy(dy, g.oh, g.ow, 'Conv2DBackpropInput');
  const cout = filter.shape[3];
  return tf.tidy(() => {
    if (g.kh === 1 && g.kw === 1 && g.sh === 1 && g.sw === 1 && g.pt === 0 && g.pl === 0 && g.oh === h && g.ow === w) {
      // A 1x1 convolution with the transposed kernel: XNNPACK's conv is 5-10x faster than wasm's matMul with transposeB.
      return tf.conv2d(dy, tf.transpose(filter, [0, 1, 3, 2]) as tf.Tensor4D, 1, 'valid');
    }
    if (g.sh > 1 || g.sw > 1) return stridedInputGrad(dy, filter, n, h, w, cin, g);
    return convPadded(dy, flipFilter(filter, true), ...inputGradPads(dy.shape[1], dy.shape[2], h, w, g));
  });
}

/** Conv2DBackpropFilter as a convolution over batch↔channel-transposed tensors, `dy` as a dilated kernel. */
export function conv2dBackpropFilter(x: tf.Tensor4D, dy: tf.Tensor4D, filterShape: number[], strides: number | [number, number], pad: ConvPad, rounding?: Rounding): tf.Tensor4D {
  const g = info(x.shape, filterShape, strides, pad, rounding);
  checkDy(dy, g.oh, g.ow, 'Conv2DBackpropFilter');
  const [, h, w, cin] = x.shape;
  const cout = filterShape[3]!;
  return tf.tidy(() => {
    if (g.kh === 1 && g.kw === 1 && g.pt === 0 && g.pl === 0) {
      const xs = g.sh === 1 && g.sw === 1 && g.oh === h && g.ow === w
        ? x
        : tf.stridedSlice(x, [0, 0, 0, 0], [x.shape[0], (g.oh - 1) * g.sh + 1, (g.ow - 1) * g.sw + 1, cin], [1, g.sh, g.sw, 1]);
      // wasm's matMul with transposeA over the long N·H·W axis is 5-15x slower than an explicit transpose of the
      // narrower operand followed by a plain matMul.
      const x2 = tf.reshape(xs, [-1, cin]);
      const dy2 = tf.reshape(dy, [-1, cout]);
      const dw = cin <= cout ? tf.matMul(tf.transpose(x2), dy2) : tf.transpose(tf.matMul(tf.transpose(dy2), x2));
      return tf.reshape(dw, [1, 1, cin, cout]);
    }
    // [Ci, H, W, N] images convolved with the [Ho, Wo, N, Co] kernel dilated by the stride → [Ci, kh, kw, Co].
    const xT = tf.transpose(x, [3, 1, 2, 0]) as tf.Tensor4D;
    const bottom = g.kh + (g.oh - 1) * g.sh - h - g.pt;
    const right = g.kw + (g.ow - 1) * g.sw - w - g.pl;
    const k = tf.transpose(dy, [1, 2, 0, 3]) as tf.Tensor4D;
    const dw = convPadded(xT, k, g.pt, bottom, g.pl, right, [g.sh, g.sw]);
    return tf.transpose(dw, [1, 2, 0, 3]);
  });
}

/** DepthwiseConv2dNativeBackpropInput as a depth-wise convolution of the spread `dy` with the flipped kernel. */
export function depthwiseBackpropInput(dy: tf.Tensor4D, filter: tf.Tensor4D, inputShape: number[], strides: number | [number, number], pad: ConvPad, rounding?: Rounding): tf.Tensor4D {
  const [n, h, w, c] = inputShape as [number, number, number, number];
  const m = filter.shape[3];
  const g = info(inputShape, filter.shape, strides, pad, rounding, true);
  checkDy(dy, g.oh, g.ow, 'DepthwiseConv2dNativeBackpropInput');
  return tf.tidy(() => {
    const flipped = tf.reshape(flipFilter(filter, false), [g.kh, g.kw, c * m, 1]) as tf.Tensor4D;
    const spread = dilate(dy, g.sh, g.sw);
    const [top, bottom, left, right] = inputGradPads(spread.shape[1], spread.shape[2], h, w, g);
    const dx = tf.depthwiseConv2d(padOrCrop(spread, top, bottom, left, right), flipped, 1, 'valid');
    return m === 1 ? dx : tf.sum(tf.reshape(dx, [n, h, w, c, m]), 4);
  });
}

/** DepthwiseConv2dNativeBackpropFilter as a depth-wise convolution over (channel, batch) pairs. */
export function depthwiseBackpropFilter(x: tf.Tensor4D, dy: tf.Tensor4D, filterShape: number[], strides: number | [number, number], pad: ConvPad, rounding?: Rounding): tf.Tensor4D {
  const g = info(x.shape, filterShape, strides, pad, rounding, true);
  checkDy(dy, g.oh, g.ow, 'DepthwiseConv2dNativeBackpropFilter');
  const [n, h, w, c] = x.shape;
  const m = filterShape[3]!;
  return tf.tidy(() => {
    const xin = tf.reshape(tf.transpose(x, [1, 2, 3, 0]), [1, h, w, c * n]) as tf.Tensor4D;
    const bottom = g.kh + (g.oh - 1) * g.sh - h - g.pt;
    const right = g.kw + (g.ow - 1) * g.sw - w - g.pl;
    const xp = padOrCrop(xin, g.pt, bottom, g.pl, right);
    const k = tf.reshape(tf.transpose(tf.reshape(dy, [n, g.oh, g.ow, c, m]), [1, 2, 3, 0, 4]), [g.oh, g.ow, c * n, m]) as tf.Tensor4D;
    const out = tf.depthwiseConv2d(xp, k, 1, 'valid', 'NHWC', [g.sh, g.sw]);
    return tf.sum(tf.reshape(out, [g.kh, g.kw, c, n, m]), 3);
  });
}
