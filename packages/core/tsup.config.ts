import { defineConfig } from 'tsup';
import { browserBuild } from '../../scripts/tsup-browser.mjs';

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
  browserBuild(),
]);
