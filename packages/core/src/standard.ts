import type { Module } from './module';
import { Registry, rules } from './registry';
import { Conv, DWConv } from './blocks/conv';
import { Bottleneck, C2f, SPPF } from './blocks/c2f';
import { Detect } from './blocks/detect';
import { Concat, Upsample } from './nn/layers';

/* eslint-disable @typescript-eslint/no-explicit-any */
const PKG = '@yolomods/core';

/** A builder that calls a block's constructor with the rule's args. */
export function ctor(C: new (...args: any[]) => Module): (...args: never[]) => Module {
  return (...args: never[]) => new C(...args);
}

/** Registers the standard YOLOv8 blocks into a registry. */
export function registerStandardBlocks(r: Registry): Registry {
  return r
    .register({ name: 'Conv', build: ctor(Conv), channels: rules.conv, package: PKG })
    .register({ name: 'DWConv', build: ctor(DWConv), channels: rules.conv, package: PKG })
    .register({ name: 'Bottleneck', build: ctor(Bottleneck), channels: rules.conv, package: PKG })
    .register({ name: 'C2f', build: ctor(C2f), channels: rules.repeated, package: PKG })
    .register({ name: 'SPPF', build: ctor(SPPF), channels: rules.conv, package: PKG })
    .register({ name: 'Concat', build: ctor(Concat), channels: rules.concat, package: PKG })
    .register({ name: 'Upsample', aliases: ['nn.Upsample'], build: ctor(Upsample), channels: rules.same, package: PKG })
    .register({ name: 'Detect', build: ctor(Detect), channels: rules.detect, head: true, package: PKG });
}

/** The shared registry: standard blocks, plus whatever plugins register on import or via `use`. */
export const registry: Registry = registerStandardBlocks(new Registry());

export { Registry };
