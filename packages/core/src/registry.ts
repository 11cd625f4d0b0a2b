import type { Module } from './module';

/** What a block's channel rule sees: exactly the inputs of ultralytics' `parse_model` branch. */
export interface ParseContext {
  /** Layer index in the YAML (backbone then head). */
  index: number;
  /** The layer's `from`. */
  from: number | number[];
  /** Output channels: `ch[0]` is the image's before layer 0, then one entry per built layer. */
  ch: number[];
  /** Evaluated YAML args (`nc` resolved, `None` → null). */
  args: unknown[];
  /** Repeats after depth scaling. */
  n: number;
  /** Width multiple of the scale. */
  width: number;
  /** Depth multiple of the scale. */
  depth: number;
  /** Channel cap of the scale (Infinity when none). */
  maxChannels: number;
  /** Number of classes. */
  nc: number;
}

/** A channel rule's answer: output channels, constructor args, and repeats left for the parser. */
export interface ChannelResult {
  /** Output channels of the layer. */
  c2: number;
  /** Constructor args. */
  args: unknown[];
  /** Repeats the parser still applies by stacking (set to 1 when the block repeats internally). */
  n?: number;
}

/** A block definition: its YAML name, how to build it, and its `parse_model` channel rule. */
export interface BlockDefinition {
  /** Name used in YAML files. */
  name: string;
  /** Other accepted names. */
  aliases?: string[];
  /** Builds the block from constructor args (the rule's `args`). */
  build: (...args: never[]) => Module;
  /** The block's channel rule. */
  channels: (ctx: ParseContext) => ChannelResult;
  /** True for detection heads: they take the listed maps and return `{ y, feats }`. */
  head?: boolean;
  /** npm package that provides the block (shown in errors). */
  package?: string;
}

/** A plugin: a named, versioned set of blocks. */
export interface Plugin {
  /** npm package name, e.g. `@yolomods/dysample`. */
  name: string;
  /** Package version. */
  version: string;
  /** Registers the plugin's blocks. */
  register(registry: Registry): void;
}

/** Blocks of the official plugin packages, so a YAML that needs one can say what to install. */
const KNOWN_PROVIDERS: Record<string, string> = {
  DySample: '@yolomods/dysample',
  AKConv: '@yolomods/akconv',
  DynamicConv: '@yolomods/dynamicconv',
  C2f_DynamicConv: '@yolomods/dynamicconv',
  C2f_GhostModule_DynamicConv: '@yolomods/dynamicconv',
  GhostModule: '@yolomods/dynamicconv',
  ASFF: '@yolomods/asff',
  Detect_ASFF: '@yolomods/asff',
  DAttention: '@yolomods/dat',
  DAttentionBaseline: '@yolomods/dat',
};

/** Package that provides a block of an official plugin, if any. */
export function providerOf(name: string): string | undefined {
  return KNOWN_PROVIDERS[name];
}

function editDistance(a: string, b: string): number {
  const x = a.toLowerCase();
  const y = b.toLowerCase();
  let prev = Array.from({ length: y.length + 1 }, (_, j) => j);
  for (let i = 1; i <= x.length; i++) {
    const cur = [i];
    for (let j = 1; j <= y.length; j++) {
      cur[j] = Math.min(prev[j]! + 1, cur[j - 1]! + 1, prev[j - 1]! + (x[i - 1] === y[j - 1] ? 0 : 1));
    }
    prev = cur;
  }
  return prev[y.length]!;
}

/** Error for a YAML module name that no registered block answers to. */
export class UnknownModuleError extends Error {
  constructor(
    readonly module: string,
    readonly layer: number | undefined,
    readonly provider: string | undefined,
    readonly closest: string[],
  ) {
    const where = layer === undefined ? '' : `layer ${layer}: `;
    const hint = provider
      ? ` It is provided by ${provider}: install it (pnpm add ${provider}) and import it or pass it as a plugin.`
      : '';
    const near = closest.length ? ` Closest registered modules: ${closest.join(', ')}.` : '';
    super(`${where}unknown module '${module}'.${hint}${near}`);
    this.name = 'UnknownModuleError';
  }
}

/** Maps YAML module names to block definitions. */
export class Registry {
  readonly #defs = new Map<string, BlockDefinition>();
  readonly #plugins = new Map<string, Plugin>();

  /** Registers a block under its name and aliases. Same name with another builder is an error. */
  register(def: BlockDefinition): this {
    for (const key of [def.name, ...(def.aliases ?? [])]) {
      const old = this.#defs.get(key);
      if (old && old.build !== def.build) {
        throw new Error(`registry: '${key}' is already registered${old.package ? ` by ${old.package}` : ''} with a different builder`);
      }
      this.#defs.set(key, def);
    }
    return this;
  }

  /** Registers a plugin's blocks (idempotent for the same plugin). */
  use(plugin: Plugin): this {
    plugin.register(this);
    this.#plugins.set(plugin.name, plugin);
    return this;
  }

  /** Plugins used so far. */
  plugins(): Plugin[] {
    return [...this.#plugins.values()];
  }

  /** The definition for a YAML name (`nn.` / `torch.nn.` prefixes accepted), or undefined. */
  get(name: string): BlockDefinition | undefined {
    return this.#defs.get(name) ?? this.#defs.get(name.replace(/^(torch\.)?nn\./, ''));
  }

  /** All registered names (aliases included). */
  names(): string[] {
    return [...this.#defs.keys()];
  }

  /** Like {@link get}, but throws {@link UnknownModuleError} naming the layer, nearby names and the package. */
  resolve(name: string, layer?: number): BlockDefinition {
    const def = this.get(name);
    if (def) return def;
    const closest = this.names()
      .map((n) => [n, editDistance(n, name)] as const)
      .filter(([n, d]) => d <= Math.max(2, Math.floor(name.length / 3)) || n.toLowerCase().includes(name.toLowerCase()))
      .sort((a, b) => a[1] - b[1])
      .slice(0, 3)
      .map(([n]) => n);
    throw new UnknownModuleError(name, layer, providerOf(name), closest);
  }
}

/** ultralytics `make_divisible`: the smallest multiple of `divisor` ≥ x. */
export function makeDivisible(x: number, divisor: number): number {
  return Math.ceil(x / divisor) * divisor;
}

/** Python-style index into the channel list (negative counts from the end). */
export function channelOf(ch: number[], f: number): number {
  const c = ch[f < 0 ? ch.length + f : f];
  if (c === undefined) throw new Error(`from index ${f} is out of range`);
  return c;
}

function single(ctx: ParseContext): number {
  if (Array.isArray(ctx.from)) throw new Error(`layer ${ctx.index}: this module takes one input, but 'from' is [${ctx.from.join(', ')}]`);
  return ctx.from;
}

/** Reusable `parse_model` channel rules, for plugin authors. */
export const rules = {
  /** Conv-like: `[c2, ...rest]` → `[c1, make_divisible(min(c2, max_ch)·width, 8), ...rest]`. */
  conv(ctx: ParseContext): ChannelResult {
    const c1 = channelOf(ctx.ch, single(ctx));
    let c2 = Number(ctx.args[0]);
    if (!Number.isFinite(c2)) throw new Error(`layer ${ctx.index}: first argument must be the output channels, got ${JSON.stringify(ctx.args[0])}`);
    if (c2 !== ctx.nc) c2 = makeDivisible(Math.min(c2, ctx.maxChannels) * ctx.width, 8);
    return { c2, args: [c1, c2, ...ctx.args.slice(1)], n: ctx.n };
  },
  /** C2f-like: the Conv rule, then the repeats go in as the third constructor arg. */
  repeated(ctx: ParseContext): ChannelResult {
    const r = rules.conv(ctx);
    return { c2: r.c2, args: [r.args[0], r.args[1], ctx.n, ...r.args.slice(2)], n: 1 };
  },
  /** Channel-preserving block that takes its channels first: `args = [c1, ...args]`. */
  inputChannels(ctx: ParseContext): ChannelResult {
    const c1 = channelOf(ctx.ch, single(ctx));
    return { c2: c1, args: [c1, ...ctx.args], n: ctx.n };
  },
  /** Channel-preserving block with args as written (e.g. `nn.Upsample`). */
  same(ctx: ParseContext): ChannelResult {
    return { c2: channelOf(ctx.ch, single(ctx)), args: ctx.args, n: ctx.n };
  },
  /** `Concat`: channels add up. */
  concat(ctx: ParseContext): ChannelResult {
    const f = Array.isArray(ctx.from) ? ctx.from : [ctx.from];
    return { c2: f.reduce((s, x) => s + channelOf(ctx.ch, x), 0), args: ctx.args, n: ctx.n };
  },
  /** Detection heads: the input channels of the listed layers are appended as the last arg. */
  detect(ctx: ParseContext): ChannelResult {
    const f = Array.isArray(ctx.from) ? ctx.from : [ctx.from];
    return { c2: channelOf(ctx.ch, -1), args: [...ctx.args, f.map((x) => channelOf(ctx.ch, x))], n: ctx.n };
  },
};
