/** Something bytes can be read from: a path or http(s) URL, a `URL`, bytes, or a `Blob`/`File`. */
export type ByteSource = string | URL | ArrayBuffer | Uint8Array | Blob;

/** A name for messages: the path/URL, the file's name, or what the bytes are. */
export function sourceName(src: ByteSource, what: string): string {
  if (typeof src === 'string') return src;
  if (src instanceof URL) return src.href;
  if (typeof Blob !== 'undefined' && src instanceof Blob) return (src as Blob & { name?: string }).name || `${what} blob`;
  return what;
}

/** GETs a URL's body; a non-2xx status is an error. */
export async function fetchBytes(url: string): Promise<Uint8Array> {
  const res = await fetch(url);
  if (!res.ok) throw new Error(`HTTP ${res.status} ${res.statusText}`);
  return new Uint8Array(await res.arrayBuffer());
}
