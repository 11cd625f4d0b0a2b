import * as tf from '@tensorflow/tfjs';

type PoolPad = 'valid' | 'same' | number | [[number, number], [number, number], [number, number], [number, number]];

/**
 * MaxPoolGrad: each `dy` goes to the first maximum of its window in row-major order (the cpu
 * backend's and PyTorch's rule, which matters for SPPF's chained pools full of ties).
 */
export function maxPoolGrad(dy: tf.Tensor4D, x: tf.Tensor4D, filterSize: number | [number, number], strides: number | [number, number], pad: PoolPad, rounding?: 'floor' | 'round' | 'ceil'): tf.Tensor4D {
  const ci = tf.backend_util.computePool2DInfo(x.shape, filterSize, strides, 1, pad as 'valid', rounding);
  const [n, h, w, c] = x.shape;
  const { strideHeight: sh, strideWidth: sw, outHeight: oh, outWidth: ow } = ci;
  const kh = ci.effectiveFilterHeight;
  const kw = ci.effectiveFilterWidth;
  const pt = ci.padInfo.top;
  const pl = ci.padInfo.left;
  if (dy.shape[1] !== oh || dy.shape[2] !== ow) throw new Error(`MaxPoolGrad: dy is [${dy.shape.join(', ')}] but the pool's output is ${oh}x${ow}`);
  return tf.tidy(() => {
    const bottom = Math.max(0, (oh - 1) * sh + kh - pt - h);
    const right = Math.max(0, (ow - 1) * sw + kw - pl - w);
    const xp = tf.pad(x, [[0, 0], [pt, bottom], [pl, right], [0, 0]], -Infinity);
    const offsets: number[] = [];
    // Running first-maximum over the window taps (strictly greater replaces): elementwise ops only, where
    // argMax over a stacked leading axis would transpose kh·kw copies of the map first.
    let best: tf.Tensor | null = null;
    let winner: tf.Tensor | null = null;
    for (let i = 0; i < kh; i++) {
      for (let j = 0; j < kw; j++) {
        const tap = tf.stridedSlice(xp, [0, i, j, 0], [n, i + (oh - 1) * sh + 1, j + (ow - 1) * sw + 1, c], [1, sh, sw, 1]);
        const k = offsets.length;
        offsets.push((i * w + j) * c);
        if (!best || !winner) {
          best = tap;
          winner = tf.zerosLike(tap).cast('int32');
          continue;
        }
        const better = tf.greater(tap, best);
        winner = tf.where(better, tf.fill(tap.shape, k, 'int32'), winner);
        best = tf.maximum(tap, best);
      }
    }
    const base = tf.addN([
      tf.reshape(tf.range(0, n * h * w * c, h * w * c, 'int32'), [n, 1, 1, 1]),
      tf.reshape(tf.range(-pt * w * c, (oh * sh - pt) * w * c, sh * w * c, 'int32'), [1, oh, 1, 1]),
      tf.reshape(tf.range(-pl * c, (ow * sw - pl) * c, sw * c, 'int32'), [1, 1, ow, 1]),
      tf.reshape(tf.range(0, c, 1, 'int32'), [1, 1, 1, c]),
    ].map((t) => tf.broadcastTo(t, [n, oh, ow, c])));
    const flat = tf.add(base, tf.gather(tf.tensor1d(offsets, 'int32'), winner!));
    const dx = tf.scatterND(tf.reshape(flat, [-1, 1]), tf.reshape(dy, [-1]), [n * h * w * c]);
    return tf.reshape(dx, x.shape);
  });
}

/** Source row (or column) of each output row of the cpu backend's nearest-neighbour resize. */
function nearestSource(inSize: number, outSize: number, alignCorners: boolean, halfPixel: boolean): number[] {
  const ratio = (alignCorners && outSize > 1 ? inSize - 1 : inSize) / (alignCorners && outSize > 1 ? outSize - 1 : outSize);
  return Array.from({ length: outSize }, (_, r) => {
    const frac = halfPixel ? ratio * (r + 0.5) : ratio * r;
    const src = Math.min(inSize - 1, alignCorners ? Math.round(frac) : Math.floor(frac));
    return halfPixel ? Math.max(0, src) : src;
  });
}

/** ResizeNearestNeighborGrad: sums `dy` back onto the source pixels (any batch size). */
export function resizeNearestGrad(images: tf.Tensor4D, dy: tf.Tensor4D, alignCorners: boolean, halfPixelCenters: boolean): tf.Tensor4D {
  const [n, h, w, c] = images.shape;
  const [, oh, ow] = dy.shape;
  return tf.tidy(() => {
    if (!alignCorners && !halfPixelCenters && oh % h === 0 && ow % w === 0) {
      // Integer upsampling (nn.Upsample): each source pixel owns an (oh/h)×(ow/w) block.
      return tf.sum(tf.reshape(dy, [n, h, oh / h, w, ow / w, c]), [2, 4]) as tf.Tensor4D;
    }
    const rows = tf.tensor1d(nearestSource(h, oh, alignCorners, halfPixelCenters), 'int32');
    const cols = tf.tensor1d(nearestSource(w, ow, alignCorners, halfPixelCenters), 'int32');
    const byRow = tf.unsortedSegmentSum(tf.transpose(dy, [1, 0, 2, 3]), rows, h); // [h, n, ow, c]
    const byCol = tf.unsortedSegmentSum(tf.transpose(byRow, [2, 1, 0, 3]), cols, w); // [w, n, h, c]
    return tf.transpose(byCol, [1, 2, 0, 3]) as tf.Tensor4D;
  });
}
