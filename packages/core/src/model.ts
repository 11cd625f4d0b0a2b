import { tf } from './runtime';
import { Module, ModuleList } from './module';
import { BatchNorm2d } from './nn/layers';
import { Detect, type DetectOutput } from './blocks/detect';
import { countMacs } from './ops/flops';
import { fuseConvBn } from './fuse';

/** What `parseModel` recorded about one YAML layer (the columns of ultralytics' table). */
export interface LayerInfo {
  /** Layer index. */
  index: number;
  /** Where its input comes from (-1 = previous layer). */
  from: number | number[];
  /** Repeats after depth scaling. */
  n: number;
  /** Module name as registered. */
  type: string;
  /** Constructor args after the channel rule. */
  args: unknown[];
  /** Parameters in this layer. */
  params: number;
}

/** Summary numbers, as ultralytics' `model.info()` prints them. */
export interface ModelInfo {
  /** `len(list(model.modules()))` of the equivalent PyTorch model. */
  layers: number;
  /** All parameters (the fixed DFL weight included). */
  parameters: number;
  /** Parameters with gradients. */
  gradients: number;
  /** 2 × multiply-accumulates for one `imgsz`×`imgsz` image, in 1e9 (0 when imgsz is 0). */
  gflops: number;
}

/** Options of {@link DetectionModel.info}. */
export interface InfoOptions {
  /** Square input size for the GFLOPs count (default 640; 0 skips it). */
  imgsz?: number;
  /** Also print the per-layer table and the summary line (default false). */
  verbose?: boolean;
}

/** A YOLO detector built from a YAML: layers in order, a detection head last. */
export class DetectionModel extends Module {
  /** The YAML layers (`model.<i>` keys). */
  readonly model: ModuleList;
  /** Per-layer records. */
  readonly layers: LayerInfo[];
  /** Layers whose outputs later layers read. */
  readonly save: Set<number>;
  /** The detection head (the last layer). */
  readonly head: Detect;
  /** Number of input channels. */
  readonly ch: number;
  /** Class names, index = class id. */
  names: string[];
  /** The parsed YAML (scale and nc filled in). */
  readonly yaml: Record<string, unknown>;
  readonly #gflops = new Map<number, number>();
  #fused: (() => void) | null = null;

  constructor(layers: Module[], infos: LayerInfo[], save: Set<number>, yaml: Record<string, unknown>, ch: number) {
    super();
    this.model = this.module('model', new ModuleList(layers));
    this.layers = infos;
    this.save = save;
    this.yaml = yaml;
    this.ch = ch;
    const head = layers[layers.length - 1];
    if (!(head instanceof Detect)) throw new Error(`the last layer must be a detection head (Detect or a subclass), got ${infos[infos.length - 1]?.type}`);
    this.head = head;
    this.names = Array.from({ length: head.nc }, (_, i) => `class${i}`);
    for (const m of this.modules()) {
      if (m instanceof BatchNorm2d) {
        m.eps = 1e-3;
        m.momentum = 0.03;
      }
    }
    this.head.stride = this.#measureStrides(256);
    this.head.biasInit();
  }

  /** Number of classes. */
  get nc(): number {
    return this.head.nc;
  }

  /** Strides of the head's levels. */
  get stride(): number[] {
    return this.head.stride;
  }

  #measureStrides(s: number): number[] {
    return this.#withMode(false, () =>
      tf.tidy(() => {
        const out = this.forward(tf.zeros([1, s, s, this.ch]));
        return out.feats.map((f) => s / f.shape[1]);
      }),
    );
  }

  #withMode<T>(training: boolean, fn: () => T): T {
    const saved = [...this.modules()].map((m) => [m, m.training] as const);
    this.train(training);
    try {
      return fn();
    } finally {
      for (const [m, t] of saved) m.training = t;
    }
  }

  /** Runs the network on NHWC images `[B, H, W, ch]` (H, W multiples of the largest stride). */
  forward(x: tf.Tensor4D): DetectOutput {
    if (x.rank !== 4 || x.shape[3] !== this.ch) {
      throw new Error(`model input must be NHWC [B, H, W, ${this.ch}], got [${x.shape.join(', ')}]`);
    }
    return tf.tidy(() => {
      const outputs: (unknown | null)[] = [];
      const pick = (j: number) => outputs[j < 0 ? outputs.length + j : j];
      let cur: unknown = x;
      this.layers.forEach((info, i) => {
        const f = info.from;
        if (f !== -1) cur = Array.isArray(f) ? f.map((j) => (j === -1 ? cur : pick(j))) : pick(f);
        try {
          cur = this.model.items[i]!.forward(cur);
        } catch (e) {
          const shapes = Array.isArray(cur) ? (cur as tf.Tensor[]).map((t) => `[${t.shape.join(', ')}]`).join(', ') : `[${(cur as tf.Tensor).shape.join(', ')}]`;
          throw new Error(`layer ${i} (${info.type}) failed on input ${shapes}: ${(e as Error).message}`);
        }
        outputs.push(this.save.has(i) ? cur : null);
      });
      return cur as DetectOutput as unknown as tf.TensorContainer;
    }) as unknown as DetectOutput;
  }

  /**
   * ultralytics `fuse()`: folds each Conv block's BatchNorm into its convolution and puts the model
   * in eval mode (inference only; fuse after loading weights). Idempotent.
   */
  fuse(): this {
    if (!this.#fused) {
      this.#fused = fuseConvBn(this).release;
      const dispose = this.dispose.bind(this);
      this.dispose = () => {
        this.#fused?.();
        dispose();
      };
    }
    return this.eval();
  }

  /** `{ layers, parameters, gradients, gflops }`; with `verbose`, prints the table and summary line. */
  info(opts: InfoOptions = {}): ModelInfo {
    const imgsz = opts.imgsz ?? 640;
    const { parameters, gradients } = this.countParameters();
    let gflops = 0;
    if (imgsz > 0) {
      const cached = this.#gflops.get(imgsz);
      gflops =
        cached ??
        this.#withMode(false, () => {
          const { macs } = countMacs(() => tf.tidy(() => void this.forward(tf.zeros([1, imgsz, imgsz, this.ch]))));
          return (2 * macs) / 1e9;
        });
      this.#gflops.set(imgsz, gflops);
    }
    const result: ModelInfo = { layers: this.modules().size, parameters, gradients, gflops };
    if (opts.verbose) console.log(`${this.table()}\n${this.summaryLine(result)}`);
    return result;
  }

  /** ultralytics' one-line summary. */
  summaryLine(i: ModelInfo = this.info({ imgsz: 0 })): string {
    const name = String(this.yaml.yaml_file ?? 'model').replace(/\.ya?ml$/, '');
    const fmt = (n: number) => n.toLocaleString('en-US');
    const g = i.gflops ? `, ${i.gflops.toFixed(1)} GFLOPs` : '';
    return `${name} summary: ${fmt(i.layers)} layers, ${fmt(i.parameters)} parameters, ${fmt(i.gradients)} gradients${g}`;
  }

  /** ultralytics' per-layer table (idx, from, n, params, module, arguments). */
  table(): string {
    const py = (v: unknown): string =>
      v === null ? 'None' : v === true ? 'True' : v === false ? 'False' : Array.isArray(v) ? `[${v.map(py).join(', ')}]` : typeof v === 'string' ? `'${v}'` : String(v);
    const head = `${''.padStart(3)}${'from'.padStart(20)}${'n'.padStart(3)}${'params'.padStart(10)}  ${'module'.padEnd(45)}${'arguments'.padEnd(30)}`;
    const rows = this.layers.map(
      (l) => `${String(l.index).padStart(3)}${py(l.from).padStart(20)}${String(l.n).padStart(3)}${String(l.params).padStart(10)}  ${l.type.padEnd(45)}${py(l.args).padEnd(30)}`,
    );
    return [head, ...rows].join('\n');
  }
}
