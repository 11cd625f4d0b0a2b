import { configsDirOf, ctor, registry, rules, type Plugin } from '@yolomods/core';
import { AKConv } from './akconv';

export { AKConv, initialOffsets } from './akconv';

/** Absolute path of the bundled YAMLs (`yolov8-AKConv.yaml`), from the ESM or the CJS build alike. */
export const configsDir: string = configsDirOf(typeof __dirname !== 'undefined' ? __dirname : undefined, import.meta.url);

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
