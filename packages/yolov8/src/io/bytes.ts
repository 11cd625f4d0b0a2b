import { readFileSync } from 'node:fs';
import { fetchBytes, sourceName, type ByteSource } from './fetch';

export { type ByteSource };

/** Reads the bytes (a path from disk, an http(s) URL by fetch); errors name the source. */
export async function readBytes(src: ByteSource, what: string): Promise<Uint8Array> {
  try {
    if (src instanceof Uint8Array) return src;
    if (src instanceof ArrayBuffer) return new Uint8Array(src);
    if (typeof src !== 'string' && !(src instanceof URL)) return new Uint8Array(await src.arrayBuffer());
    const s = src instanceof URL ? src.href : src;
    if (/^(https?|data|blob):/i.test(s)) return await fetchBytes(s);
    return new Uint8Array(readFileSync(s.startsWith('file:') ? new URL(s) : s));
  } catch (e) {
    throw new Error(`${sourceName(src, what)}: cannot read: ${(e as Error).message}`);
  }
}
