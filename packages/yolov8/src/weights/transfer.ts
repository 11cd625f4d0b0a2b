import { BatchNorm2d, type DetectionModel, type HostTensor, type Layout, type Module, type ModelConfig, type TensorMap } from '@yolomods/core';

/** One YAML layer reduced to what structural matching compares. */
export interface LayerRow {
  /** Layer index. */
  index: number;
  /** Input layers as absolute indices (-1 = the image). */
  from: number[];
  /** Repeats as written in the YAML. */
  n: number;
  /** Module name without an `nn.` / `torch.nn.` prefix. */
  module: string;
  /** The args as written (Python literals normalised), as JSON. */
  args: string;
}

/** What {@link transferWeights} did. */
export interface TransferReport {
  /** Where the weights came from. */
  source: string;
  /** Tensors copied (BatchNorm `num_batches_tracked` counted, as ultralytics counts state-dict items). */
  transferred: number;
  /** What ultralytics' `intersect_dicts` (same key, same shape) would have copied. */
  byIndex: number;
  /** Size of the target model's state dict (`num_batches_tracked` included). */
  total: number;
  /** Whether layers were matched by structure (false: the source carried no YAML, keys matched by index). */
  aligned: boolean;
  /** Target layer index → source layer index, for every matched layer. */
  layerMap: Map<number, number>;
  /** Target keys that received a tensor. */
  keys: string[];
  /** Target layers not (fully) transferred: index, module, tensors copied / tensors held. */
  untransferred: { index: number; module: string; copied: number; total: number }[];
  /** The printable summary (`Transferred N/M items from …` and the layers left at their initialisation). */
  lines: string[];
}

const PERM_BACK: Record<Layout, number[] | null> = { oihw: [3, 2, 0, 1], linear: [1, 0], nchw: [0, 3, 1, 2], plain: null };

function pyLiteral(v: unknown): unknown {
  if (Array.isArray(v)) return v.map(pyLiteral);
  if (v === 'None' || v === undefined) return null;
  if (v === 'True') return true;
  if (v === 'False') return false;
  return v;
}

/** The backbone + head rows of a model YAML with `from` resolved to absolute indices. */
export function layerRows(cfg: ModelConfig): LayerRow[] {
  const rows = [...((cfg.backbone as unknown[]) ?? []), ...((cfg.head as unknown[]) ?? [])];
  return rows.map((r, i) => {
    if (!Array.isArray(r) || r.length < 3) throw new Error(`model YAML layer ${i}: expected [from, repeats, module, args], got ${JSON.stringify(r)}`);
    const [f, n, m, args] = r as [number | number[], number, string, unknown[]];
    const from = (Array.isArray(f) ? f : [f]).map((j) => (j < 0 ? i + j : j));
    return { index: i, from, n: Number(n), module: String(m).replace(/^(torch\.)?nn\./, ''), args: JSON.stringify(pyLiteral(args ?? [])) };
  });
}

/**
 * Matches the layers of two YAMLs in order (Needleman-Wunsch): the same module scores 2, the same
 * repeats and args 1 more, inputs that are matched layers of each other 1 more; a layer only one
 * side has costs 1. Inputs are compared through the previous round's matching, so it runs until
 * the matching stops changing. Returns target index → source index.
 */
export function alignLayers(src: LayerRow[], dst: LayerRow[]): Map<number, number> {
  let map = new Map<number, number>();
  for (let round = 0; round < 4; round++) {
    const next = alignOnce(src, dst, round === 0 ? null : map);
    const same = next.size === map.size && [...next].every(([k, v]) => map.get(k) === v);
    map = next;
    if (same) break;
  }
  return map;
}

function alignOnce(src: LayerRow[], dst: LayerRow[], prev: Map<number, number> | null): Map<number, number> {
  const GAP = -1;
  const inv = new Map<number, number>();
  if (prev) for (const [t, s] of prev) inv.set(s, t);
  // A layer the other side lacks, with one input, passes it on (an inserted block): look through it.
  const through = (rows: LayerRow[], matched: (i: number) => boolean, i: number): number => {
    while (i >= 0 && !matched(i) && rows[i]!.from.length === 1) i = rows[i]!.from[0]!;
    return i;
  };
  const fromsAgree = (s: LayerRow, d: LayerRow): boolean => {
    if (!prev || s.from.length !== d.from.length) return false;
    return s.from.every((sf, k) => {
      const a = through(src, (i) => inv.has(i), sf);
      const b = through(dst, (i) => prev.has(i), d.from[k]!);
      return a === -1 ? b === -1 : inv.get(a) === b;
    });
  };
  const score = (s: LayerRow, d: LayerRow): number =>
    (s.module === d.module ? 2 : 0) + (s.module === d.module && s.n === d.n && s.args === d.args ? 1 : 0) + (fromsAgree(s, d) ? 1 : 0);
  const n = src.length;
  const m = dst.length;
  const H = Array.from({ length: n + 1 }, (_, i) => Float64Array.from({ length: m + 1 }, (_, j) => (i + j) * GAP));
  for (let i = 1; i <= n; i++) {
    for (let j = 1; j <= m; j++) H[i]![j] = Math.max(H[i - 1]![j - 1]! + score(src[i - 1]!, dst[j - 1]!), H[i - 1]![j]! + GAP, H[i]![j - 1]! + GAP);
  }
  const out = new Map<number, number>();
  for (let i = n, j = m; i > 0 && j > 0; ) {
    if (H[i]![j] === H[i - 1]![j - 1]! + score(src[i - 1]!, dst[j - 1]!)) {
      out.set(j - 1, i - 1);
      i--;
      j--;
    } else if (H[i]![j] === H[i - 1]![j]! + GAP) i--;
    else j--;
  }
  return out;
}

/** Every key of the model's PyTorch state dict with its PyTorch shape (`num_batches_tracked` included). */
export function torchShapes(model: Module): Map<string, number[]> {
  const out = new Map<string, number[]>();
  for (const [k, e] of model.namedEntries()) {
    const p = PERM_BACK[e.layout];
    out.set(k, p ? p.map((i) => e.variable.shape[i]!) : [...e.variable.shape]);
  }
  const walk = (m: Module, prefix: string) => {
    if (m instanceof BatchNorm2d) out.set(`${prefix}num_batches_tracked`, []);
    for (const [k, c] of m.namedChildren()) walk(c, `${prefix}${k}.`);
  };
  walk(model, '');
  return out;
}

const sameShape = (a: readonly number[], b: readonly number[]) => a.length === b.length && a.every((d, i) => d === b[i]);
const layerOf = (key: string): number | null => {
  const m = /^model\.(\d+)\./.exec(key);
  return m ? Number(m[1]) : null;
};

/** Compact `a-b -> c-d` ranges of the layers that moved. */
function movedRanges(map: Map<number, number>): string[] {
  const moved = [...map].filter(([t, s]) => t !== s).sort((a, b) => a[0] - b[0]);
  const out: string[] = [];
  for (let k = 0; k < moved.length; ) {
    let e = k;
    while (e + 1 < moved.length && moved[e + 1]![0] === moved[e]![0] + 1 && moved[e + 1]![1] === moved[e]![1] + 1) e++;
    const [t0, s0] = moved[k]!;
    const [t1, s1] = moved[e]!;
    out.push(t0 === t1 ? `${s0} -> ${t0}` : `${s0}-${s1} -> ${t0}-${t1}`);
    k = e + 1;
  }
  return out;
}

/**
 * Copies into `model` every source tensor whose key and shape fit, as ultralytics' `model.load`
 * (`intersect_dicts`), after matching layers by structure when the source carries its YAML: a block
 * inserted or removed shifts the later indices, so `model.<i>.` keys are remapped to `model.<j>.`.
 * Layers and tensors that do not fit (a new block, a head with another `nc`) keep their initialisation.
 */
export function transferWeights(model: DetectionModel, source: { stateDict: TensorMap; yaml?: ModelConfig; source: string }): TransferReport {
  const target = torchShapes(model);
  const sd = source.stateDict;
  let byIndex = 0;
  for (const [k, v] of Object.entries(sd)) if (target.has(k) && sameShape(target.get(k)!, v.shape)) byIndex++;
  const dstRows = layerRows(model.yaml);
  let layerMap: Map<number, number>;
  let aligned = false;
  if (source.yaml && Array.isArray(source.yaml.backbone)) {
    layerMap = alignLayers(layerRows(source.yaml), dstRows);
    aligned = true;
  } else layerMap = new Map(dstRows.map((r) => [r.index, r.index]));
  const srcToDst = new Map([...layerMap].map(([t, s]) => [s, t]));
  const picked: Record<string, HostTensor> = {};
  for (const [k, v] of Object.entries(sd)) {
    const s = layerOf(k);
    let key = k;
    if (s !== null) {
      const t = srcToDst.get(s);
      if (t === undefined) continue;
      key = `model.${t}.${k.slice(`model.${s}.`.length)}`;
    }
    const want = target.get(key);
    if (want && sameShape(want, v.shape)) picked[key] = v;
  }
  model.loadStateDict(Object.fromEntries(Object.entries(picked).filter(([k]) => !k.endsWith('num_batches_tracked'))), { strict: false });
  const keys = Object.keys(picked);
  const perLayer = new Map<number, { copied: number; total: number }>();
  for (const k of target.keys()) {
    const i = layerOf(k);
    if (i === null) continue;
    const c = perLayer.get(i) ?? { copied: 0, total: 0 };
    c.total++;
    if (k in picked) c.copied++;
    perLayer.set(i, c);
  }
  const untransferred = [...perLayer]
    .filter(([, c]) => c.copied < c.total)
    .sort((a, b) => a[0] - b[0])
    .map(([index, c]) => ({ index, module: dstRows[index]?.module ?? '?', ...c }));
  const lines = [`Transferred ${keys.length}/${target.size} items from ${source.source}`];
  if (aligned) {
    const moved = movedRanges(layerMap);
    lines.push(`  layers matched by structure (${byIndex}/${target.size} by index, as ultralytics)${moved.length ? `; moved: ${moved.join(', ')}` : ''}`);
  } else lines.push('  keys matched by index (the weights carry no YAML to match layers by structure)');
  if (untransferred.length) {
    lines.push('  left at their initialisation:');
    for (const u of untransferred) lines.push(`    ${String(u.index).padStart(3)} ${u.module.padEnd(16)} ${u.copied ? `${u.total - u.copied} of ${u.total} tensors` : `all ${u.total} tensors`}`);
  }
  return { source: source.source, transferred: keys.length, byIndex, total: target.size, aligned, layerMap, keys, untransferred, lines };
}
