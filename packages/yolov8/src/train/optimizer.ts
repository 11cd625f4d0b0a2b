import { BatchNorm2d, LayerNorm, adamwUpdate, sgdUpdate, tf, type DetectionModel, type HostTensor, type Module } from '@yolomods/core';

/** One parameter the optimiser updates. */
interface Slot {
  key: string;
  variable: tf.Variable;
}

/** A param group (ultralytics order: 0 biases, 1 weights with decay, 2 BN weights). */
export interface ParamGroup {
  /** Parameters. */
  params: Slot[];
  /** Current learning rate. */
  lr: number;
  /** The lr the scheduler scales (`initial_lr`). */
  initialLr: number;
  /** Current momentum (SGD) — ignored by AdamW, as in PyTorch where Adam groups have no `momentum`. */
  momentum: number;
  /** Weight decay. */
  weightDecay: number;
}

/** ultralytics `build_optimizer(name='auto')`: AdamW with a fitted lr for short schedules, else SGD. */
export function resolveOptimizer(name: string, lr0: number, momentum: number, nc: number, iterations: number): { name: 'SGD' | 'AdamW'; lr: number; momentum: number; auto: boolean } {
  if (name !== 'auto') return { name: name as 'SGD' | 'AdamW', lr: lr0, momentum, auto: false };
  const lrFit = Math.round((0.002 * 5) / (4 + nc) * 1e6) / 1e6;
  return iterations > 10000 ? { name: 'SGD', lr: 0.01, momentum: 0.9, auto: true } : { name: 'AdamW', lr: lrFit, momentum: 0.9, auto: true };
}

/**
 * ultralytics' layer freezing (`BaseTrainer._setup_train`): parameters whose key contains
 * `model.<i>.` for i in 0..N-1 (a count) or in the list, or `.dfl`, stop taking gradients; every
 * other parameter takes them again. Returns the frozen keys; a model left with nothing to train is an error.
 */
export function freezeLayers(model: DetectionModel, freeze: number | number[] | null | undefined, log: (line: string) => void = () => {}): string[] {
  const list = Array.isArray(freeze) ? freeze : typeof freeze === 'number' ? Array.from({ length: freeze }, (_, i) => i) : [];
  const names = [...list.map((i) => `model.${i}.`), '.dfl'];
  const frozen: string[] = [];
  for (const [k, e] of model.namedEntries()) {
    if (e.buffer) continue;
    const freezeIt = names.some((x) => k.includes(x));
    if (freezeIt) {
      if (list.length) log(`Freezing layer '${k}'`);
      frozen.push(k);
    } else if (!e.trainable) log(`WARNING setting 'requires_grad=True' for frozen layer '${k}'.`);
    e.trainable = !freezeIt;
    e.variable.trainable = !freezeIt;
  }
  if (!model.trainableVariables().length) throw new Error(`freeze=${JSON.stringify(freeze)} froze the entire model with no trainable parameters left; reduce freeze or list specific layer indices`);
  return frozen;
}

/** ultralytics' `bn` test: any torch.nn class with "Norm" in its name (BatchNorm2d, LayerNorm, GroupNorm, …). */
const isNorm = (m: Module) => m instanceof BatchNorm2d || m instanceof LayerNorm || /Norm/.test(m.constructor.name);

/**
 * SGD (nesterov) or AdamW over ultralytics' three groups: biases (no decay), weights with decay,
 * BatchNorm weights (no decay). State lives in TF.js variables and round-trips through host tensors.
 */
export class Optimizer {
  readonly groups: ParamGroup[];
  /** Steps taken (Adam bias correction). */
  step = 0;
  readonly #m = new Map<string, tf.Variable>();
  readonly #v = new Map<string, tf.Variable>();

  constructor(
    readonly name: 'SGD' | 'AdamW',
    model: DetectionModel,
    lr: number,
    momentum: number,
    decay: number,
  ) {
    const g: Slot[][] = [[], [], []];
    // Parameters held directly by a norm module: ultralytics walks named_modules() with recurse=False.
    const normParams = new Set<tf.Variable>();
    for (const m of model.modules()) if (isNorm(m)) for (const [k, e] of m.namedEntries()) if (!k.includes('.')) normParams.add(e.variable);
    // Frozen parameters stay in their groups (counted in the summary, as ultralytics'); without gradients they never move.
    for (const [key, e] of model.namedEntries()) {
      if (e.buffer) continue;
      const slot = { key, variable: e.variable };
      if (key.includes('bias')) g[0]!.push(slot);
      else if (normParams.has(e.variable)) g[2]!.push(slot);
      else g[1]!.push(slot);
    }
    const mk = (params: Slot[], wd: number): ParamGroup => ({ params, lr, initialLr: lr, momentum, weightDecay: wd });
    this.groups = [mk(g[0]!, 0), mk(g[1]!, decay), mk(g[2]!, 0)];
  }

  /** Parameter count per group, for the log line. */
  summary(): string {
    const [b, w, bn] = this.groups.map((x) => x.params.length);
    return `optimizer: ${this.name}(lr=${this.groups[0]!.lr}, momentum=${this.groups[0]!.momentum}) with parameter groups ${bn} weight(decay=0.0), ${w} weight(decay=${this.groups[1]!.weightDecay}), ${b} bias(decay=0.0)`;
  }

  /** Applies one update with the given gradients (by variable name); `clip` is the max global L2 norm. */
  apply(grads: Record<string, tf.Tensor>, clip = 10): void {
    this.step++;
    tf.tidy(() => {
      const all = this.groups.flatMap((g) => g.params).filter((p) => grads[p.variable.name]);
      const sq = tf.addN(all.map((p) => tf.sum(tf.square(grads[p.variable.name]!))));
      const norm = Math.sqrt(sq.dataSync()[0]!);
      const coef = norm > clip ? clip / (norm + 1e-6) : 1;
      for (const g of this.groups) {
        for (const p of g.params) {
          const grad = grads[p.variable.name];
          if (!grad) continue;
          if (this.name === 'SGD') this.#sgd(p, grad, coef, g);
          else this.#adamw(p, grad, coef, g);
        }
      }
    });
  }

  /** The state tensor of `p` in `map`, created as zeros on first use. */
  #state(map: Map<string, tf.Variable>, p: Slot): tf.Variable {
    let s = map.get(p.key);
    if (!s) {
      s = tf.variable(tf.zerosLike(p.variable), false);
      map.set(p.key, s);
    }
    return s;
  }

  // One pass over each parameter on wasm (core's heap kernels), tf ops elsewhere; PyTorch's arithmetic either way.
  #sgd(p: Slot, grad: tf.Tensor, coef: number, g: ParamGroup): void {
    const buf = this.#state(this.#m, p);
    const [param, b] = sgdUpdate(p.variable, grad, buf, { lr: g.lr, momentum: g.momentum, weightDecay: g.weightDecay, gradScale: coef });
    buf.assign(b);
    p.variable.assign(param);
  }

  #adamw(p: Slot, grad: tf.Tensor, coef: number, g: ParamGroup): void {
    const m = this.#state(this.#m, p);
    const v = this.#state(this.#v, p);
    const [param, m2, v2] = adamwUpdate(p.variable, grad, m, v, { lr: g.lr, beta1: g.momentum, beta2: 0.999, eps: 1e-8, weightDecay: g.weightDecay, step: this.step, gradScale: coef });
    m.assign(m2);
    v.assign(v2);
    p.variable.assign(param);
  }

  /** State as host tensors (`optim.m.<key>`, `optim.v.<key>`) plus scalars for metadata. */
  stateDict(): { tensors: Record<string, HostTensor>; meta: Record<string, unknown> } {
    const tensors: Record<string, HostTensor> = {};
    const host = (t: tf.Tensor): HostTensor => ({ dtype: 'float32', shape: [...t.shape], data: Float32Array.from(t.dataSync()) });
    for (const [k, t] of this.#m) tensors[`optim.m.${k}`] = host(t);
    for (const [k, t] of this.#v) tensors[`optim.v.${k}`] = host(t);
    return { tensors, meta: { name: this.name, step: this.step, groups: this.groups.map((g) => ({ lr: g.lr, initialLr: g.initialLr, momentum: g.momentum, weightDecay: g.weightDecay })) } };
  }

  /** Restores {@link stateDict}'s output. */
  loadStateDict(tensors: Record<string, HostTensor>, meta: Record<string, unknown>): void {
    if (meta.name !== this.name) throw new Error(`checkpoint optimizer is ${meta.name}, this run uses ${this.name}`);
    this.step = meta.step as number;
    (meta.groups as Omit<ParamGroup, 'params'>[]).forEach((s, i) => Object.assign(this.groups[i]!, s));
    for (const [name, t] of Object.entries(tensors)) {
      const m = /^optim\.(m|v)\.(.+)$/.exec(name);
      if (!m) continue;
      const map = m[1] === 'm' ? this.#m : this.#v;
      map.get(m[2]!)?.dispose();
      map.set(m[2]!, tf.variable(tf.tensor(t.data, t.shape, 'float32'), false));
    }
  }

  /** Frees the optimiser state. */
  dispose(): void {
    for (const t of [...this.#m.values(), ...this.#v.values()]) t.dispose();
    this.#m.clear();
    this.#v.clear();
  }
}
