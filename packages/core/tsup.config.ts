import { existsSync } from 'node:fs';
import path from 'node:path';
import { defineConfig, type Options } from 'tsup';

const src = path.resolve('src');

/** The browser build: a relative import `./x` inside src resolves to `./x.browser.ts` where that file exists. */
const browserSwaps: NonNullable<Options['esbuildPlugins']>[number] = {
  name: 'browser-swaps',
  setup(build) {
    build.onResolve({ filter: /^\.\.?\// }, (args) => {
      if (!args.resolveDir.startsWith(src)) return undefined;
      const swap = path.resolve(args.resolveDir, `${args.path}.browser.ts`);
      return existsSync(swap) ? { path: swap } : undefined;
    });
  },
};

/** Fails the browser build if anything Node-only is left in it. */
const noNodeImports: NonNullable<Options['esbuildPlugins']>[number] = {
  name: 'no-node-imports',
  setup(build) {
    build.onResolve({ filter: /^node:|^(fs|os|path|module|worker_threads|child_process|url)$/ }, (args) => ({
      errors: [{ text: `browser build imports '${args.path}' from ${path.relative(src, args.importer)}: give that module a .browser.ts twin` }],
    }));
  },
};

export default defineConfig([
  {
    entry: ['src/index.ts'],
    format: ['esm', 'cjs'],
    dts: true,
    // The two builds run at once: this clean must not remove what the browser build writes.
    clean: ['!browser.js'],
    sourcemap: false,
    target: 'node20',
  },
  {
    // Same API as the Node entry (its types are dist/index.d.ts); Node-only modules swapped for their .browser.ts twins.
    entry: { browser: 'src/index.ts' },
    format: ['esm'],
    dts: false,
    clean: false,
    sourcemap: false,
    platform: 'browser',
    target: 'es2022',
    esbuildPlugins: [noNodeImports, browserSwaps],
  },
]);
