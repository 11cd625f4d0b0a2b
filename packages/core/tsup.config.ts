import path from 'node:path';
import { defineConfig } from 'tsup';
import { browserBuild } from '../../scripts/tsup-browser.mjs';

/** In the browser build, the tfjs union package is replaced by tfjs-core + gradients + cpu + webgl (src/tfjs.browser-lean.ts). */
const leanTfjs = {
  name: 'lean-tfjs',
  setup(build: { onResolve: (o: { filter: RegExp }, cb: () => { path: string }) => void }) {
    build.onResolve({ filter: /^@tensorflow\/tfjs$/ }, () => ({ path: path.resolve('src/tfjs.browser-lean.ts') }));
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
  // Same API as the Node entry (its types are dist/index.d.ts); Node-only modules swapped for their .browser.ts twins.
  { ...browserBuild({ plugins: [leanTfjs] }), noExternal: ['@tensorflow/tfjs'] },
]);
