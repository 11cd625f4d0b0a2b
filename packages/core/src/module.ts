import { tf } from './runtime';
import { fromHost, isHostTensor, toHost, type HostTensor } from './tensor';
import type { OnnxBuilder } from './onnx/builder';

/**
 * How a parameter is laid out in PyTorch versus inside (NHWC world). `oihw`: conv weight
 * `[out, in/groups, kh, kw]` ↔ `[kh, kw, in/groups, out]`; `linear`: `[out, in]` ↔ `[in, out]`;
 * `nchw`: a feature-map-shaped buffer `[N, C, H, W]` ↔ `[N, H, W, C]`;
 * `plain`: same on both sides.
 */
export type Layout = 'oihw' | 'linear' | 'nchw' | 'plain';

/** One named tensor of a module: a parameter (maybe frozen) or a buffer. */
export interface ParamEntry {
  /** The live value, in the internal layout. */
  variable: tf.Variable;
  /** Layout mapping to PyTorch. */
  layout: Layout;
  /** Buffers (running stats, fixed grids) are saved but are not parameters. */
  buffer: boolean;
  /** Parameters with `requires_grad` (ultralytics' "gradients"). */
  trainable: boolean;
}

/** Options for {@link Module.loadStateDict}. */
export interface LoadOptions {
  /** Throw on missing or unexpected keys (default true). Shape mismatches always throw. */
  strict?: boolean;
}

/** A PyTorch-layout value accepted by {@link Module.loadStateDict}. */
export type StateValue = HostTensor | tf.Tensor;

const PERM: Record<Layout, number[] | null> = { oihw: [2, 3, 1, 0], linear: [1, 0], nchw: [0, 2, 3, 1], plain: null };
const PERM_BACK: Record<Layout, number[] | null> = { oihw: [3, 2, 0, 1], linear: [1, 0], nchw: [0, 3, 1, 2], plain: null };

/** PyTorch shape of an internal tensor. */
function torchShape(shape: number[], layout: Layout): number[] {
  const p = PERM_BACK[layout];
  return p ? p.map((i) => shape[i]!) : [...shape];
}

/**
 * Base of every block: named parameters, buffers and child modules whose dotted keys equal the
 * PyTorch `state_dict()` keys of the reference implementation.
 */
export abstract class Module {
  /** Train mode (BatchNorm uses batch statistics and updates running ones) or eval mode. */
  training = true;
  readonly #params = new Map<string, ParamEntry>();
  readonly #children = new Map<string, Module>();

  /** Runs the block. NHWC tensors in, NHWC tensors out. */
  abstract forward(input: unknown): unknown;

  /** Writes the block (eval semantics) into an ONNX graph; blocks without it cannot be exported. */
  toOnnx?(g: OnnxBuilder, input: unknown): unknown;

  /** A parameter or buffer of this module in PyTorch layout, as host floats (for exporters). */
  torchValue(name: string): { data: Float32Array; shape: number[] } {
    const e = this.#params.get(name);
    if (!e) throw new Error(`${this.constructor.name} has no parameter '${name}'`);
    const t = toTorchLayout(e.variable, e.layout);
    const out = { data: Float32Array.from(t.dataSync() as Float32Array), shape: [...t.shape] };
    t.dispose();
    return out;
  }

  /** Registers a parameter (or buffer) given in the internal layout; the module owns it. */
  protected param(
    name: string,
    value: tf.Tensor,
    opts: { layout?: Layout; buffer?: boolean; trainable?: boolean } = {},
  ): tf.Variable {
    if (this.#params.has(name) || this.#children.has(name)) throw new Error(`duplicate member '${name}' in ${this.constructor.name}`);
    const buffer = opts.buffer ?? false;
    const trainable = !buffer && (opts.trainable ?? true);
    const variable = tf.variable(value, trainable);
    value.dispose();
    this.#params.set(name, { variable, layout: opts.layout ?? 'plain', buffer, trainable });
    return variable;
  }

  /** Registers a child module under `name` (a PyTorch attribute name or list index). */
  protected module<M extends Module>(name: string, m: M): M {
    if (this.#params.has(name) || this.#children.has(name)) throw new Error(`duplicate member '${name}' in ${this.constructor.name}`);
    this.#children.set(name, m);
    return m;
  }

  /** Direct children, in registration order. */
  namedChildren(): [string, Module][] {
    return [...this.#children];
  }

  /** Every parameter and buffer with its full dotted key, depth-first in registration order. */
  *namedEntries(prefix = ''): Generator<[string, ParamEntry]> {
    for (const [k, e] of this.#params) yield [prefix + k, e];
    for (const [k, c] of this.#children) yield* c.namedEntries(`${prefix}${k}.`);
  }

  /** This module and all descendants, each once (shared modules count once, as in PyTorch). */
  modules(into: Set<Module> = new Set()): Set<Module> {
    if (into.has(this)) return into;
    into.add(this);
    for (const c of this.#children.values()) c.modules(into);
    return into;
  }

  /** Sets train (true) or eval (false) mode on this module and its descendants. */
  train(mode = true): this {
    for (const m of this.modules()) m.training = mode;
    return this;
  }

  /** Sets eval mode. */
  eval(): this {
    return this.train(false);
  }

  /** Trainable variables (parameters with gradients), in state-dict order. */
  trainableVariables(): tf.Variable[] {
    return [...this.namedEntries()].filter(([, e]) => e.trainable).map(([, e]) => e.variable);
  }

  /** Parameter and gradient counts as ultralytics reports them (buffers excluded). */
  countParameters(): { parameters: number; gradients: number } {
    let parameters = 0;
    let gradients = 0;
    for (const [, e] of this.namedEntries()) {
      if (e.buffer) continue;
      parameters += e.variable.size;
      if (e.trainable) gradients += e.variable.size;
    }
    return { parameters, gradients };
  }

  /** The state dict in PyTorch keys and layouts, copied to host memory. */
  stateDict(): Record<string, HostTensor> {
    const out: Record<string, HostTensor> = {};
    for (const [k, e] of this.namedEntries()) {
      const perm = PERM_BACK[e.layout];
      if (!perm) {
        out[k] = toHost(e.variable);
        continue;
      }
      const t = tf.transpose(e.variable, perm);
      out[k] = toHost(t);
      t.dispose();
    }
    return out;
  }

  /**
   * Loads PyTorch-keyed, PyTorch-layout values. Reports every missing, unexpected and mis-shaped
   * key in one error. Keys of `num_batches_tracked` are ignored.
   */
  loadStateDict(sd: Record<string, StateValue>, opts: LoadOptions = {}): this {
    const strict = opts.strict ?? true;
    const entries = new Map(this.namedEntries());
    const given = Object.keys(sd).filter((k) => !k.endsWith('num_batches_tracked'));
    const missing = [...entries.keys()].filter((k) => !(k in sd));
    const unexpected = given.filter((k) => !entries.has(k));
    const misShaped: string[] = [];
    for (const k of given) {
      const e = entries.get(k);
      if (!e) continue;
      const v = sd[k]!;
      const want = torchShape(e.variable.shape, e.layout);
      const got = [...v.shape];
      if (want.length !== got.length || want.some((d, i) => d !== got[i])) {
        misShaped.push(`${k}: checkpoint [${got.join(', ')}] vs model [${want.join(', ')}]`);
      }
    }
    const problems: string[] = [];
    if (misShaped.length) problems.push(`shape mismatch (${misShaped.length}):\n  ${misShaped.join('\n  ')}`);
    if (strict && missing.length) problems.push(`missing keys (${missing.length}):\n  ${missing.join('\n  ')}`);
    if (strict && unexpected.length) problems.push(`unexpected keys (${unexpected.length}):\n  ${unexpected.join('\n  ')}`);
    if (problems.length) throw new Error(`loadStateDict: weights do not fit ${this.constructor.name}\n${problems.join('\n')}`);
    for (const k of given) {
      const e = entries.get(k);
      if (!e) continue;
      const v = sd[k]!;
      tf.tidy(() => {
        const t = isHostTensor(v) ? fromHost(v) : (v as tf.Tensor);
        const perm = PERM[e.layout];
        const internal = perm ? tf.transpose(t, perm) : t;
        e.variable.assign(internal.dtype === e.variable.dtype ? internal : tf.cast(internal, e.variable.dtype));
      });
    }
    return this;
  }

  /** Frees every parameter and buffer, and whatever children hold (subclasses free their caches too). */
  dispose(): void {
    for (const e of this.#params.values()) if (!e.variable.isDisposed) e.variable.dispose();
    for (const c of this.#children.values()) c.dispose();
  }
}

/** PyTorch `nn.Sequential`: children `0..n-1` applied in order. */
export class Sequential extends Module {
  /** The children, in order. */
  readonly layers: Module[];
  constructor(layers: Module[]) {
    super();
    this.layers = layers.map((m, i) => this.module(String(i), m));
  }
  forward(x: unknown): unknown {
    // the intermediate outputs are freed here, so a call outside tf.tidy leaks nothing
    return tf.tidy(() => this.layers.reduce((h, m) => m.forward(h), x) as tf.TensorContainer);
  }
  override toOnnx(g: OnnxBuilder, x: unknown): unknown {
    return this.layers.reduce((h, m, i) => exportChild(g, m, h, String(i)), x);
  }
}

/** Exports a child block, failing with its class name when it has no ONNX export. */
export function exportChild(g: OnnxBuilder, m: Module, x: unknown, label?: string): unknown {
  if (!m.toOnnx) throw new Error(`${m.constructor.name}${label ? ` (${label})` : ''} has no ONNX export`);
  return m.toOnnx(g, x);
}

/** PyTorch `nn.ModuleList`: children `0..n-1`, no forward of its own. */
export class ModuleList<M extends Module = Module> extends Module {
  /** The children, in order. */
  readonly items: M[];
  constructor(items: M[]) {
    super();
    this.items = items.map((m, i) => this.module(String(i), m));
  }
  forward(): never {
    throw new Error('ModuleList has no forward; call its items');
  }
}

/** Converts an internal-layout tensor to its PyTorch layout (caller disposes the result). */
export function toTorchLayout(t: tf.Tensor, layout: Layout): tf.Tensor {
  const perm = PERM_BACK[layout];
  return perm ? tf.transpose(t, perm) : t.clone();
}
