import { beforeAll, describe, expect, it } from 'vitest';
import { checkModuleCase, initBackend, readCase, type BackendName } from '@yolomods/core';
import { DAttention } from '../src/index';
import { fixture } from './fixtures';

for (const backend of ['cpu', 'wasm'] as BackendName[]) {
  describe(`DAttention on ${backend}`, () => {
    beforeAll(async () => {
      await initBackend({ backend, log: false });
    });

    it('DAttention(32) matches DAttentionBaseline(q_size=32) on 2x32x6x8: output, input and parameter gradients', () => {
      const r = checkModuleCase(readCase(fixture('modules/dattention_c32_6x8.safetensors')), new DAttention(32));
      expect(Object.keys(r)).toEqual(
        expect.arrayContaining(['output', 'grad.input', 'grad.weights.conv_offset.3.weight', 'grad.weights.conv_offset.1.norm.weight', 'grad.weights.rpe_table.bias']),
      );
      console.log(backend, JSON.stringify(r));
    });
  });
}
