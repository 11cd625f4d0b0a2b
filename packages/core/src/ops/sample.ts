import { tf } from '../runtime';

/**
 * Rows of `table` at float-valued integer indices. Indices computed from learned offsets sit on the
 * gradient tape, and TF.js refuses the int32 gradient its own gather gives them; here they get a zero
 * gradient and `table` gets the scatter-add of `dy`.
 */
const gatherRows = tf.customGrad((...args: (tf.Tensor | tf.GradSaveFunc)[]) => {
  const [table, idx, save] = args as [tf.Tensor, tf.Tensor1D, tf.GradSaveFunc];
  const rows = table.shape[0]!;
  save([idx]);
  return {
    value: tf.gather(table, tf.cast(idx, 'int32')),
    gradFunc: (dy: tf.Tensor | tf.Tensor[], saved: tf.Tensor[]) => [tf.unsortedSegmentSum(dy as tf.Tensor, tf.cast(saved[0]!, 'int32') as tf.Tensor1D, rows), tf.zerosLike(saved[0]!)],
  };
}) as (table: tf.Tensor, idx: tf.Tensor) => tf.Tensor;

/**
 * Gathers pixels of `x` (NHWC) at integer rows `iy` and columns `ix` (int32 or integer-valued
 * float32, shape `[B, ...S]`, already inside the image) → `[B, ...S, C]`. Differentiable in `x`.
 */
export function gatherPixels(x: tf.Tensor4D, iy: tf.Tensor, ix: tf.Tensor): tf.Tensor {
  const [b, h, w, c] = x.shape;
  if (b * h * w >= 2 ** 24) throw new Error(`gatherPixels: ${b}x${h}x${w} pixels exceed exact float32 indexing`);
  return tf.tidy(() => {
    const rest = iy.shape.slice(1);
    const perImage = rest.reduce((p, d) => p * d, 1);
    const offsets = tf.reshape(tf.mul(tf.range(0, b, 1, 'float32'), h * w), [b, ...rest.map(() => 1)]);
    const flatIdx = tf.reshape(tf.add(tf.add(tf.mul(tf.cast(iy, 'float32'), w), tf.cast(ix, 'float32')), offsets), [b * perImage]);
    const values = gatherRows(tf.reshape(x, [b * h * w, c]), flatIdx);
    return tf.reshape(values, [b, ...rest, c]);
  });
}

/** Options of {@link gridSample}; PyTorch `F.grid_sample` semantics (bilinear only). */
export interface GridSampleOptions {
  /** PyTorch `align_corners` (default false). */
  alignCorners?: boolean;
  /** PyTorch `padding_mode`: 'zeros' (default) or 'border'. */
  paddingMode?: 'zeros' | 'border';
}

/**
 * Bilinear `F.grid_sample` on NHWC input. `grid` is `[B, Ho, Wo, 2]` holding normalised (x, y) in
 * [-1, 1]; returns `[B, Ho, Wo, C]`. Differentiable in `x` and `grid`.
 */
export function gridSample(x: tf.Tensor4D, grid: tf.Tensor4D, opts: GridSampleOptions = {}): tf.Tensor4D {
  const [, h, w] = x.shape;
  const align = opts.alignCorners ?? false;
  const border = opts.paddingMode === 'border';
  if (grid.shape[3] !== 2) throw new Error(`gridSample: grid must be [B, Ho, Wo, 2], got [${grid.shape.join(', ')}]`);
  if (grid.shape[0] !== x.shape[0]) throw new Error(`gridSample: batch of grid (${grid.shape[0]}) differs from input (${x.shape[0]})`);
  return tf.tidy(() => {
    const [gx, gy] = tf.unstack(grid, 3);
    const unnorm = (g: tf.Tensor, size: number) => {
      const p = align ? tf.mul(tf.add(g, 1), (size - 1) / 2) : tf.div(tf.sub(tf.mul(tf.add(g, 1), size), 1), 2);
      return border ? tf.clipByValue(p, 0, size - 1) : p;
    };
    const px = unnorm(gx!, w);
    const py = unnorm(gy!, h);
    const x0 = tf.floor(px);
    const y0 = tf.floor(py);
    const wx1 = tf.sub(px, x0);
    const wy1 = tf.sub(py, y0);
    const wx0 = tf.sub(1, wx1);
    const wy0 = tf.sub(1, wy1);
    const corners: [tf.Tensor, tf.Tensor, tf.Tensor][] = [
      [y0, x0, tf.mul(wy0, wx0)],
      [y0, tf.add(x0, 1), tf.mul(wy0, wx1)],
      [tf.add(y0, 1), x0, tf.mul(wy1, wx0)],
      [tf.add(y0, 1), tf.add(x0, 1), tf.mul(wy1, wx1)],
    ];
    let out: tf.Tensor | null = null;
    for (const [cy, cx, wt] of corners) {
      let weight = wt;
      if (!border) {
        // 0/1 mask of in-image corners (cx, cy are integer-valued) built from `step`, whose gradient is
        // zero: boolean ops (logicalAnd) have no gradient and would break backprop through the grid.
        const inside = tf.mul(
          tf.mul(tf.step(tf.add(cx, 0.5)), tf.step(tf.sub(w - 0.5, cx))),
          tf.mul(tf.step(tf.add(cy, 0.5)), tf.step(tf.sub(h - 0.5, cy))),
        );
        weight = tf.mul(weight, inside);
      }
      const iy = tf.clipByValue(cy, 0, h - 1);
      const ix = tf.clipByValue(cx, 0, w - 1);
      const term = tf.mul(gatherPixels(x, iy, ix), tf.expandDims(weight, -1));
      out = out ? tf.add(out, term) : term;
    }
    return out as tf.Tensor4D;
  });
}

/** PyTorch `F.pixel_shuffle` on NHWC: `[B, H, W, C·r²]` → `[B, H·r, W·r, C]`, channel order as PyTorch. */
export function pixelShuffle(x: tf.Tensor4D, r: number): tf.Tensor4D {
  const [b, h, w, crr] = x.shape;
  if (crr % (r * r) !== 0) throw new Error(`pixelShuffle: ${crr} channels are not divisible by ${r}² = ${r * r}`);
  const c = crr / (r * r);
  return tf.tidy(() =>
    tf.reshape(tf.transpose(tf.reshape(x, [b, h, w, c, r, r]), [0, 1, 4, 2, 5, 3]), [b, h * r, w * r, c]),
  );
}

/** PyTorch `F.pixel_unshuffle` on NHWC: `[B, H·r, W·r, C]` → `[B, H, W, C·r²]`, channel order as PyTorch. */
export function pixelUnshuffle(x: tf.Tensor4D, r: number): tf.Tensor4D {
  const [b, hr, wr, c] = x.shape;
  if (hr % r !== 0 || wr % r !== 0) throw new Error(`pixelUnshuffle: ${hr}x${wr} is not divisible by ${r}`);
  const h = hr / r;
  const w = wr / r;
  return tf.tidy(() =>
    tf.reshape(tf.transpose(tf.reshape(x, [b, h, r, w, r, c]), [0, 1, 3, 5, 2, 4]), [b, h, w, c * r * r]),
  );
}

/** PyTorch `nn.Upsample(mode='nearest')` with an integer factor on NHWC. */
export function upsampleNearest(x: tf.Tensor4D, factor: number): tf.Tensor4D {
  const [, h, w] = x.shape;
  return tf.image.resizeNearestNeighbor(x, [Math.round(h * factor), Math.round(w * factor)], false, false);
}
