/** Browser file access: there is no file system, so every path names what to pass instead. */
function noFiles(path: string): never {
  throw new Error(`cannot read '${path}' in a browser: fetch it and pass its text or bytes instead`);
}

/** Browser stand-in for the Node file access in `files.ts`: each call throws, naming the path. */
export const files = {
  /** Throws: a browser has no file system. */
  exists: (path: string): boolean => noFiles(path),
  /** Throws: a browser has no file system. */
  readBytes: (path: string): Uint8Array => noFiles(path),
  /** Throws: a browser has no file system. */
  readText: (path: string): string => noFiles(path),
};
