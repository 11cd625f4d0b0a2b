import { unzipSync } from 'fflate';
import type { HostTensor, TensorMap } from '@yolomods/core';
import { PyGlobal, PyObject, halfToFloat, unpickle, type PickledStorage, type PickledTensor } from './pickle';

/** An ultralytics checkpoint read by {@link loadPt}. */
export interface PtCheckpoint {
  /** PyTorch `state_dict()` of the model (`ema` when present, else `model`), float32 / int32. */
  stateDict: TensorMap;
  /** The model's YAML dict (enough to rebuild the architecture). */
  yaml: Record<string, unknown>;
  /** Class names, index = class id. */
  names: string[];
  /** Number of classes. */
  nc: number;
  /** Which entry the weights came from. */
  from: 'ema' | 'model';
  /** The checkpoint's other top-level entries (epoch, date, train_args, …) as plain values. */
  meta: Record<string, unknown>;
}

/** Options of {@link loadPt}. */
export interface LoadPtOptions {
  /** Name used in error messages. */
  source?: string;
  /** Extra module class names to accept (e.g. `ultralytics.nn.modules.block.C2f_DySample`). */
  extraClasses?: readonly string[];
}

let HALF: Float32Array | null = null;
function halfTable(): Float32Array {
  if (!HALF) {
    HALF = new Float32Array(65536);
    for (let i = 0; i < 65536; i++) HALF[i] = halfToFloat(i);
  }
  return HALF;
}

function readStorage(raw: Uint8Array, dtype: PickledStorage['dtype'], key: string, src: string): PickledStorage {
  const copy = raw.slice(); // aligned copy
  const v = new DataView(copy.buffer);
  if (dtype === 'float32') return { kind: 'storage', dtype, data: new Float32Array(copy.buffer, 0, copy.length >> 2) };
  if (dtype === 'float16') {
    const t = halfTable();
    const out = new Float32Array(copy.length >> 1);
    for (let i = 0; i < out.length; i++) out[i] = t[v.getUint16(2 * i, true)]!;
    return { kind: 'storage', dtype, data: out };
  }
  const out = new Int32Array(copy.length >> 3);
  for (let i = 0; i < out.length; i++) {
    const x = v.getBigInt64(8 * i, true);
    if (x > 2147483647n || x < -2147483648n) throw new Error(`${src}: int64 storage ${key} holds ${x}, beyond int32`);
    out[i] = Number(x);
  }
  return { kind: 'storage', dtype, data: out };
}

const STORAGE_TYPES: Record<string, PickledStorage['dtype']> = {
  'torch.HalfStorage': 'float16',
  'torch.FloatStorage': 'float32',
  'torch.LongStorage': 'int64',
};

/** Reads the pickle of a torch zip checkpoint into plain values (tensors rebuilt, nothing executed). */
export function readTorchZip(bytes: Uint8Array, opts: LoadPtOptions = {}): unknown {
  const src = opts.source ?? '.pt file';
  let files: Record<string, Uint8Array>;
  try {
    files = unzipSync(bytes);
  } catch (e) {
    throw new Error(`${src}: not a readable PyTorch zip checkpoint (${(e as Error).message}); the file may be truncated or not a .pt`);
  }
  const pkl = Object.keys(files).find((k) => /^[^/]+\/data\.pkl$/.test(k));
  if (!pkl) throw new Error(`${src}: no <folder>/data.pkl in the zip (legacy non-zip torch files are not supported)`);
  const folder = pkl.slice(0, -'data.pkl'.length);
  const cache = new Map<string, PickledStorage>();
  const persistentLoad = (pid: unknown): PickledStorage => {
    const [tag, type, key] = (Array.isArray(pid) ? pid : []) as [unknown, unknown, unknown];
    if (tag !== 'storage' || !(type instanceof PyGlobal) || typeof key !== 'string') throw new Error(`${src}: unsupported persistent id ${JSON.stringify(pid)}`);
    const dtype = STORAGE_TYPES[type.name];
    if (!dtype) throw new Error(`${src}: unsupported storage type ${type.name}`);
    const hit = cache.get(key);
    if (hit) return hit;
    const raw = files[`${folder}data/${key}`];
    if (!raw) throw new Error(`${src}: storage ${folder}data/${key} is missing`);
    const s = readStorage(raw, dtype, key, src);
    cache.set(key, s);
    return s;
  };
  return unpickle(files[pkl]!, { persistentLoad, extraClasses: opts.extraClasses, source: `${src} (${pkl})` });
}

const isTensor = (v: unknown): v is PickledTensor => !!v && typeof v === 'object' && (v as PickledTensor).kind === 'tensor';

function toHostTensor(t: PickledTensor): HostTensor {
  return { dtype: t.dtype === 'int64' ? 'int32' : 'float32', shape: t.shape, data: t.data };
}

/** Walks a pickled nn.Module's `_parameters` / `_buffers` / `_modules` into dotted state-dict keys. */
export function moduleStateDict(m: PyObject, prefix = '', out: TensorMap = {}): TensorMap {
  const params = m.dict.get('_parameters');
  const buffers = m.dict.get('_buffers');
  const children = m.dict.get('_modules');
  const nonPersistent = m.dict.get('_non_persistent_buffers_set');
  const skip = nonPersistent instanceof Set ? nonPersistent : new Set();
  for (const [group, isBuffer] of [[params, false], [buffers, true]] as const) {
    if (!(group instanceof Map)) continue;
    for (const [k, v] of group) {
      if (v === null || (isBuffer && skip.has(k))) continue;
      if (!isTensor(v)) throw new Error(`${prefix}${String(k)} is not a tensor`);
      out[`${prefix}${String(k)}`] = toHostTensor(v);
    }
  }
  if (children instanceof Map) {
    for (const [k, c] of children) if (c instanceof PyObject) moduleStateDict(c, `${prefix}${String(k)}.`, out);
  }
  return out;
}

/** Converts unpickled values to JSON-friendly ones (dicts → objects, small tensors → arrays). */
export function toPlain(v: unknown, depth = 0): unknown {
  if (depth > 32) return '…';
  if (v instanceof Map) return Object.fromEntries([...v].map(([k, x]) => [String(k), toPlain(x, depth + 1)]));
  if (v instanceof Set) return [...v].map((x) => toPlain(x, depth + 1));
  if (Array.isArray(v)) return v.map((x) => toPlain(x, depth + 1));
  if (isTensor(v)) return v.data.length <= 64 ? Array.from(v.data) : { dtype: v.dtype, shape: v.shape };
  if (v instanceof PyObject) return Object.fromEntries([...v.dict].filter(([k]) => !k.startsWith('_')).map(([k, x]) => [k, toPlain(x, depth + 1)]));
  if (v instanceof PyGlobal) return v.name;
  if (typeof v === 'bigint') return v.toString();
  return v;
}

/**
 * Loads an ultralytics `.pt` checkpoint (torch zip, pickle protocol 2) without executing it:
 * takes `ema` or else `model` (as ultralytics `attempt_load_weights`), widens fp16 to f32.
 */
export function loadPt(bytes: Uint8Array, opts: LoadPtOptions = {}): PtCheckpoint {
  const src = opts.source ?? '.pt file';
  const ck = readTorchZip(bytes, opts);
  if (!(ck instanceof Map)) throw new Error(`${src}: expected a checkpoint dict, got ${ck instanceof PyObject ? ck.cls : typeof ck}`);
  const ema = ck.get('ema');
  const model = ck.get('model');
  const from = ema instanceof PyObject ? 'ema' : 'model';
  const m = from === 'ema' ? ema : model;
  if (!(m instanceof PyObject)) throw new Error(`${src}: neither 'ema' nor 'model' holds a model (keys: ${[...ck.keys()].join(', ')})`);
  const yaml = toPlain(m.dict.get('yaml'));
  if (!yaml || typeof yaml !== 'object') throw new Error(`${src}: the model (${m.cls}) has no yaml attribute to rebuild it from`);
  const namesRaw = toPlain(m.dict.get('names'));
  const nc = Number(m.dict.get('nc') ?? (yaml as Record<string, unknown>).nc);
  const names = Array.from({ length: nc }, (_, i) =>
    String((Array.isArray(namesRaw) ? namesRaw[i] : (namesRaw as Record<string, unknown> | undefined)?.[String(i)]) ?? `class${i}`),
  );
  const meta: Record<string, unknown> = {};
  for (const [k, v] of ck) if (k !== 'model' && k !== 'ema' && k !== 'optimizer') meta[String(k)] = toPlain(v);
  return { stateDict: moduleStateDict(m), yaml: yaml as Record<string, unknown>, names, nc, from, meta };
}
