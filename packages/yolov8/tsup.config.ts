import { defineConfig } from 'tsup';
import { browserBuild } from '../../scripts/tsup-browser.mjs';

export default defineConfig([
  // onnxruntime-node is optional: tsup does not treat optionalDependencies as external by itself.
  { entry: ['src/index.ts'], format: ['esm', 'cjs'], dts: true, clean: ['!browser.*'], sourcemap: false, target: 'node20', external: ['onnxruntime-node'] },
  // The bin imports the package by name, so it shares the built entry instead of bundling a second copy.
  { entry: { cli: 'src/bin.ts' }, format: ['esm'], dts: false, sourcemap: false, target: 'node20', external: ['@yolomods/yolov8'] },
  // The page API (its own, smaller entry and types): nothing from Node, sharp or onnxruntime-node may reach it.
  browserBuild({ entry: 'src/browser.ts', dts: true, forbid: ['sharp', 'onnxruntime-node', 'cli-progress'] }),
]);
