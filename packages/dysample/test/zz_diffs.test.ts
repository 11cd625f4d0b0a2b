import { it } from 'vitest';
import { checkModuleCase, initBackend, readCase } from '@yolomods/core';
import { DySample } from '../src/index';
import { fixture } from './fixtures';
it('diffs', async () => {
  for (const backend of ['cpu', 'wasm'] as const) {
    await initBackend({ backend, log: false });
    for (const [name, args] of [['dysample_lp_c16_g4_s2', [16, 2, 'lp', 4, false]], ['dysample_lp_dyscope_c16_g4_s2', [16, 2, 'lp', 4, true]], ['dysample_pl_c16_g4_s2', [16, 2, 'pl', 4, false]]] as const) {
      const c = readCase(fixture(`modules/${name}.safetensors`));
      const m = new DySample(...(args as unknown as [number, number, 'lp', number, boolean]));
      const r = checkModuleCase(c, m) as Record<string, unknown>;
      console.log(backend, name, JSON.stringify(c.meta.tolerance), JSON.stringify(r));
      m.dispose();
    }
  }
});
