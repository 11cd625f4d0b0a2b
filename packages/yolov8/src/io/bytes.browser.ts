// Browser twin of bytes.ts: a path is a URL relative to the page.
import { fetchBytes, sourceName, type ByteSource } from './fetch';

export { type ByteSource };

/** Reads the bytes (a string or `URL` is fetched, relative to the page); errors name the source. */
export async function readBytes(src: ByteSource, what: string): Promise<Uint8Array> {
  try {
    if (src instanceof Uint8Array) return src;
    if (src instanceof ArrayBuffer) return new Uint8Array(src);
    if (src instanceof Blob) return new Uint8Array(await src.arrayBuffer());
    return await fetchBytes(src instanceof URL ? src.href : new URL(src, document.baseURI).href);
  } catch (e) {
    throw new Error(`${sourceName(src, what)}: cannot read: ${(e as Error).message}`);
  }
}
