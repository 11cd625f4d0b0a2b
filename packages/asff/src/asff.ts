import { Conv, MaxPool2d, Module, Upsample, tf, type OnnxBuilder, type OnnxValue } from '@yolomods/core';

/** Softmax fusion maps of one forward, kept for visualisation. */
export interface AsffWeights {
  /** `[B, H, W, 3]` softmax weights of levels 0 (P5), 1 (P4), 2 (P3) at this fusion's resolution. */
  weights: tf.Tensor4D;
  /** `[B, H, W]` channel sum of the fused (pre-`expand`) map, the seed's third `vis` output. */
  fusedSum: tf.Tensor3D;
}

const conv = (c1: number, c2: number, k: number, s = 1) => new Conv(c1, c2, k, s);

/**
 * Adaptive spatial feature fusion (seed `ASFFV5`) for one pyramid level. Takes `[P3, P4, P5]` (NHWC),
 * resizes the other two levels to level `level`'s map (0 = P5, 1 = P4, 2 = P3), mixes the three with
 * per-pixel softmax weights and applies a 3x3 `expand` Conv. Channels come from the graph:
 * `channels = [c_P3, c_P4, c_P5]`; with `[256, 512, 1024]·m` the keys and shapes equal `ASFFV5(level, m)`.
 */
export class ASFF extends Module {
  /** Input channels per level in the seed's order: `[c_P5, c_P4, c_P3]`. */
  readonly dims: [number, number, number];
  /** Channels of the fused map (= this level's input and output channels). */
  readonly interDim: number;
  /** Output channels of `expand`. */
  readonly outChannels: number;
  /** Keep the fusion weights of the last forward (can be switched at any time). */
  vis: boolean;
  // Functional in the seed (F.max_pool2d, F.interpolate): not children, so not in the module count.
  readonly #pool = new MaxPool2d(3, 2, 1);
  readonly #up2 = new Upsample(null, 2);
  readonly #up4 = new Upsample(null, 4);
  readonly #convs: Record<string, Conv> = {};
  #last: AsffWeights | null = null;

  constructor(
    readonly level: number,
    channels: number[],
    readonly rfb = false,
    vis = false,
  ) {
    super();
    if (![0, 1, 2].includes(level)) throw new Error(`ASFF: level must be 0 (P5), 1 (P4) or 2 (P3), got ${level}`);
    if (!Array.isArray(channels) || channels.length !== 3 || channels.some((c) => !Number.isInteger(c) || c < 1)) {
      throw new Error(`ASFF(level=${level}): channels must be [c_P3, c_P4, c_P5] (3 positive integers), got ${JSON.stringify(channels)}`);
    }
    const [c3, c4, c5] = channels as [number, number, number];
    this.dims = [c5, c4, c3];
    const inter = (this.interDim = this.dims[level]!);
    this.outChannels = inter;
    this.vis = vis;
    // Registration order = the seed's attribute order, so stateDict() lists keys as PyTorch does.
    const add = (name: string, c: Conv) => (this.#convs[name] = this.module(name, c));
    if (level === 0) {
      add('stride_level_1', conv(c4, inter, 3, 2));
      add('stride_level_2', conv(c3, inter, 3, 2));
    } else if (level === 1) {
      add('compress_level_0', conv(c5, inter, 1));
      add('stride_level_2', conv(c3, inter, 3, 2));
    } else {
      add('compress_level_0', conv(c5, inter, 1));
      add('compress_level_1', conv(c4, inter, 1));
    }
    add('expand', conv(inter, inter, 3));
    const compress = rfb ? 8 : 16;
    for (const i of [0, 1, 2]) add(`weight_level_${i}`, conv(inter, compress, 1));
    add('weight_levels', conv(compress * 3, 3, 1));
  }

  /** Fusion weights and fused-map sum of the last forward with `vis` on (owned by the module), or null. */
  get lastWeights(): AsffWeights | null {
    return this.#last;
  }

  #c(name: string): Conv {
    return this.#convs[name]!;
  }

  #check(xs: tf.Tensor4D[]): void {
    if (!Array.isArray(xs) || xs.length !== 3) {
      throw new Error(`ASFF(level=${this.level}): expects the list [P3, P4, P5], got ${Array.isArray(xs) ? `${xs.length} maps` : 'a single tensor'}`);
    }
    const want = [this.dims[2], this.dims[1], this.dims[0]];
    xs.forEach((x, i) => {
      if (x.rank !== 4 || x.shape[3] !== want[i]) {
        throw new Error(`ASFF(level=${this.level}): P${i + 3} must be NHWC with ${want[i]} channels, got [${x.shape.join(', ')}]`);
      }
    });
  }

  /** Resized maps of levels 0, 1, 2 at this level's resolution (`run` = forward or ONNX export of a child). */
  #resize<T>([p3, p4, p5]: T[], run: (m: Module, x: T) => T): T[] {
    const c = (name: string, x: T) => run(this.#convs[name]!, x);
    if (this.level === 0) return [p5!, c('stride_level_1', p4!), c('stride_level_2', run(this.#pool, p3!))];
    if (this.level === 1) return [run(this.#up2, c('compress_level_0', p5!)), p4!, c('stride_level_2', p3!)];
    return [run(this.#up4, c('compress_level_0', p5!)), run(this.#up2, c('compress_level_1', p4!)), p3!];
  }

  forward(xs: tf.Tensor4D[]): tf.Tensor4D {
    this.#check(xs);
    let kept: AsffWeights | null = null;
    const out = tf.tidy(() => {
      const resized = this.#resize(xs, (m, x) => m.forward(x) as tf.Tensor4D);
      const s0 = resized[0]!.shape;
      if (resized.some((r) => r.shape[1] !== s0[1] || r.shape[2] !== s0[2])) {
        throw new Error(
          `ASFF(level=${this.level}): the pyramid does not halve level to level (P3, P4, P5 = ${xs.map((x) => `${x.shape[1]}x${x.shape[2]}`).join(', ')}); ` +
            `resized maps are ${resized.map((r) => `${r.shape[1]}x${r.shape[2]}`).join(', ')}`,
        );
      }
      const v = tf.concat(resized.map((r, i) => this.#c(`weight_level_${i}`).forward(r)), 3);
      const w = tf.softmax(this.#c('weight_levels').forward(v as tf.Tensor4D)) as tf.Tensor4D;
      const parts = tf.split(w, 3, 3);
      const fused = tf.addN(resized.map((r, i) => tf.mul(r, parts[i]!))) as tf.Tensor4D;
      if (this.vis) kept = { weights: tf.keep(w), fusedSum: tf.keep(tf.sum(fused, 3)) as tf.Tensor3D };
      return this.#c('expand').forward(fused);
    });
    if (kept) this.#setLast(kept);
    return out;
  }

  /** Exports the fusion (weights not kept: `vis` is a TF.js-side feature). Inputs are NCHW `[P3, P4, P5]`. */
  override toOnnx(g: OnnxBuilder, xs: OnnxValue[]): OnnxValue {
    const run = (m: Module, x: OnnxValue) => m.toOnnx!(g, x) as OnnxValue;
    const resized = this.#resize(xs, run);
    const v = g.concat(resized.map((r, i) => run(this.#c(`weight_level_${i}`), r)), 1);
    const logits = run(this.#c('weight_levels'), v);
    const parts = g.split(g.op('Softmax', [logits], { axis: 1 }, logits.shape), [1, 1, 1], 1);
    const terms = resized.map((r, i) => g.binary('Mul', r, parts[i]!));
    return run(this.#c('expand'), g.binary('Add', g.binary('Add', terms[0]!, terms[1]!), terms[2]!));
  }

  #setLast(v: AsffWeights | null): void {
    if (this.#last) tf.dispose([this.#last.weights, this.#last.fusedSum]);
    this.#last = v;
  }

  /** Frees the kept fusion weights (the next `vis` forward makes new ones). */
  clearWeights(): void {
    this.#setLast(null);
  }

  override dispose(): void {
    this.clearWeights();
    super.dispose();
  }
}
