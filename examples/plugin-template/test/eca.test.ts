import { beforeAll, describe, expect, it } from 'vitest';
import { fileURLToPath } from 'node:url';
import * as ort from 'onnxruntime-node';
import { checkModuleCase, exportOnnx, initBackend, parseModel, readCase, registry, tf, type BackendName } from '@yolomods/core';
import { ECA, configsDir } from '../src/index';

const fixture = fileURLToPath(new URL('./fixtures/eca_c16_k3.safetensors', import.meta.url));

for (const backend of ['cpu', 'wasm'] as BackendName[]) {
  describe(`ECA on ${backend}`, () => {
    beforeAll(async () => {
      await initBackend({ backend, log: false });
    });
    it('matches the PyTorch reference (forward; gradients where the backend trains)', () => {
      const report = checkModuleCase(readCase(fixture), new ECA(16, 3), { grads: backend === 'cpu' });
      expect(report.output).toBeLessThan(1e-4);
    });
    it('does not leak tensors', () => {
      const m = new ECA(16, 3);
      const x = tf.randomNormal([1, 4, 4, 16]) as tf.Tensor4D;
      tf.dispose(m.forward(x));
      const before = tf.memory().numTensors;
      for (let i = 0; i < 3; i++) tf.dispose(m.forward(x));
      expect(tf.memory().numTensors).toBe(before);
      x.dispose();
      m.dispose();
    });
  });
}

describe('ECA as a plugin', () => {
  beforeAll(async () => {
    await initBackend({ backend: 'wasm', log: false });
  });
  it('importing the package registers ECA with its channel rule', () => {
    expect(registry.get('ECA')?.package).toBe('yolomods-plugin-eca');
    const model = parseModel(`${configsDir}/yolov8-ECA.yaml`, { scale: 'n' });
    expect(model.layers[10]).toMatchObject({ type: 'ECA', args: [256, 3] });
    expect(model.countParameters().parameters).toBe(3_157_200 + 3);
    model.dispose();
  });
  it('exports to ONNX and runs in onnxruntime like the TF.js forward', async () => {
    const model = parseModel(`${configsDir}/yolov8-ECA.yaml`, { scale: 't', nc: 5 }).eval();
    const session = await ort.InferenceSession.create(exportOnnx(model, { imgsz: 64 }));
    const data = Float32Array.from({ length: 3 * 64 * 64 }, (_, i) => Math.sin(i) * 0.5 + 0.5);
    const out = await session.run({ images: new ort.Tensor('float32', data, [1, 3, 64, 64]) });
    const ours = tf.tidy(() => tf.transpose(model.forward(tf.transpose(tf.tensor(data, [1, 3, 64, 64]), [0, 2, 3, 1]) as tf.Tensor4D).y!, [0, 2, 1]).dataSync());
    const got = out.output0!.data as Float32Array;
    let max = 0;
    got.forEach((v, i) => (max = Math.max(max, Math.abs(v - ours[i]!) / (1 + Math.abs(ours[i]!)))));
    expect(max).toBeLessThan(1e-3);
    model.dispose();
  });
});
