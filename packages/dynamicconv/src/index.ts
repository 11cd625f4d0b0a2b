import { configsDirOf, ctor, registry, rules, type Plugin } from '@yolomods/core';
import { DynamicConv } from './dynamic-conv';
import { C2f_DynamicConv } from './ghost';

export { DynamicConv, CondConv2d, timmPadding } from './dynamic-conv';
export { GhostModule, C2f_DynamicConv } from './ghost';

/** Absolute path of the bundled YAMLs (`yolov8-DynamicConv.yaml`, `yolov8-C2f-DynamicConv.yaml`). */
export const configsDir: string = configsDirOf(typeof __dirname !== 'undefined' ? __dirname : undefined, import.meta.url);

// Created once so that registering again (another import, `registry.use`) sees the same builders.
const buildDynamicConv = ctor(DynamicConv);
const buildC2fDynamicConv = ctor(C2f_DynamicConv);

/** The plugin: `DynamicConv` (Conv's rule) and `C2f_DynamicConv` / `C2f_GhostModule_DynamicConv` (C2f's rule). */
export function dynamicconv(): Plugin {
  return {
    name: '@yolomods/dynamicconv',
    version: '0.1.0',
    register(r) {
      r.register({ name: 'DynamicConv', build: buildDynamicConv, channels: rules.conv, package: '@yolomods/dynamicconv' });
      r.register({ name: 'C2f_DynamicConv', aliases: ['C2f_GhostModule_DynamicConv'], build: buildC2fDynamicConv, channels: rules.repeated, package: '@yolomods/dynamicconv' });
    },
  };
}

registry.use(dynamicconv());
