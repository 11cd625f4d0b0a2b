import { configsDirOf, channelOf, ctor, registry, rules, type ChannelResult, type ParseContext, type Plugin } from '@yolomods/core';
import { ASFF } from './asff';
import { Detect_ASFF } from './detect-asff';

export { ASFF, type AsffWeights } from './asff';
export { Detect_ASFF } from './detect-asff';

const PKG = '@yolomods/asff';
const VERSION = '0.1.0';

/** Absolute path of the bundled YAMLs (`yolov8-ASFF.yaml`), from the ESM or the CJS build alike. */
export const configsDir: string = configsDirOf(typeof __dirname !== 'undefined' ? __dirname : undefined, import.meta.url);

/**
 * YAML rule of a stand-alone `ASFF`: `[[P3, P4, P5], 1, ASFF, [level, rfb?, vis?]]` → `ASFF(level, [c_P3, c_P4, c_P5], ...)`;
 * the output has the channels of the level it fuses to (0 = P5, 1 = P4, 2 = P3).
 */
export function asffChannels(ctx: ParseContext): ChannelResult {
  const f = Array.isArray(ctx.from) ? ctx.from : [ctx.from];
  if (f.length !== 3) throw new Error(`ASFF takes the three maps [P3, P4, P5] as 'from', got ${JSON.stringify(ctx.from)}`);
  const level = Number(ctx.args[0]);
  if (![0, 1, 2].includes(level)) throw new Error(`ASFF: first argument must be the level 0 (P5), 1 (P4) or 2 (P3), got ${JSON.stringify(ctx.args[0])}`);
  const chs = f.map((x) => channelOf(ctx.ch, x));
  return { c2: chs[2 - level]!, args: [level, chs, ...ctx.args.slice(1)], n: ctx.n };
}

// Created once so that registering again (another import, `registry.use`) sees the same builders.
const buildAsff = ctor(ASFF);
const buildDetectAsff = ctor(Detect_ASFF);

/** The plugin: registers `ASFF` and the `Detect_ASFF` head. */
export function asff(): Plugin {
  return {
    name: PKG,
    version: VERSION,
    register(r) {
      r.register({ name: 'ASFF', build: buildAsff, channels: asffChannels, package: PKG });
      r.register({ name: 'Detect_ASFF', build: buildDetectAsff, channels: rules.detect, head: true, package: PKG });
    },
  };
}

registry.use(asff());
