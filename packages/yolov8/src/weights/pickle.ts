/**
 * A pickle reader that never executes anything: GLOBALs resolve only to a fixed whitelist of
 * constructors implemented here (tensors, OrderedDict, set, torch.Size, and module classes that
 * become inert {@link PyObject}s). Anything else is refused where it is named, before any REDUCE.
 */

/** The GLOBALs a real ultralytics YOLOv8 detection checkpoint names (fixtures/README.md, checkpoints). */
export const PT_GLOBALS: readonly string[] = [
  'collections.OrderedDict',
  '__builtin__.set',
  'torch._utils._rebuild_tensor_v2',
  'torch._utils._rebuild_parameter',
  'torch.HalfStorage',
  'torch.FloatStorage',
  'torch.LongStorage',
  'torch.Size',
  'torch.nn.modules.container.Sequential',
  'torch.nn.modules.container.ModuleList',
  'torch.nn.modules.conv.Conv2d',
  'torch.nn.modules.batchnorm.BatchNorm2d',
  'torch.nn.modules.activation.SiLU',
  'torch.nn.modules.pooling.MaxPool2d',
  'torch.nn.modules.upsampling.Upsample',
  'ultralytics.nn.tasks.DetectionModel',
  'ultralytics.nn.modules.conv.Conv',
  'ultralytics.nn.modules.conv.Concat',
  'ultralytics.nn.modules.block.C2f',
  'ultralytics.nn.modules.block.Bottleneck',
  'ultralytics.nn.modules.block.SPPF',
  'ultralytics.nn.modules.block.DFL',
  'ultralytics.nn.modules.head.Detect',
  'ultralytics.utils.IterableSimpleNamespace',
];

/** A reference to a whitelisted global (a class or function), never a live callable. */
export class PyGlobal {
  constructor(readonly name: string) {}
}

/** An instance of a whitelisted class: its name and its `__dict__` (from BUILD). */
export class PyObject {
  readonly dict = new Map<string, unknown>();
  constructor(readonly cls: string) {}
}

/** A tensor rebuilt from a storage: dtype of the storage, shape, row-major values. */
export interface PickledTensor {
  kind: 'tensor';
  dtype: 'float16' | 'float32' | 'int64';
  shape: number[];
  /** float16 widened to float32; int64 narrowed to int32 (checked). */
  data: Float32Array | Int32Array;
}

/** A storage as the persistent-id loader returns it. */
export interface PickledStorage {
  kind: 'storage';
  dtype: PickledTensor['dtype'];
  data: Float32Array | Int32Array;
}

/** Options of {@link unpickle}. */
export interface UnpickleOptions {
  /** Resolves a persistent id (torch: `('storage', type, key, location, numel)`). */
  persistentLoad?: (pid: unknown) => unknown;
  /** Extra class names to accept as inert objects (e.g. plugin modules); never functions. */
  extraClasses?: readonly string[];
  /** Name used in error messages. */
  source?: string;
}

const MARK = Symbol('mark');

/** PyTorch storage globals and their element types. */
const STORAGES: Record<string, PickledTensor['dtype']> = {
  'torch.HalfStorage': 'float16',
  'torch.FloatStorage': 'float32',
  'torch.LongStorage': 'int64',
};

function rebuildTensor(args: unknown[], src: string): PickledTensor {
  const [storage, offset, size, stride] = args as [PickledStorage, number, number[], number[]];
  if (!storage || storage.kind !== 'storage') throw new Error(`${src}: _rebuild_tensor_v2 without a storage`);
  if (!Array.isArray(size) || !Array.isArray(stride) || size.length !== stride.length) {
    throw new Error(`${src}: _rebuild_tensor_v2 with bad size/stride ${JSON.stringify(size)} / ${JSON.stringify(stride)}`);
  }
  const n = size.reduce((a, b) => a * b, 1);
  const out = storage.data instanceof Int32Array ? new Int32Array(n) : new Float32Array(n);
  const rank = size.length;
  const idx = new Array<number>(rank).fill(0);
  for (let i = 0; i < n; i++) {
    let p = offset;
    for (let d = 0; d < rank; d++) p += idx[d]! * stride[d]!;
    if (p >= storage.data.length) throw new Error(`${src}: tensor [${size.join(', ')}] reads past its storage (${storage.data.length} elements)`);
    out[i] = storage.data[p]!;
    for (let d = rank - 1; d >= 0; d--) {
      if (++idx[d]! < size[d]!) break;
      idx[d] = 0;
    }
  }
  return { kind: 'tensor', dtype: storage.dtype, shape: [...size], data: out };
}

/** What calling (REDUCE) or instantiating (NEWOBJ) each global does; classes not here build inert objects. */
function call(g: PyGlobal, args: unknown[], src: string): unknown {
  switch (g.name) {
    case 'collections.OrderedDict': {
      const m = new Map<unknown, unknown>();
      for (const kv of (args[0] as unknown[][] | undefined) ?? []) m.set(kv[0], kv[1]);
      return m;
    }
    case '__builtin__.set':
      return new Set((args[0] as unknown[] | undefined) ?? []);
    case 'torch._utils._rebuild_tensor_v2':
      return rebuildTensor(args, src);
    case 'torch._utils._rebuild_parameter':
      return args[0];
    case 'torch.Size':
      return [...((args[0] as number[] | undefined) ?? [])];
    case 'ultralytics.utils.IterableSimpleNamespace':
      if (args.length) throw new Error(`${src}: IterableSimpleNamespace called with positional arguments`);
      return new PyObject(g.name);
    default:
      if (g.name in STORAGES) throw new Error(`${src}: ${g.name} may only appear in a persistent id`);
      if (g.name.startsWith('torch._utils')) throw new Error(`${src}: ${g.name} cannot be called`);
      return new PyObject(g.name);
  }
}

/**
 * Reads a pickle (protocols 0–4 opcodes that carry data; no extension registry, no `INST`/`OBJ`)
 * into plain values: dicts → `Map`, lists and tuples → arrays, sets → `Set`, class instances →
 * {@link PyObject}, tensors → {@link PickledTensor}. Throws on a non-whitelisted global (naming it)
 * and on unknown opcodes.
 */
export function unpickle(bytes: Uint8Array, opts: UnpickleOptions = {}): unknown {
  const src = opts.source ?? 'pickle';
  const allowed = new Set([...PT_GLOBALS, ...(opts.extraClasses ?? [])]);
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const dec = new TextDecoder('utf-8');
  const stack: unknown[] = [];
  const marks: number[] = [];
  const memo = new Map<number, unknown>();
  let pos = 0;

  const need = (n: number) => {
    if (pos + n > bytes.length) throw new Error(`${src}: pickle truncated at byte ${pos}`);
  };
  const u8 = () => (need(1), bytes[pos++]!);
  const u16 = () => (need(2), (pos += 2), view.getUint16(pos - 2, true));
  const u32 = () => (need(4), (pos += 4), view.getUint32(pos - 4, true));
  const i32 = () => (need(4), (pos += 4), view.getInt32(pos - 4, true));
  const u64 = () => {
    need(8);
    const v = view.getBigUint64(pos, true);
    pos += 8;
    if (v > BigInt(Number.MAX_SAFE_INTEGER)) throw new Error(`${src}: length ${v} too large`);
    return Number(v);
  };
  const take = (n: number) => (need(n), (pos += n), bytes.subarray(pos - n, pos));
  const line = () => {
    const end = bytes.indexOf(0x0a, pos);
    if (end < 0) throw new Error(`${src}: pickle truncated in a text argument at byte ${pos}`);
    const s = dec.decode(bytes.subarray(pos, end));
    pos = end + 1;
    return s;
  };
  const pop = () => {
    if (!stack.length) throw new Error(`${src}: pickle stack underflow at byte ${pos}`);
    return stack.pop();
  };
  const top = () => {
    if (!stack.length) throw new Error(`${src}: pickle stack underflow at byte ${pos}`);
    return stack[stack.length - 1];
  };
  const popMark = () => {
    const m = marks.pop();
    if (m === undefined) throw new Error(`${src}: pickle MARK missing at byte ${pos}`);
    return stack.splice(m);
  };
  const resolveGlobal = (module: string, name: string) => {
    let full = `${module}.${name}`;
    if (full === 'builtins.set') full = '__builtin__.set'; // the same global as pickled by protocol ≥ 3
    if (!allowed.has(full)) throw new Error(`${src}: refusing pickle global '${full}' (not on the whitelist of checkpoint classes; nothing was executed)`);
    return new PyGlobal(full);
  };
  const setItems = (d: unknown, items: unknown[]) => {
    if (d instanceof Map) {
      for (let i = 0; i + 1 < items.length; i += 2) d.set(items[i], items[i + 1]);
    } else if (d instanceof PyObject) {
      for (let i = 0; i + 1 < items.length; i += 2) d.dict.set(String(items[i]), items[i + 1]);
    } else throw new Error(`${src}: SETITEM(S) on a ${typeof d}`);
  };
  const memoPut = (i: number) => memo.set(i, top());

  for (;;) {
    const at = pos;
    const op = u8();
    switch (op) {
      case 0x80: u8(); break; // PROTO
      case 0x95: u64(); break; // FRAME
      case 0x2e: // STOP
        if (stack.length !== 1) throw new Error(`${src}: pickle ended with ${stack.length} values on the stack`);
        return stack[0];
      case 0x28: marks.push(stack.length); break; // MARK
      case 0x7d: stack.push(new Map()); break; // EMPTY_DICT
      case 0x5d: stack.push([]); break; // EMPTY_LIST
      case 0x29: stack.push([]); break; // EMPTY_TUPLE
      case 0x8f: stack.push(new Set()); break; // EMPTY_SET
      case 0x71: memoPut(u8()); break; // BINPUT
      case 0x72: memoPut(u32()); break; // LONG_BINPUT
      case 0x94: memoPut(memo.size); break; // MEMOIZE
      case 0x70: memoPut(Number(line())); break; // PUT
      case 0x68: case 0x6a: case 0x67: { // BINGET, LONG_BINGET, GET
        const i = op === 0x68 ? u8() : op === 0x6a ? u32() : Number(line());
        if (!memo.has(i)) throw new Error(`${src}: pickle memo ${i} not set (byte ${at})`);
        stack.push(memo.get(i));
        break;
      }
      case 0x58: stack.push(dec.decode(take(u32()))); break; // BINUNICODE
      case 0x8c: stack.push(dec.decode(take(u8()))); break; // SHORT_BINUNICODE
      case 0x8d: stack.push(dec.decode(take(u64()))); break; // BINUNICODE8
      case 0x55: stack.push(dec.decode(take(u8()))); break; // SHORT_BINSTRING (latin-1 in py2; ASCII in practice)
      case 0x54: stack.push(dec.decode(take(u32()))); break; // BINSTRING
      case 0x43: stack.push(take(u8()).slice()); break; // SHORT_BINBYTES
      case 0x42: stack.push(take(u32()).slice()); break; // BINBYTES
      case 0x4a: stack.push(i32()); break; // BININT
      case 0x4b: stack.push(u8()); break; // BININT1
      case 0x4d: stack.push(u16()); break; // BININT2
      case 0x8a: { // LONG1
        const b = take(u8());
        let v = 0n;
        for (let i = b.length - 1; i >= 0; i--) v = (v << 8n) | BigInt(b[i]!);
        if (b.length && b[b.length - 1]! & 0x80) v -= 1n << BigInt(8 * b.length);
        stack.push(v >= BigInt(Number.MIN_SAFE_INTEGER) && v <= BigInt(Number.MAX_SAFE_INTEGER) ? Number(v) : v);
        break;
      }
      case 0x47: need(8); stack.push(view.getFloat64(pos, false)); pos += 8; break; // BINFLOAT (big-endian)
      case 0x4e: stack.push(null); break; // NONE
      case 0x88: stack.push(true); break; // NEWTRUE
      case 0x89: stack.push(false); break; // NEWFALSE
      case 0x74: stack.push(popMark()); break; // TUPLE
      case 0x85: stack.push([pop()]); break; // TUPLE1
      case 0x86: { const b = pop(); stack.push([pop(), b]); break; } // TUPLE2
      case 0x87: { const c = pop(); const b = pop(); stack.push([pop(), b, c]); break; } // TUPLE3
      case 0x6c: stack.push(popMark()); break; // LIST
      case 0x64: { const m = new Map(); setItems(m, popMark()); stack.push(m); break; } // DICT
      case 0x91: stack.push(new Set(popMark())); break; // FROZENSET
      case 0x30: pop(); break; // POP
      case 0x31: popMark(); break; // POP_MARK
      case 0x32: stack.push(top()); break; // DUP
      case 0x63: { // GLOBAL
        const module = line();
        stack.push(resolveGlobal(module, line()));
        break;
      }
      case 0x93: { // STACK_GLOBAL
        const name = pop();
        const module = pop();
        if (typeof name !== 'string' || typeof module !== 'string') throw new Error(`${src}: STACK_GLOBAL without names (byte ${at})`);
        stack.push(resolveGlobal(module, name));
        break;
      }
      case 0x52: { // REDUCE
        const args = pop();
        const f = pop();
        if (!(f instanceof PyGlobal) || !Array.isArray(args)) throw new Error(`${src}: REDUCE on something that is not a whitelisted global (byte ${at})`);
        stack.push(call(f, args, src));
        break;
      }
      case 0x81: { // NEWOBJ
        const args = pop();
        const cls = pop();
        if (!(cls instanceof PyGlobal) || !Array.isArray(args)) throw new Error(`${src}: NEWOBJ on something that is not a whitelisted class (byte ${at})`);
        if (cls.name.startsWith('torch._utils') || cls.name in STORAGES) throw new Error(`${src}: NEWOBJ on ${cls.name}`);
        stack.push(cls.name === 'collections.OrderedDict' ? new Map() : cls.name === '__builtin__.set' ? new Set() : new PyObject(cls.name));
        break;
      }
      case 0x62: { // BUILD
        let state = pop();
        const obj = top();
        if (Array.isArray(state) && state.length === 2) state = state[0] ?? state[1]; // (dict, slotstate)
        if (state === null) break;
        if (obj instanceof PyObject && state instanceof Map) for (const [k, v] of state) obj.dict.set(String(k), v);
        else if (obj instanceof Map && state instanceof Map && state.size === 0) break;
        else throw new Error(`${src}: BUILD with unsupported state on ${obj instanceof PyObject ? obj.cls : typeof obj} (byte ${at})`);
        break;
      }
      case 0x51: { // BINPERSID
        if (!opts.persistentLoad) throw new Error(`${src}: persistent id without a loader`);
        stack.push(opts.persistentLoad(pop()));
        break;
      }
      case 0x73: { const v = pop(); const k = pop(); setItems(top(), [k, v]); break; } // SETITEM
      case 0x75: { const items = popMark(); setItems(top(), items); break; } // SETITEMS
      case 0x61: { const v = pop(); const l = top(); if (!Array.isArray(l)) throw new Error(`${src}: APPEND to a non-list`); l.push(v); break; } // APPEND
      case 0x65: { const items = popMark(); const l = top(); if (!Array.isArray(l)) throw new Error(`${src}: APPENDS to a non-list`); l.push(...items); break; } // APPENDS
      case 0x90: { const items = popMark(); const s = top(); if (!(s instanceof Set)) throw new Error(`${src}: ADDITEMS to a non-set`); for (const i of items) s.add(i); break; } // ADDITEMS
      default:
        throw new Error(`${src}: unsupported pickle opcode 0x${op.toString(16).padStart(2, '0')} ('${String.fromCharCode(op)}') at byte ${at}`);
    }
  }
}

/** Half-precision bits → number. */
export function halfToFloat(h: number): number {
  const s = h & 0x8000 ? -1 : 1;
  const e = (h >> 10) & 0x1f;
  const m = h & 0x3ff;
  if (e === 0) return s * m * 2 ** -24;
  if (e === 31) return m ? NaN : s * Infinity;
  return s * (1 + m / 1024) * 2 ** (e - 15);
}
