import { existsSync, readFileSync, rmSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Registry, registerStandardBlocks, registry, tf } from '@yolomods/core';
import { Results, YOLO, loadCheckpoint } from '@yolomods/yolov8';
import { SE, registerSE, runExample, seYaml, type ExampleOutput } from '../src/index';

// 256 channels after SPPF at scale n, r = 16: fc.0 [16, 256] + fc.2 [256, 16], no biases.
const SE_PARAMS = 2 * 256 * 16;

describe('examples/custom-block: SE registered in user code, trained and used for prediction', () => {
  let out: ExampleOutput;
  beforeAll(async () => {
    out = await runExample({ log: () => {} });
  }, 120_000);
  afterAll(() => {
    out?.reloaded.dispose();
    if (out) rmSync(out.dir, { recursive: true, force: true });
  });

  it('registers SE on the shared registry with its channel rule (idempotently)', () => {
    const def = registry.get('SE');
    expect(def?.package).toBe('@yolomods/example-custom-block');
    expect(() => registerSE()).not.toThrow();
    expect(def!.channels({ index: 10, from: -1, ch: [3, 64, 256], args: [16], n: 1, width: 0.25, depth: 0.33, maxChannels: 1024, nc: 2 })).toEqual({ c2: 256, args: [256, 16], n: 1 });
  });

  it('builds SE into yolov8n after SPPF with the expected channels and parameters', async () => {
    const m = out.reloaded.model;
    expect(m.layers[9]!.type).toBe('SPPF');
    expect(m.layers[10]).toMatchObject({ index: 10, from: -1, type: 'SE', args: [256, 16], params: SE_PARAMS });
    const se = m.model.items[10];
    expect(se).toBeInstanceOf(SE);
    expect((se as SE).hidden).toBe(16);
    // The renumbered head: P5 concat takes SE's output, Detect takes layers 16, 19, 22.
    expect(m.layers[21]).toMatchObject({ type: 'Concat', from: [-1, 10] });
    expect(m.layers[23]).toMatchObject({ type: 'Detect', from: [16, 19, 22] });
    const sd = m.stateDict();
    expect(sd['model.10.fc.0.weight']!.shape).toEqual([16, 256]);
    expect(sd['model.10.fc.2.weight']!.shape).toEqual([256, 16]);
    // Exactly SE's parameters on top of the stock yolov8n (same nc); 6 more PyTorch modules (SE, fc, 2 Linear, ReLU, Sigmoid).
    const base = await YOLO.create({ model: 'yolov8n.yaml', nc: 2 });
    const b = base.info({ imgsz: 64 });
    base.dispose();
    expect(out.info.parameters).toBe(b.parameters + SE_PARAMS);
    expect(out.info.gradients).toBe(b.gradients + SE_PARAMS);
    expect(out.info.layers).toBe(b.layers + 6);
    expect(out.info.summary).toMatch(/^yolov8n-SE summary: /);
  });

  it('trains: finite losses, last and best checkpoints that carry the SE YAML and weights', () => {
    expect(out.losses).toHaveLength(2);
    for (const l of out.losses) {
      expect(l).toHaveLength(3);
      for (const v of l) {
        expect(Number.isFinite(v)).toBe(true);
        expect(v).toBeGreaterThan(0);
      }
    }
    expect(existsSync(out.train.last)).toBe(true);
    expect(existsSync(out.train.best)).toBe(true);
    const ck = loadCheckpoint(out.train.best);
    expect(JSON.stringify(ck.meta.model.yaml)).toContain('"SE"');
    expect(ck.tensors['model.10.fc.0.weight']?.shape).toEqual([16, 256]);
    const csv = readFileSync(`${out.train.saveDir}/results.csv`, 'utf8').trim().split('\n');
    expect(csv).toHaveLength(3);
  });

  it('rebuilds from the checkpoint and predicts: one Results per image', () => {
    expect(out.reloaded.names).toEqual(['rectangle', 'ellipse']);
    expect(out.results).toHaveLength(4);
    for (const r of out.results) {
      expect(r).toBeInstanceOf(Results);
      expect(r.origShape).toEqual([64, 64]);
      const n = r.boxes.conf.length;
      expect(r.boxes.xyxy).toHaveLength(n);
      expect(r.boxes.cls).toHaveLength(n);
      for (const c of r.boxes.conf) expect(c).toBeGreaterThanOrEqual(0.01);
      for (const c of r.boxes.cls) expect([0, 1]).toContain(c);
    }
  });

  it('exports to ONNX (SE has toOnnx)', () => {
    const bytes = out.reloaded.export({ format: 'onnx', imgsz: 64 });
    expect(bytes.length).toBeGreaterThan(100_000);
  });

  it('a registry without SE names the layer and the module', async () => {
    const bare = registerStandardBlocks(new Registry());
    await expect(YOLO.create({ model: seYaml, registry: bare, discover: false })).rejects.toThrow(/layer 10: unknown module 'SE'/);
    expect(tf.getBackend()).toBe('wasm');
  });
});
