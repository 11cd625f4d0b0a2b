import path from 'node:path';
import { fileURLToPath } from 'node:url';

/**
 * The `configs` folder beside a package's built module: `__dirname` where it exists (CJS), else
 * `import.meta.url` (ESM; empty in a CJS build, hence both). In the browser build it returns '' (there is no folder; import a YAML with your bundler).
 */
export function configsDirOf(moduleDir: string | undefined, moduleUrl: string | undefined): string {
  if (moduleDir !== undefined) return path.join(moduleDir, '../configs');
  if (moduleUrl === undefined) throw new Error('configsDirOf: give __dirname or import.meta.url');
  return fileURLToPath(new URL('../configs', moduleUrl));
}
