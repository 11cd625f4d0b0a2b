import { files } from './io/files';
import { tf } from './runtime';
import { parseSafetensors } from './io/safetensors';
import { Module, toTorchLayout } from './module';
import { fromHost, nchwToNhwc, nhwcToNchw, type HostTensor, type TensorMap } from './tensor';

/** Tolerance: a value passes when |actual − expected| ≤ atol + rtol·|expected|. */
export interface Tolerance {
  /** Absolute part. */
  atol: number;
  /** Relative part. */
  rtol: number;
}

/** A golden-data case in the fixture format (safetensors + `__metadata__.case` JSON). */
export interface FixtureCase {
  /** Every tensor in the file. */
  tensors: TensorMap;
  /** Parsed `case` metadata (module, ctor, tolerance, …). */
  meta: Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any
  /** `weights.*` with the prefix removed: a PyTorch state dict. */
  weights: TensorMap;
  /** `input` or `input.0..N` in order (PyTorch layout). */
  inputs: HostTensor[];
  /** True when the case's input is a list (`input.N`). */
  listInput: boolean;
  /** `output` or `output.0..N` in order. */
  outputs: HostTensor[];
  /** `cotangent` or `cotangent.N` in order. */
  cotangents: HostTensor[];
}

function numbered(t: TensorMap, base: string): HostTensor[] {
  if (t[base]) return [t[base]!];
  const out: HostTensor[] = [];
  for (let i = 0; t[`${base}.${i}`]; i++) out.push(t[`${base}.${i}`]!);
  return out;
}

/** Reads a fixture case from a path or bytes. */
export function readCase(file: string | Uint8Array): FixtureCase {
  const bytes = typeof file === 'string' ? files.readBytes(file) : file;
  const { tensors, metadata } = parseSafetensors(bytes, typeof file === 'string' ? file : 'case');
  const weights: TensorMap = {};
  for (const [k, v] of Object.entries(tensors)) if (k.startsWith('weights.')) weights[k.slice(8)] = v;
  return {
    tensors,
    meta: metadata.case ? JSON.parse(metadata.case) : {},
    weights,
    inputs: numbered(tensors, 'input'),
    listInput: !tensors.input,
    outputs: numbered(tensors, 'output'),
    cotangents: numbered(tensors, 'cotangent'),
  };
}

/** Throws, naming `label` and the worst element, unless `actual` matches `expected` within `tol`. */
export function assertClose(actual: tf.Tensor | HostTensor, expected: HostTensor, tol: Tolerance, label: string): number {
  const shape = actual instanceof tf.Tensor ? actual.shape : actual.shape;
  if (shape.length !== expected.shape.length || shape.some((d, i) => d !== expected.shape[i])) {
    throw new Error(`${label}: shape [${shape.join(', ')}] differs from expected [${expected.shape.join(', ')}]`);
  }
  const a = actual instanceof tf.Tensor ? actual.dataSync() : actual.data;
  const e = expected.data;
  let worst = -1;
  let worstExcess = 0;
  let maxAbs = 0;
  for (let i = 0; i < e.length; i++) {
    const d = Math.abs(a[i]! - e[i]!);
    if (!(d <= maxAbs)) maxAbs = Number.isNaN(d) ? Infinity : d;
    const excess = d - (tol.atol + tol.rtol * Math.abs(e[i]!));
    if (!(excess <= 0) && (worst < 0 || excess > worstExcess || Number.isNaN(excess))) {
      worst = i;
      worstExcess = Number.isNaN(excess) ? Infinity : excess;
    }
  }
  if (worst >= 0) {
    throw new Error(`${label}: element ${worst} is ${a[worst]} but expected ${e[worst]} (max |diff| ${maxAbs.toExponential(2)}, atol ${tol.atol}, rtol ${tol.rtol})`);
  }
  return maxAbs;
}

/** Converts an NHWC output to the PyTorch layout the fixtures use (`[B, A, C]` → `[B, C, A]`). */
function torchOutput(t: tf.Tensor): tf.Tensor {
  return nhwcToNchw(t);
}

/** Flattens a block's output into the fixture's `output.N` order. */
function flattenOutput(out: unknown): tf.Tensor[] {
  if (out instanceof tf.Tensor) return [out];
  if (Array.isArray(out)) return out.flatMap(flattenOutput);
  if (out && typeof out === 'object' && 'feats' in out) {
    const o = out as { y: tf.Tensor | null; feats: tf.Tensor[] };
    return [...(o.y ? [o.y] : []), ...o.feats];
  }
  throw new Error('checkModuleCase: cannot flatten the module output; pass `flatten`');
}

/** Options of {@link checkModuleCase}. */
export interface CheckOptions {
  /** Also check input and parameter gradients (default true). */
  grads?: boolean;
  /** Maps the module's output to the list of tensors in `output.N` order (NHWC; converted to NCHW). */
  flatten?: (out: unknown) => tf.Tensor[];
  /** Tolerances to use instead of the case's own. */
  tolerance?: { forward: Tolerance; grad: Tolerance };
}

/** What {@link checkModuleCase} measured (max |diff| per checked tensor). */
export type CaseReport = Record<string, number>;

/**
 * Loads a fixture case's weights into `module`, runs it in eval mode on the case's inputs and checks
 * the outputs, then (if asked) the gradients of `sum(output·cotangent)` w.r.t. inputs and parameters.
 * Throws on the first mismatch; returns the max |diff| of every tensor checked.
 */
export function checkModuleCase(c: FixtureCase, module: Module, opts: CheckOptions = {}): CaseReport {
  const tol = opts.tolerance ?? c.meta.tolerance;
  if (!tol?.forward) throw new Error('checkModuleCase: the case states no tolerance; pass one');
  const flatten = opts.flatten ?? flattenOutput;
  const report: CaseReport = {};
  module.loadStateDict(c.weights);
  module.eval();
  const inputs = c.inputs.map((h) => tf.variable(nchwToNhwc(h)));
  const call = () => flatten(module.forward(c.listInput ? inputs : inputs[0]));
  try {
    tf.tidy(() => {
      const outs = call();
      if (outs.length !== c.outputs.length) throw new Error(`module returned ${outs.length} outputs, case has ${c.outputs.length}`);
      outs.forEach((o, i) => {
        const name = c.outputs.length === 1 ? 'output' : `output.${i}`;
        report[name] = assertClose(torchOutput(o), c.outputs[i]!, tol.forward, name);
      });
    });
    if (opts.grads === false) return report;
    const entries = [...module.namedEntries()].filter(([, e]) => e.trainable);
    const vars = [...inputs, ...entries.map(([, e]) => e.variable)];
    tf.tidy(() => {
      const cots = c.cotangents.map(fromHost);
      const { grads } = tf.variableGrads(() => {
        const outs = call();
        return tf.addN(outs.map((o, i) => tf.sum(tf.mul(torchOutput(o), cots[i]!)))) as tf.Scalar;
      }, vars);
      inputs.forEach((v, i) => {
        const name = c.listInput ? `grad.input.${i}` : 'grad.input';
        const want = c.tensors[name];
        if (want) report[name] = assertClose(nhwcToNchw(grads[v.name]!), want, tol.grad, name);
      });
      for (const [k, e] of entries) {
        const name = `grad.weights.${k}`;
        const want = c.tensors[name];
        if (!want) throw new Error(`${name}: the case has no gradient for trainable parameter '${k}'`);
        report[name] = assertClose(toTorchLayout(grads[e.variable.name]!, e.layout), want, tol.grad, name);
      }
    });
    return report;
  } finally {
    inputs.forEach((v) => v.dispose());
  }
}

/**
 * Names from a `tf.profile` kernel list that have no kernel registered on `backend`. Custom-gradient
 * scopes are skipped: they are profiled as 'unnamed scope' (tf.customGrad) or `<op>__op` (tf.fused.*
 * with a bias), and the kernels they run are listed on their own.
 */
export function unregisteredKernels(names: Iterable<string>, backend: string): string[] {
  return [...new Set(names)].filter((k) => k !== 'unnamed scope' && !k.endsWith('__op') && !tf.getKernel(k, backend));
}
