import type { HostTensor, TensorMap } from '../tensor';

/** Element types the reader understands (F16/BF16 widen to float32, I64/I32 narrow to int32). */
export type SafetensorsDtype = 'F32' | 'F16' | 'BF16' | 'I64' | 'I32';

/** Parsed safetensors file: tensors and the `__metadata__` string map. */
export interface SafetensorsFile {
  /** Tensors by name. */
  tensors: TensorMap;
  /** String metadata (may be empty). */
  metadata: Record<string, string>;
}

function f16ToF32(h: number): number {
  const s = h & 0x8000 ? -1 : 1;
  const e = (h >> 10) & 0x1f;
  const m = h & 0x3ff;
  if (e === 0) return s * m * 2 ** -24;
  if (e === 31) return m ? NaN : s * Infinity;
  return s * (1 + m / 1024) * 2 ** (e - 15);
}

const f32 = new Float32Array(1);
const u32 = new Uint32Array(f32.buffer);

function f32ToF16(v: number): number {
  f32[0] = v;
  const x = u32[0]!;
  const sign = (x >>> 16) & 0x8000;
  const exp = (x >>> 23) & 0xff;
  let mant = x & 0x7fffff;
  if (exp === 0xff) return sign | 0x7c00 | (mant ? 0x200 : 0);
  let e = exp - 127 + 15;
  if (e >= 31) return sign | 0x7c00;
  if (e <= 0) {
    if (e < -10) return sign;
    mant |= 0x800000;
    const shift = 14 - e;
    let half = mant >> shift;
    const rem = mant & ((1 << shift) - 1);
    const mid = 1 << (shift - 1);
    if (rem > mid || (rem === mid && half & 1)) half++;
    return sign | half;
  }
  let half = sign | (e << 10) | (mant >> 13);
  const rem = mant & 0x1fff;
  if (rem > 0x1000 || (rem === 0x1000 && half & 1)) half++;
  return half;
}

/** Reads a safetensors file (all tensors, with metadata). Throws naming the tensor at fault. */
export function parseSafetensors(bytes: Uint8Array, source = 'safetensors'): SafetensorsFile {
  if (bytes.byteLength < 8) throw new Error(`${source}: too short to be a safetensors file`);
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const n = Number(view.getBigUint64(0, true));
  if (n <= 0 || 8 + n > bytes.byteLength) throw new Error(`${source}: header length ${n} exceeds the file (${bytes.byteLength} bytes)`);
  let header: Record<string, { dtype: string; shape: number[]; data_offsets: [number, number] } | Record<string, string>>;
  try {
    header = JSON.parse(new TextDecoder().decode(bytes.subarray(8, 8 + n)));
  } catch (e) {
    throw new Error(`${source}: header is not valid JSON (${(e as Error).message})`);
  }
  const base = 8 + n;
  const tensors: TensorMap = {};
  let metadata: Record<string, string> = {};
  for (const [name, info] of Object.entries(header)) {
    if (name === '__metadata__') {
      metadata = info as Record<string, string>;
      continue;
    }
    const { dtype, shape, data_offsets } = info as { dtype: string; shape: number[]; data_offsets: [number, number] };
    const [b, e] = data_offsets;
    if (base + e > bytes.byteLength || b > e) throw new Error(`${source}: tensor '${name}' lies outside the file`);
    const count = shape.reduce((p, d) => p * d, 1);
    const raw = new DataView(bytes.buffer, bytes.byteOffset + base + b, e - b);
    const width = { F32: 4, F16: 2, BF16: 2, I64: 8, I32: 4 }[dtype];
    if (!width) throw new Error(`${source}: tensor '${name}' has unsupported dtype ${dtype}`);
    if (count * width !== e - b) throw new Error(`${source}: tensor '${name}' has ${e - b} bytes for shape [${shape.join(', ')}] of ${dtype}`);
    let t: HostTensor;
    if (dtype === 'I64' || dtype === 'I32') {
      const data = new Int32Array(count);
      for (let i = 0; i < count; i++) data[i] = dtype === 'I64' ? Number(raw.getBigInt64(i * 8, true)) : raw.getInt32(i * 4, true);
      t = { dtype: 'int32', shape, data };
    } else {
      const data = new Float32Array(count);
      if (dtype === 'F32') for (let i = 0; i < count; i++) data[i] = raw.getFloat32(i * 4, true);
      else if (dtype === 'F16') for (let i = 0; i < count; i++) data[i] = f16ToF32(raw.getUint16(i * 2, true));
      else {
        for (let i = 0; i < count; i++) {
          u32[0] = raw.getUint16(i * 2, true) << 16;
          data[i] = f32[0]!;
        }
      }
      t = { dtype: 'float32', shape, data };
    }
    tensors[name] = t;
  }
  return { tensors, metadata };
}

/** Reads the tensors of a safetensors file (PyTorch keys and layouts). */
export function readSafetensors(bytes: Uint8Array): TensorMap {
  return parseSafetensors(bytes).tensors;
}

/** Options of {@link writeSafetensors}. */
export interface WriteSafetensorsOptions {
  /** `__metadata__` string map. */
  metadata?: Record<string, string>;
  /** Storage type for float tensors (default F32). */
  floatDtype?: 'F32' | 'F16' | 'BF16';
}

/** Serialises tensors (int32 data is stored as I64, as PyTorch would) to safetensors bytes. */
export function writeSafetensors(tensors: TensorMap, opts: WriteSafetensorsOptions = {}): Uint8Array {
  const fdt = opts.floatDtype ?? 'F32';
  const header: Record<string, unknown> = {};
  if (opts.metadata) header.__metadata__ = opts.metadata;
  let offset = 0;
  const names = Object.keys(tensors);
  const layout = names.map((name) => {
    const t = tensors[name]!;
    const dtype = t.dtype === 'int32' ? 'I64' : fdt;
    const width = dtype === 'I64' ? 8 : dtype === 'F32' ? 4 : 2;
    const bytes = t.data.length * width;
    header[name] = { dtype, shape: t.shape, data_offsets: [offset, offset + bytes] };
    offset += bytes;
    return { t, dtype, start: offset - bytes };
  });
  let json = JSON.stringify(header);
  json += ' '.repeat((8 - (json.length % 8)) % 8);
  const hb = new TextEncoder().encode(json);
  const out = new Uint8Array(8 + hb.length + offset);
  const view = new DataView(out.buffer);
  view.setBigUint64(0, BigInt(hb.length), true);
  out.set(hb, 8);
  const base = 8 + hb.length;
  for (const { t, dtype, start } of layout) {
    const at = base + start;
    for (let i = 0; i < t.data.length; i++) {
      const v = t.data[i]!;
      if (dtype === 'I64') view.setBigInt64(at + i * 8, BigInt(Math.trunc(v)), true);
      else if (dtype === 'F32') view.setFloat32(at + i * 4, v, true);
      else if (dtype === 'F16') view.setUint16(at + i * 2, f32ToF16(v), true);
      else {
        f32[0] = v;
        // Round to nearest even on the dropped 16 bits.
        const x = u32[0]!;
        view.setUint16(at + i * 2, ((x + 0x7fff + ((x >>> 16) & 1)) >>> 16) & 0xffff, true);
      }
    }
  }
  return out;
}
