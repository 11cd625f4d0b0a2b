import { configsDirOf, ctor, registry, rules, type Plugin } from '@yolomods/core';
import { DySample } from './dysample';

export { DySample, type DySampleStyle } from './dysample';

/** Absolute path of the bundled YAMLs (`yolov8-DySample.yaml`), from the ESM or the CJS build alike. */
export const configsDir: string = configsDirOf(typeof __dirname !== 'undefined' ? __dirname : undefined, import.meta.url);

// Created once so that registering again (another import, `registry.use`) sees the same builder.
const buildDySample = ctor(DySample);

/** The plugin: registers `DySample` with the rule `c2 = ch[f]; args = [c2, ...args]`. */
export function dysample(): Plugin {
  return {
    name: '@yolomods/dysample',
    version: '0.1.0',
    register(r) {
      r.register({ name: 'DySample', build: buildDySample, channels: rules.inputChannels, package: '@yolomods/dysample' });
    },
  };
}

registry.use(dysample());
