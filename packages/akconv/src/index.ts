import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { ctor, registry, rules, type Plugin } from '@yolomods/core';
import { AKConv } from './akconv';

export { AKConv, initialOffsets } from './akconv';

/** Absolute path of the bundled YAMLs (`yolov8-AKConv.yaml`), from the ESM or the CJS build alike. */
export const configsDir: string =
  typeof __dirname !== 'undefined' ? path.join(__dirname, '../configs') : fileURLToPath(new URL('../configs', import.meta.url));

// Created once so that registering again (another import, `registry.use`) sees the same builder.
const buildAKConv = ctor(AKConv);

/** The plugin: registers `AKConv` with Conv's rule (`[c2, num_param, stride]` → `[c1, c2', num_param, stride]`). */
export function akconv(): Plugin {
  return {
    name: '@yolomods/akconv',
    version: '0.1.0',
    register(r) {
      r.register({ name: 'AKConv', build: buildAKConv, channels: rules.conv, package: '@yolomods/akconv' });
    },
  };
}

registry.use(akconv());
