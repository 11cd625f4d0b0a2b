import { Conv2d, Dropout, GELU, Module, Sequential, exportChild, gridSample, matMul, tf, type OnnxBuilder, type OnnxValue } from '@yolomods/core';
import { LayerNormProxy } from './layers';

/** Options of {@link DAttention} that have no PyTorch counterpart. */
export interface DAttentionOptions {
  /** Largest attention matrix (bytes, float32) this instance accepts; default {@link DAttention.maxAttentionBytes}. */
  maxAttentionBytes?: number;
}

const MIB = 2 ** 20;

/** Reference points of the seed: `linspace(0.5, n-0.5, n)/(n-1)·2-1` (not pixel centres under align_corners). */
function refLine(n: number): number[] {
  return Array.from({ length: n }, (_, i) => ((i + 0.5) / (n - 1)) * 2 - 1);
}

/**
 * Deformable attention (DAT, CVPR'22), the seed's `DAttentionBaseline(q_size=c)`: every query attends to
 * `Hk·Wk` keys bilinearly sampled at learned offsets from a reference grid. NHWC in, NHWC out (same shape).
 * Supports the default path (depth-wise-conv positional encoding), `use_pe=false` and `no_off`.
 */
export class DAttention extends Module {
  /** Default budget for one float32 attention matrix `[B·heads, H·W, Hk·Wk]` in bytes (256 MiB; yolov8n at 640, batch 1: 4.9 MiB at P5, 78.1 MiB at P4). */
  static maxAttentionBytes = 256 * MIB;

  /** Channels per head (`c / 8`, as the seed derives them). */
  readonly headChannels: number;
  /** Channels per offset group. */
  readonly groupChannels: number;
  /** Softmax temperature `headChannels^-0.5`. */
  readonly scale: number;
  /** Offset network: dw k×k conv, LayerNorm, GELU, 1×1 → 2 (y, x). */
  readonly convOffset: Sequential;
  /** Query projection (1×1). */
  readonly projQ: Conv2d;
  /** Key projection (1×1). */
  readonly projK: Conv2d;
  /** Value projection (1×1). */
  readonly projV: Conv2d;
  /** Output projection (1×1). */
  readonly projOut: Conv2d;
  /** Positional encoding: depth-wise 3×3 conv on q, or null (`use_pe=false` or `no_off`). */
  readonly rpeTable: Conv2d | null;
  /** Per-instance attention budget in bytes (null: use the static default). */
  maxAttentionBytes: number | null;
  /** Keep the sampling positions of each forward ({@link lastPositions}) for visualisation. */
  vis = false;
  #lastPositions: tf.Tensor4D | null = null;
  #lastInputSize: [number, number] = [0, 0];
  readonly #attnDrop: Dropout;
  readonly #projDrop: Dropout;

  constructor(
    /** Input (= output) channels `c`, a multiple of 8. */
    readonly channels: number,
    /** Spatial query size; only the rpe-table modes (not supported) would use it. */
    readonly qSize: number | [number, number] | null = null,
    /** Attention heads; heads × `c/8` must equal `c`, so 8. */
    readonly nHeads = 8,
    /** Offset groups (each group samples its own positions); divides `c` and `nHeads`. */
    readonly nGroups = 1,
    attnDrop = 0,
    projDrop = 0,
    /** Stride of the offset conv: the key grid is about `H/stride × W/stride`. */
    readonly stride = 1,
    /** ≥ 0: offsets are `tanh·factor/(n−1)`; < 0 (default): positions are clamped to [−1, 1]. */
    readonly offsetRangeFactor = -1,
    /** Positional encoding on (default); `false` drops `rpe_table`. */
    readonly usePe = true,
    /** Depth-wise-conv positional encoding (default, the only table-free mode supported). */
    readonly dwcPe = true,
    /** No offsets: keys are the (average-pooled) input itself, no positional encoding. */
    readonly noOff = false,
    /** Fixed relative position bias table (not supported yet). */
    readonly fixedPe = false,
    /** Kernel of the offset network's depth-wise conv. */
    readonly ksize = 9,
    /** Log-spaced continuous position bias (not supported yet). */
    readonly logCpb = false,
    opts: DAttentionOptions = {},
  ) {
    super();
    const c = channels;
    if (!Number.isInteger(c) || c < 8 || c % 8 !== 0) throw new Error(`DAttention: channels must be a positive multiple of 8 (head channels = c/8), got ${c}`);
    this.headChannels = c / 8;
    if (this.headChannels * nHeads !== c) {
      throw new Error(`DAttention(${c}): n_heads=${nHeads} × head channels ${this.headChannels} (= c/8) = ${this.headChannels * nHeads} must equal the ${c} input channels`);
    }
    if (!Number.isInteger(nGroups) || nGroups < 1 || c % nGroups || nHeads % nGroups) {
      throw new Error(`DAttention(${c}): n_groups=${nGroups} must divide both the channels (${c}) and n_heads (${nHeads})`);
    }
    if (!Number.isInteger(stride) || stride < 1) throw new Error(`DAttention(${c}): stride must be a positive integer, got ${stride}`);
    if (usePe && !noOff && !dwcPe) {
      const mode = fixedPe ? 'fixed_pe=true' : logCpb ? 'log_cpb=true' : 'dwc_pe=false (relative position bias table)';
      throw new Error(`DAttention: the position encoding ${mode} is not supported yet; use dwc_pe=true (default) or use_pe=false`);
    }
    this.groupChannels = c / nGroups;
    this.scale = this.headChannels ** -0.5;
    this.maxAttentionBytes = opts.maxAttentionBytes ?? null;
    const gc = this.groupChannels;
    const pad = ksize !== stride ? Math.floor(ksize / 2) : 0;
    this.convOffset = this.module(
      'conv_offset',
      new Sequential([
        new Conv2d(gc, gc, ksize, { stride, padding: pad, groups: gc }),
        new LayerNormProxy(gc),
        new GELU(),
        new Conv2d(gc, 2, 1, { bias: false }),
      ]),
    );
    if (noOff) for (const [, e] of this.convOffset.namedEntries()) (e.trainable = false), (e.variable.trainable = false);
    this.projQ = this.module('proj_q', new Conv2d(c, c, 1));
    this.projK = this.module('proj_k', new Conv2d(c, c, 1));
    this.projV = this.module('proj_v', new Conv2d(c, c, 1));
    this.projOut = this.module('proj_out', new Conv2d(c, c, 1));
    this.#projDrop = this.module('proj_drop', new Dropout(projDrop));
    this.#attnDrop = this.module('attn_drop', new Dropout(attnDrop));
    this.rpeTable = usePe && !noOff ? this.module('rpe_table', new Conv2d(c, c, 3, { padding: 1, groups: c })) : null;
  }

  /** Size `[Hk, Wk]` of the sampled key grid for an `h×w` input. */
  keyGrid(h: number, w: number): [number, number] {
    const pad = this.ksize !== this.stride ? Math.floor(this.ksize / 2) : 0;
    const out = (n: number) => Math.floor((n + 2 * pad - this.ksize) / this.stride) + 1;
    return [out(h), out(w)];
  }

  /** Bytes of the float32 attention matrix `[B·heads, H·W, Hk·Wk]` for an NHWC input shape. */
  attentionBytes(shape: readonly number[]): number {
    const [b, h, w] = shape as [number, number, number];
    const [hk, wk] = this.keyGrid(h, w);
    return b * this.nHeads * h * w * hk * wk * 4;
  }

  /** Throws unless an `h×w` input leaves a usable key grid; returns `[Hk, Wk]`. */
  #keys(h: number, w: number): [number, number] {
    const [hk, wk] = this.keyGrid(h, w);
    if (hk < 1 || wk < 1) throw new Error(`DAttention(${this.channels}): a ${h}x${w} input leaves no keys for ksize=${this.ksize}, stride=${this.stride}`);
    if (!this.noOff && (hk < 2 || wk < 2)) {
      // The seed divides by (Hk-1) and (Wk-1) for the reference points.
      throw new Error(`DAttention(${this.channels}): the sampled key grid ${hk}x${wk} of a ${h}x${w} input needs at least 2 rows and 2 columns`);
    }
    const [ph, pw] = [Math.floor(h / this.stride), Math.floor(w / this.stride)];
    if (this.noOff && (ph !== hk || pw !== wk)) {
      throw new Error(`DAttention(${this.channels}): no_off pools ${h}x${w} to ${ph}x${pw}, but the key grid is ${hk}x${wk}`);
    }
    return [hk, wk];
  }

  /** Throws, unless the input is NHWC with the right channels and its attention matrix fits the budget. */
  #check(x: tf.Tensor): void {
    if (x.rank !== 4 || x.shape[3] !== this.channels) {
      throw new Error(`DAttention(${this.channels}): expected an NHWC input [B, H, W, ${this.channels}], got [${x.shape.join(', ')}]`);
    }
    const [b, h, w] = x.shape as [number, number, number];
    const [hk, wk] = this.#keys(h, w);
    const bytes = this.attentionBytes(x.shape);
    const budget = this.maxAttentionBytes ?? DAttention.maxAttentionBytes;
    if (bytes > budget) {
      throw new Error(
        `DAttention(${this.channels}): input [${x.shape.join(', ')}] needs an attention matrix [${b * this.nHeads}, ${h * w}, ${hk * wk}] of ` +
          `${bytes} bytes (${(bytes / MIB).toFixed(1)} MiB), over the budget of ${budget} bytes (${(budget / MIB).toFixed(1)} MiB); ` +
          `use a smaller input or batch, or raise the budget with DAttention.maxAttentionBytes = <bytes> (all instances) ` +
          `or the constructor option { maxAttentionBytes } / the instance field maxAttentionBytes`,
      );
    }
  }

  /** Normalised sampling positions `[B·g, Hk, Wk, 2]` as (y, x) from q, clamped or range-limited as the seed does. */
  positions(q: tf.Tensor4D): tf.Tensor4D {
    const [b, h, w] = q.shape;
    const g = this.nGroups;
    const [hk, wk] = this.keyGrid(h, w);
    return tf.tidy(() => {
      const ry = refLine(hk);
      const rx = refLine(wk);
      const refData = new Float32Array(hk * wk * 2);
      for (let i = 0; i < hk; i++) for (let j = 0; j < wk; j++) (refData[(i * wk + j) * 2] = ry[i]!), (refData[(i * wk + j) * 2 + 1] = rx[j]!);
      const ref = tf.tensor4d(refData, [1, hk, wk, 2]);
      if (this.noOff) return tf.tile(ref, [b * g, 1, 1, 1]) as tf.Tensor4D;
      const qg = this.groupsToBatch(q);
      let offset = this.convOffset.forward(qg) as tf.Tensor4D;
      if (this.offsetRangeFactor >= 0) {
        const range = tf.tensor1d([(1 / (hk - 1)) * this.offsetRangeFactor, (1 / (wk - 1)) * this.offsetRangeFactor]);
        offset = tf.mul(tf.tanh(offset), range);
        return tf.add(offset, ref) as tf.Tensor4D;
      }
      return tf.clipByValue(tf.add(offset, ref), -1, 1) as tf.Tensor4D;
    });
  }

  /** `[B, H, W, g·Cg]` → `[B·g, H, W, Cg]` (the seed's `b (g c) h w -> (b g) c h w`). */
  groupsToBatch(x: tf.Tensor4D): tf.Tensor4D {
    const g = this.nGroups;
    if (g === 1) return x;
    const [b, h, w, c] = x.shape;
    return tf.tidy(() => tf.reshape(tf.transpose(tf.reshape(x, [b, h, w, g, c / g]), [0, 3, 1, 2, 4]), [b * g, h, w, c / g]) as tf.Tensor4D);
  }

  /** Keys/values source `[B, Hk·Wk, C]`: x sampled at `pos` (`[B·g, Hk, Wk, 2]`, y then x), or average-pooled when `no_off`. */
  sample(x: tf.Tensor4D, pos: tf.Tensor4D): tf.Tensor3D {
    const [b, , , c] = x.shape;
    const [, hk, wk] = pos.shape;
    return tf.tidy(() => {
      if (this.noOff) {
        const pooled = this.stride === 1 ? x : tf.avgPool(x, this.stride, this.stride, 'valid');
        if (pooled.shape[1] !== hk || pooled.shape[2] !== wk) {
          throw new Error(`DAttention(${this.channels}): no_off pools ${x.shape[1]}x${x.shape[2]} to ${pooled.shape[1]}x${pooled.shape[2]}, but the key grid is ${hk}x${wk}`);
        }
        return tf.reshape(pooled, [b, hk * wk, c]) as tf.Tensor3D;
      }
      const grid = tf.reverse(pos, 3) as tf.Tensor4D; // (y, x) -> (x, y)
      const sampled = gridSample(this.groupsToBatch(x), grid, { alignCorners: true, paddingMode: 'zeros' });
      const g = this.nGroups;
      // [B·g, Hk, Wk, Cg] -> [B, Ns, g·Cg]
      return tf.reshape(tf.transpose(tf.reshape(sampled, [b, g, hk * wk, c / g]), [0, 2, 1, 3]), [b, hk * wk, c]) as tf.Tensor3D;
    });
  }

  /** `[B, N, heads·hc]` → `[B·heads, N, hc]`. */
  #heads(t: tf.Tensor, b: number, n: number): tf.Tensor3D {
    return tf.reshape(tf.transpose(tf.reshape(t, [b, n, this.nHeads, this.headChannels]), [0, 2, 1, 3]), [b * this.nHeads, n, this.headChannels]) as tf.Tensor3D;
  }

  /** `[B, H, W, C]` → `[B, H, W, C]`; throws (allocating nothing) when the attention matrix is over the budget. */
  forward(x: tf.Tensor4D): tf.Tensor4D {
    this.#check(x);
    const [b, h, w, c] = x.shape;
    return tf.tidy(() => {
      const q = this.projQ.forward(x);
      const pos = this.positions(q);
      if (this.vis) this.#keepPositions(pos, [h, w]);
      else this.clearPositions();
      const kv = this.sample(x, pos);
      const ns = kv.shape[1];
      const kv4 = tf.reshape(kv, [b, 1, ns, c]) as tf.Tensor4D;
      const k = this.#heads(this.projK.forward(kv4), b, ns);
      const v = this.#heads(this.projV.forward(kv4), b, ns);
      const qh = this.#heads(q, b, h * w);
      // The temperature scales q (HW·hc values) rather than the logits (HW·Ns): one fewer attention-sized tensor.
      let attn = tf.softmax(matMul(tf.mul(qh, this.scale), k, false, true));
      attn = this.#attnDrop.forward(attn);
      let out = this.#unheads(matMul(attn, v), b, h, w);
      if (this.rpeTable) out = tf.add(out, this.rpeTable.forward(q));
      return this.#projDrop.forward(this.projOut.forward(out as tf.Tensor4D)) as tf.Tensor4D;
    });
  }

  /** Sampling positions `[B·g, Hk, Wk, 2]` (y, x in [−1, 1], align-corners) of the last forward with `vis` on, or null; owned by the block. */
  get lastPositions(): tf.Tensor4D | null {
    return this.#lastPositions;
  }

  /** `[H, W]` of the input of the last forward with `vis` on: the map the positions refer to. */
  get lastInputSize(): [number, number] {
    return [...this.#lastInputSize];
  }

  #keepPositions(pos: tf.Tensor4D, size: [number, number]): void {
    this.clearPositions();
    this.#lastPositions = tf.keep(pos.clone());
    this.#lastInputSize = size;
  }

  /** Frees the kept positions now (the next `vis` forward keeps new ones). */
  clearPositions(): void {
    this.#lastPositions?.dispose();
    this.#lastPositions = null;
  }

  override dispose(): void {
    this.clearPositions();
    super.dispose();
  }

  /**
   * ONNX export (opset ≥ 16 for `GridSample`): the eval forward on an NCHW map, with `GridSample(bilinear,
   * zeros, align_corners=1)`, `MatMul`, `Softmax`, `LayerNormalization` (opset 16: its decomposition) and erf GELU.
   * Reshapes that fold the batch into heads or groups use -1, so a dynamic batch works too.
   */
  override toOnnx(g: OnnxBuilder, x: OnnxValue): OnnxValue {
    if (x.shape.length !== 4 || x.shape[1] !== this.channels) {
      throw new Error(`DAttention(${this.channels}): expected an NCHW input [B, ${this.channels}, H, W] to export, got [${x.shape.join(', ')}]`);
    }
    const [b, c, h, w] = x.shape as [number, number, number, number];
    const [hk, wk] = this.#keys(h, w);
    const ns = hk * wk;
    const heads = this.nHeads;
    const hc = this.headChannels;
    // Reshape with the leading (batch-carrying) dimension left to the runtime.
    const fold = (v: OnnxValue, shape: number[]) => g.op('Reshape', [v, g.ints([-1, ...shape.slice(1)], 'shape')], {}, shape);
    const q = this.projQ.toOnnx(g, x);
    let kv: OnnxValue;
    if (this.noOff) {
      const s = this.stride;
      const pooled = s === 1 ? x : g.op('AveragePool', [x], { kernel_shape: [s, s], strides: [s, s] }, [b, c, hk, wk]);
      kv = fold(pooled, [b, c, 1, ns]);
    } else {
      if (g.opset < 16) throw new Error(`DAttention: ONNX export samples keys with GridSample, which needs opset ≥ 16 (got ${g.opset})`);
      const ng = this.nGroups;
      const gc = this.groupChannels;
      // Offsets [B·g, 2 (y, x), Hk, Wk] plus the reference points, as the seed's `pos`.
      let off = exportChild(g, this.convOffset, fold(q, [b * ng, gc, h, w]), 'conv_offset') as OnnxValue;
      const ry = refLine(hk);
      const rx = refLine(wk);
      const ref = new Float32Array(2 * ns);
      for (let i = 0; i < hk; i++) for (let j = 0; j < wk; j++) (ref[i * wk + j] = ry[i]!), (ref[ns + i * wk + j] = rx[j]!);
      const refC = g.constant(ref, [1, 2, hk, wk], 'reference');
      let pos: OnnxValue;
      if (this.offsetRangeFactor >= 0) {
        const range = g.constant([this.offsetRangeFactor / (hk - 1), this.offsetRangeFactor / (wk - 1)], [1, 2, 1, 1], 'offset_range');
        off = g.binary('Mul', g.unary('Tanh', off), range);
        pos = g.binary('Add', off, refC);
      } else {
        pos = g.op('Clip', [g.binary('Add', off, refC), g.constant([-1], [], 'clip_min'), g.constant([1], [], 'clip_max')], {}, off.shape);
      }
      // (y, x) → (x, y), channels last: the grid GridSample reads.
      const xy = g.op('Gather', [pos, g.ints([1, 0], 'yx_to_xy')], { axis: 1 }, pos.shape);
      const grid = g.transpose(xy, [0, 2, 3, 1]);
      const mode = g.opset >= 20 ? 'linear' : 'bilinear';
      const sampled = g.op('GridSample', [fold(x, [b * ng, gc, h, w]), grid], { mode, padding_mode: 'zeros', align_corners: 1 }, [b * ng, gc, hk, wk]);
      kv = fold(sampled, [b, c, 1, ns]);
    }
    const k = fold(this.projK.toOnnx(g, kv), [b * heads, hc, ns]);
    const v = fold(this.projV.toOnnx(g, kv), [b * heads, hc, ns]);
    const qh = fold(q, [b * heads, hc, h * w]);
    // attn = softmax((q·scale)ᵀk) [B·heads, HW, Ns]; out = v·attnᵀ [B·heads, hc, HW].
    const qs = g.binary('Mul', g.transpose(qh, [0, 2, 1]), g.constant([this.scale], [], 'attn_scale'));
    const logits = g.op('MatMul', [qs, k], {}, [b * heads, h * w, ns]);
    const attn = this.#attnDrop.toOnnx(g, g.op('Softmax', [logits], { axis: 2 }, logits.shape));
    let out = fold(g.op('MatMul', [v, g.transpose(attn, [0, 2, 1])], {}, [b * heads, hc, h * w]), [b, c, h, w]);
    if (this.rpeTable) out = g.binary('Add', out, this.rpeTable.toOnnx(g, q));
    return this.#projDrop.toOnnx(g, this.projOut.toOnnx(g, out));
  }

  /** `[B·heads, H·W, hc]` → `[B, H, W, C]`. */
  #unheads(t: tf.Tensor, b: number, h: number, w: number): tf.Tensor4D {
    return tf.reshape(tf.transpose(tf.reshape(t, [b, this.nHeads, h * w, this.headChannels]), [0, 2, 1, 3]), [b, h, w, this.channels]) as tf.Tensor4D;
  }
}

