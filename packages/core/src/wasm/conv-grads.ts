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

/**
 * The kernel rotated by 180° in space, optionally with its in/out channels swapped, in one pass over
 * the (small) filter: wasm's Reverse kernel takes ~9 ms for a 3x3x128x128 filter.
 */
function flipFilter(filter: tf.Tensor4D, swapChannels: boolean): tf.Tensor4D {
  const [kh, kw, ci, co] = filter.shape;
  const src = filter.dataSync() as Float32Array;
  const dst = new Float32Array(src.length);
  for (let i = 0; i < kh; i++) {
    for (let j = 0; j < kw; j++) {
      const from = ((kh - 1 - i) * kw + (kw - 1 - j)) * ci * co;
      const to = (i * kw + j) * ci * co;
      if (!swapChannels) dst.set(src.subarray(from, from + ci * co), to);
      else for (let a = 0; a < ci; a++) for (let b = 0; b < co; b++) dst[to + b * ci + a] = src[from + a * co + b]!;
    }
  }
  return tf.tensor4d(dst, swapChannels ? [kh, kw, co, ci] : [kh, kw, ci, co]);
}

/**
 * `dy` spread by the stride and padded so that a stride-1 'valid' correlation with the flipped
 * kernel yields exactly the `h`×`w` input gradient (rows PyTorch's floor() dropped get zeros).
 */
function spreadForInputGrad(dy: tf.Tensor4D, h: number, w: number, g: ReturnType<typeof info>): tf.Tensor4D {
  const d = dilate(dy, g.sh, g.sw);
  const top = g.kh - 1 - g.pt;
  const left = g.kw - 1 - g.pl;
  return padOrCrop(d, top, h + g.kh - 1 - top - d.shape[1], left, w + g.kw - 1 - left - d.shape[2]);
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
    return tf.conv2d(spreadForInputGrad(dy, h, w, g), flipFilter(filter, true), 1, 'valid');
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
    const xp = padOrCrop(xT, g.pt, bottom, g.pl, right);
    const k = tf.transpose(dy, [1, 2, 0, 3]) as tf.Tensor4D;
    const dw = tf.conv2d(xp, k, 1, 'valid', 'NHWC', [g.sh, g.sw]);
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
    const dx = tf.depthwiseConv2d(spreadForInputGrad(dy, h, w, g), flipped, 1, 'valid');
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
