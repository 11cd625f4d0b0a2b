// Shared by every package's tsup.config.ts: the browser build of a package's entry.
import { existsSync } from 'node:fs';
import path from 'node:path';

/**
 * esbuild plugin: a relative import `./x` inside `srcDir` resolves to `./x.browser.ts` where that file
 * exists, so a Node-only module has a browser twin with the same exports.
 */
export function browserSwaps(srcDir) {
  const src = path.resolve(srcDir);
  return {
    name: 'browser-swaps',
    setup(build) {
      build.onResolve({ filter: /^\.\.?\// }, (args) => {
        if (!args.resolveDir.startsWith(src)) return undefined;
        const swap = path.resolve(args.resolveDir, `${args.path}.browser.ts`);
        return existsSync(swap) ? { path: swap } : undefined;
      });
    },
  };
}

/** esbuild plugin: fails the browser build if anything Node-only (node:*, sharp, onnxruntime-node) is left in it. */
export function noNodeImports(srcDir, extra = []) {
  const src = path.resolve(srcDir);
  const names = ['fs', 'os', 'path', 'module', 'worker_threads', 'child_process', 'url', ...extra];
  const filter = new RegExp(`^node:|^(${names.map((n) => n.replace(/[/.-]/g, '\\$&')).join('|')})$`);
  return {
    name: 'no-node-imports',
    setup(build) {
      build.onResolve({ filter }, (args) => ({
        errors: [{ text: `browser build imports '${args.path}' from ${path.relative(src, args.importer)}: give that module a .browser.ts twin` }],
      }));
    },
  };
}

/**
 * tsup options of the browser build: `dist/browser.js` (ESM, no node:* imports, Node-only modules swapped
 * for their `.browser.ts` twins; `plugins`: more esbuild plugins). `entry` defaults to the package's `src/index.ts` (same API, same types).
 */
export function browserBuild({ entry = 'src/index.ts', dts = false, forbid = [], plugins = [] } = {}) {
  return {
    entry: { browser: entry },
    format: ['esm'],
    dts,
    clean: false,
    sourcemap: false,
    platform: 'browser',
    target: 'es2022',
    esbuildPlugins: [noNodeImports('src', forbid), browserSwaps('src'), ...plugins],
  };
}
