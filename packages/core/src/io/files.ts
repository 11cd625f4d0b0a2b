import { existsSync, readFileSync } from 'node:fs';

/** Node file access; the browser build swaps this module for `files.browser.ts`. */
export const files = {
  /** True when the path exists. */
  exists: (path: string): boolean => existsSync(path),
  /** The file's bytes. */
  readBytes: (path: string): Uint8Array => readFileSync(path),
  /** The file as UTF-8 text. */
  readText: (path: string): string => readFileSync(path, 'utf8'),
};
