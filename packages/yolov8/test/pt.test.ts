import { describe, expect, it } from 'vitest';
import { existsSync, readFileSync, rmSync } from 'node:fs';
import { assertClose, initBackend, nhwcToNchw, parseModel, readSafetensors, tf } from '@yolomods/core';
import { loadPt } from '../src/weights/pt';
import { unpickle } from '../src/weights/pickle';
import { fixture } from './helpers';

const ck = (f: string) => readFileSync(fixture(`checkpoints/${f}`));
const expected = readSafetensors(ck('yolov8t-nc5-ultralytics.expected.safetensors'));

describe('loadPt (safe ultralytics .pt reader)', () => {
  for (const [file, from] of [['yolov8t-nc5-ultralytics.pt', 'model'], ['yolov8t-nc5-ultralytics-last.pt', 'ema']] as const) {
    it(`${file}: every weight equals the expected fp16 values exactly (from '${from}')`, () => {
      const c = loadPt(ck(file), { source: file });
      expect(c.from).toBe(from);
      expect(c.nc).toBe(5);
      expect(c.names).toEqual(['person', 'bicycle', 'car', 'motorcycle', 'bus']);
      expect(c.yaml.scale).toBe('t');
      const keys = Object.keys(expected).filter((k) => k.startsWith('weights.')).map((k) => k.slice(8));
      const got = Object.keys(c.stateDict).filter((k) => !k.endsWith('num_batches_tracked'));
      expect(got.sort()).toEqual(keys.sort());
      for (const k of keys) {
        expect(c.stateDict[k]!.shape, k).toEqual(expected[`weights.${k}`]!.shape);
        expect(Buffer.from(new Float32Array(c.stateDict[k]!.data).buffer).equals(Buffer.from(expected[`weights.${k}`]!.data.buffer)), k).toBe(true);
      }
    });
  }

  it('a model rebuilt from the checkpoint yaml reproduces the reference outputs', async () => {
    await initBackend({ backend: 'wasm', log: false });
    const c = loadPt(ck('yolov8t-nc5-ultralytics-last.pt'));
    const model = parseModel(c.yaml, { nc: c.nc, warn: () => {} });
    model.loadStateDict(c.stateDict).eval();
    const inp = expected.input!;
    const x = tf.tidy(() => tf.transpose(tf.tensor(inp.data, inp.shape), [0, 2, 3, 1])) as tf.Tensor4D;
    const { y, feats } = model.forward(x);
    tf.tidy(() => {
      assertClose(tf.transpose(y!, [0, 2, 1]), expected['output.0']!, { atol: 0.02, rtol: 1e-3 }, 'y');
      feats.forEach((f, i) => assertClose(nhwcToNchw(f), expected[`output.${i + 1}`]!, { atol: 9e-4, rtol: 1e-3 }, `raw.${i}`));
    });
    tf.dispose([x, y!, ...feats]);
    model.dispose();
  });

  it('refuses hostile pickles at the global, before anything runs', () => {
    rmSync('/tmp/pwned', { force: true });
    expect(() => loadPt(ck('malicious-os-system.pt'))).toThrow(/'os\.system'/);
    expect(() => loadPt(ck('malicious-builtins-eval.pt'))).toThrow(/'builtins\.eval'/);
    expect(() => loadPt(ck('malicious-stack-global.pt'))).toThrow(/'posix\.system'/);
    expect(existsSync('/tmp/pwned')).toBe(false);
  });

  it('truncated file and unknown opcodes fail cleanly', () => {
    expect(() => loadPt(ck('truncated.pt'), { source: 'truncated.pt' })).toThrow(/truncated\.pt: not a readable PyTorch zip/);
    expect(() => unpickle(Uint8Array.from([0x80, 0x02, 0x69]))).toThrow(/opcode 0x69 \('i'\)/);
    expect(() => unpickle(Uint8Array.from([0x80, 0x02, 0x4e]))).toThrow(/truncated/);
  });
});
