import { configsDirOf, ctor, registry, rules, type Plugin } from '@yolomods/core';
import { DAttention } from './dattention';

export { DAttention, type DAttentionOptions } from './dattention';
export { LayerNormProxy } from './layers';

const PKG = '@yolomods/dat';
const VERSION = '0.1.0';

/** Absolute path of the bundled YAMLs (`yolov8-DAttention.yaml`), from the ESM or the CJS build alike. */
export const configsDir: string = configsDirOf(typeof __dirname !== 'undefined' ? __dirname : undefined, import.meta.url);

// Created once so that registering again (another import, `registry.use`) sees the same builder.
const buildDAttention = ctor(DAttention);

/** The plugin: registers `DAttention` (alias `DAttentionBaseline`); YAML `[-1, 1, DAttention, []]` → `DAttention(c1)`. */
export function dat(): Plugin {
  return {
    name: PKG,
    version: VERSION,
    register(r) {
      r.register({ name: 'DAttention', aliases: ['DAttentionBaseline'], build: buildDAttention, channels: rules.inputChannels, package: PKG });
    },
  };
}

registry.use(dat());
