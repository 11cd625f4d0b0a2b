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
  // A direct loop over the windows: as tensor ops this takes kh·kw rounds of five elementwise kernels, each
  // dominated by wasm's per-op cost (112 ms for SPPF's 5x5 pool at 10x10x128, batch 8, against ~12 ms here;
  // layer-kernels.wat's version, used where it loads, ~2.5 ms).
  const xv = x.dataSync() as Float32Array;
  const gv = dy.dataSync() as Float32Array;
  const dx = new Float32Array(n * h * w * c);
  // Per output pixel, the window is scanned tap by tap with the channels innermost (contiguous in NHWC);
  // taps in row-major order with a strict '>' keep the first maximum.
  const best = new Float32Array(c);
  const at = new Int32Array(c);
  for (let b = 0; b < n; b++) {
    for (let oy = 0; oy < oh; oy++) {
      const y0 = oy * sh - pt;
      for (let ox = 0; ox < ow; ox++) {
        const x0 = ox * sw - pl;
        at.fill(-1);
        for (let i = 0; i < kh; i++) {
          const yy = y0 + i;
          if (yy < 0 || yy >= h) continue;
          for (let j = 0; j < kw; j++) {
            const xx = x0 + j;
            if (xx < 0 || xx >= w) continue;
            const base = ((b * h + yy) * w + xx) * c;
            for (let ch = 0; ch < c; ch++) {
              const v = xv[base + ch]!;
              if (v > best[ch]! || at[ch]! < 0) {
                best[ch] = v;
                at[ch] = base + ch;
              }
            }
          }
        }
        const gBase = ((b * oh + oy) * ow + ox) * c;
        for (let ch = 0; ch < c; ch++) if (at[ch]! >= 0) dx[at[ch]!] += gv[gBase + ch]!;
      }
    }
  }
  return tf.tensor4d(dx, x.shape);
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
