import { defineConfig } from 'tsup';
import { browserBuild } from '../../scripts/tsup-browser.mjs';

export default defineConfig([
  { entry: ['src/index.ts'], format: ['esm', 'cjs'], dts: true, clean: ['!browser.js'], sourcemap: false, target: 'node20' },
  // Same API for pages (types: dist/index.d.ts); configsDir is '' there.
  browserBuild(),
]);
