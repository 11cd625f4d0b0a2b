import { ModelProto } from './schema';

/** A value in the exported graph: its name and static NCHW-world shape. */
export interface OnnxValue {
  /** Tensor name in the graph. */
  name: string;
  /** Static shape (PyTorch layout: NCHW for feature maps). */
  shape: number[];
}

/** A float attribute (plain numbers are written as ints). */
export class OnnxFloat {
  constructor(readonly value: number) {}
}

/** Attribute values: int, ints, float (wrapped), floats (wrapped array), string. */
export type OnnxAttr = number | number[] | string | OnnxFloat | OnnxFloat[];

const FLOAT = 1;
const INT64 = 7;
const ATTR = { FLOAT: 1, INT: 2, STRING: 3, FLOATS: 6, INTS: 7 };

function broadcast(a: number[], b: number[]): number[] {
  const n = Math.max(a.length, b.length);
  return Array.from({ length: n }, (_, i) => {
    const x = a[a.length - n + i] ?? 1;
    const y = b[b.length - n + i] ?? 1;
    if (x !== y && x !== 1 && y !== 1) throw new Error(`onnx: cannot broadcast [${a.join(', ')}] with [${b.join(', ')}]`);
    return Math.max(x, y);
  });
}

/**
 * Builds an ONNX graph op by op while tracking static shapes, so block exporters can compute
 * grids, anchors and reshapes the way their forward does.
 */
export class OnnxBuilder {
  readonly #nodes: object[] = [];
  readonly #inits: object[] = [];
  readonly #inputs: object[] = [];
  readonly #outputs: object[] = [];
  readonly #used = new Map<string, number>();
  /** Name scope prefix for generated names (set by the exporter per layer). */
  scope = '';
  constructor(readonly opset = 17, readonly dynamicBatch = false) {}

  /** A fresh unique name under the current scope. */
  fresh(base: string): string {
    const key = this.scope ? `${this.scope}/${base}` : base;
    const n = this.#used.get(key) ?? 0;
    this.#used.set(key, n + 1);
    return n ? `${key}_${n}` : key;
  }

  #valueInfo(v: OnnxValue, elemType = FLOAT) {
    const dim = v.shape.map((d, i) => (i === 0 && this.dynamicBatch ? { dimParam: 'batch' } : { dimValue: d }));
    return { name: v.name, type: { tensorType: { elemType, shape: { dim } } } };
  }

  /** Declares a graph input. */
  input(name: string, shape: number[]): OnnxValue {
    const v = { name, shape };
    this.#inputs.push(this.#valueInfo(v));
    return v;
  }

  /** Declares a graph output (renaming through Identity when needed). */
  output(v: OnnxValue, name: string): OnnxValue {
    const out = v.name === name ? v : this.op('Identity', [v], {}, v.shape, name);
    this.#outputs.push(this.#valueInfo(out));
    return out;
  }

  /** A float32 initializer. */
  constant(data: ArrayLike<number>, shape: number[], base = 'const'): OnnxValue {
    const name = this.fresh(base);
    const f = Float32Array.from(data);
    this.#inits.push({ name, dims: shape, dataType: FLOAT, rawData: new Uint8Array(f.buffer) });
    return { name, shape };
  }

  /** An int64 initializer (shapes, axes, split sizes). */
  ints(data: number[], base = 'ints'): OnnxValue {
    const name = this.fresh(base);
    const b = new BigInt64Array(data.map((x) => BigInt(x)));
    this.#inits.push({ name, dims: [data.length], dataType: INT64, rawData: new Uint8Array(b.buffer) });
    return { name, shape: [data.length] };
  }

  /** Adds a node with one output of the given shape. */
  op(type: string, inputs: (OnnxValue | null)[], attrs: Record<string, OnnxAttr>, shape: number[], outName?: string): OnnxValue {
    return this.opMulti(type, inputs, attrs, [shape], outName ? [outName] : undefined)[0]!;
  }

  /** Adds a node with several outputs. */
  opMulti(type: string, inputs: (OnnxValue | null)[], attrs: Record<string, OnnxAttr>, shapes: number[][], outNames?: string[]): OnnxValue[] {
    const outs = shapes.map((shape, i) => ({ name: outNames?.[i] ?? this.fresh(type.toLowerCase()), shape }));
    const attribute = Object.entries(attrs).map(([name, v]) => {
      if (typeof v === 'string') return { name, type: ATTR.STRING, s: new TextEncoder().encode(v) };
      if (v instanceof OnnxFloat) return { name, type: ATTR.FLOAT, f: v.value };
      if (Array.isArray(v) && v[0] instanceof OnnxFloat) return { name, type: ATTR.FLOATS, floats: (v as OnnxFloat[]).map((x) => x.value) };
      if (Array.isArray(v)) return { name, type: ATTR.INTS, ints: v };
      return { name, type: ATTR.INT, i: v };
    });
    this.#nodes.push({ opType: type, name: this.fresh(`${type}_node`), input: inputs.map((x) => x?.name ?? ''), output: outs.map((o) => o.name), attribute });
    return outs;
  }

  /** Elementwise binary op with broadcasting (Add, Sub, Mul, Div). */
  binary(type: 'Add' | 'Sub' | 'Mul' | 'Div', a: OnnxValue, b: OnnxValue): OnnxValue {
    return this.op(type, [a, b], {}, broadcast(a.shape, b.shape));
  }

  /** Elementwise unary op (Sigmoid, Relu, Erf, Floor, …). */
  unary(type: string, x: OnnxValue, attrs: Record<string, OnnxAttr> = {}): OnnxValue {
    return this.op(type, [x], attrs, x.shape);
  }

  /** x·σ(x). */
  silu(x: OnnxValue): OnnxValue {
    return this.binary('Mul', x, this.unary('Sigmoid', x));
  }

  /** Conv with PyTorch weight `[O, I/g, kh, kw]` given as an initializer. */
  conv(x: OnnxValue, w: OnnxValue, b: OnnxValue | null, o: { stride?: [number, number]; pad?: [number, number]; dilation?: [number, number]; groups?: number } = {}): OnnxValue {
    const [sh, sw] = o.stride ?? [1, 1];
    const [ph, pw] = o.pad ?? [0, 0];
    const [dh, dw] = o.dilation ?? [1, 1];
    const [kh, kw] = [w.shape[2]!, w.shape[3]!];
    const h = Math.floor((x.shape[2]! + 2 * ph - dh * (kh - 1) - 1) / sh) + 1;
    const wd = Math.floor((x.shape[3]! + 2 * pw - dw * (kw - 1) - 1) / sw) + 1;
    return this.op('Conv', b ? [x, w, b] : [x, w], { strides: [sh, sw], pads: [ph, pw, ph, pw], dilations: [dh, dw], group: o.groups ?? 1, kernel_shape: [kh, kw] }, [x.shape[0]!, w.shape[0]!, h, wd]);
  }

  /** Concat along `axis`. */
  concat(xs: OnnxValue[], axis: number): OnnxValue {
    const shape = [...xs[0]!.shape];
    const ax = axis < 0 ? shape.length + axis : axis;
    shape[ax] = xs.reduce((s, v) => s + v.shape[ax]!, 0);
    return this.op('Concat', xs, { axis: ax }, shape);
  }

  /** Split along `axis` into the given sizes. */
  split(x: OnnxValue, sizes: number[], axis: number): OnnxValue[] {
    const ax = axis < 0 ? x.shape.length + axis : axis;
    const shapes = sizes.map((s) => x.shape.map((d, i) => (i === ax ? s : d)));
    if (this.opset >= 13) return this.opMulti('Split', [x, this.ints(sizes, 'split')], { axis: ax }, shapes);
    return this.opMulti('Split', [x], { axis: ax, split: sizes }, shapes);
  }

  /** Reshape to a static shape (batch kept dynamic via 0 when it equals the input's). */
  reshape(x: OnnxValue, shape: number[]): OnnxValue {
    const spec = shape.map((d, i) => (i === 0 && this.dynamicBatch && d === x.shape[0] ? 0 : d));
    return this.op('Reshape', [x, this.ints(spec, 'shape')], {}, shape);
  }

  /** Transpose by `perm`. */
  transpose(x: OnnxValue, perm: number[]): OnnxValue {
    return this.op('Transpose', [x], { perm }, perm.map((p) => x.shape[p]!));
  }

  /** Static slice along one axis. */
  slice(x: OnnxValue, axis: number, start: number, end: number): OnnxValue {
    const shape = [...x.shape];
    shape[axis] = end - start;
    return this.op('Slice', [x, this.ints([start], 'starts'), this.ints([end], 'ends'), this.ints([axis], 'axes')], {}, shape);
  }

  /** The serialised model. */
  encode(meta: Record<string, string> = {}): Uint8Array {
    const model = {
      irVersion: this.opset >= 21 ? 10 : this.opset >= 19 ? 9 : 8,
      producerName: 'yolomods',
      producerVersion: '0.1.0',
      opsetImport: [{ domain: '', version: this.opset }],
      metadataProps: Object.entries(meta).map(([key, value]) => ({ key, value })),
      graph: { name: 'yolomods', node: this.#nodes, initializer: this.#inits, input: this.#inputs, output: this.#outputs },
    };
    const err = ModelProto.verify(model);
    if (err) throw new Error(`onnx: invalid model (${err})`);
    return ModelProto.encode(ModelProto.fromObject(model)).finish();
  }
}
