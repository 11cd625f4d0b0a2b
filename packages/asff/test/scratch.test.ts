import { describe, it } from 'vitest';
import { checkModuleCase, initBackend, readCase } from '@yolomods/core';
import { ASFF, Detect_ASFF } from '../src/index';
import { fixture } from './fixtures';

describe('timing', () => {
  it('cases', async () => {
    for (const backend of ['wasm', 'cpu'] as const) {
      await initBackend({ backend, log: false });
      for (const level of [2, 1, 0]) {
        const t0 = performance.now();
        const r = checkModuleCase(readCase(fixture(`modules/asffv5_level${level}_m0.125.safetensors`)), new ASFF(level, [32, 64, 128]), { grads: backend === 'cpu' });
        const mx = Math.max(...Object.values(r));
        console.log(backend, level, (performance.now() - t0).toFixed(0), 'ms', r.output, mx);
      }
      const t0 = performance.now();
      const d = new Detect_ASFF(5, [32, 64, 128]);
      d.stride = [8, 16, 32];
      const r = checkModuleCase(readCase(fixture('modules/detect_asff_nc5_ch32_64_128.safetensors')), d, { grads: backend === 'cpu' });
      console.log(backend, 'detect', (performance.now() - t0).toFixed(0), 'ms', r['output.0'], Math.max(...Object.values(r)));
    }
  });
});
