import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { ctor, registry, rules, type Plugin } from '@yolomods/core';
import { ECA } from './eca';

export { ECA } from './eca';

/** Folder of this plugin's bundled model YAMLs (found by @yolomods/yolov8 by name). */
export const configsDir: string =
  typeof __dirname !== 'undefined' ? path.join(__dirname, '../configs') : fileURLToPath(new URL('../configs/', import.meta.url));

// One builder for the life of the module, so registering twice (import + plugins option) is a no-op.
const buildECA = ctor(ECA);

/** The plugin object: `registry.use(eca())` registers `ECA` with its YAML channel rule. */
export function eca(): Plugin {
  return {
    name: 'yolomods-plugin-eca',
    version: '0.1.0',
    register(r) {
      // YAML `- [-1, 1, ECA, [3]]` → ECA(c_in, 3); output channels = input channels.
      r.register({ name: 'ECA', build: buildECA, channels: rules.inputChannels, package: 'yolomods-plugin-eca' });
    },
  };
}

registry.use(eca());
