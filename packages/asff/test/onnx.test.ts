import { beforeAll, describe, it } from 'vitest';
import path from 'node:path';
import * as ort from 'onnxruntime-node';
import { assertClose, exportOnnx, initBackend, nchwToNhwc, parseModel, readCase, tf } from '@yolomods/core';
import { configsDir } from '../src/index';
import { fixture } from './fixtures';

describe('ONNX export of yolov8-ASFF', () => {
  beforeAll(async () => {
    await initBackend({ backend: 'wasm', log: false });
  });

  it('scale t runs in onnxruntime and matches the PyTorch reference and the TF.js forward', async () => {
    const c = readCase(fixture('models/model_yolov8-ASFF_t.safetensors'));
    const model = parseModel(path.join(configsDir, 'yolov8-ASFF.yaml'), { scale: 't', nc: 5 }).loadStateDict(c.weights).eval();
    const session = await ort.InferenceSession.create(exportOnnx(model, { imgsz: [96, 128], batch: 2 }));
    const input = c.inputs[0]!;
    const out = await session.run({ images: new ort.Tensor('float32', input.data as Float32Array, input.shape) });
    const y = out.output0!;
    const got = { dtype: 'float32' as const, shape: [...y.dims], data: y.data as Float32Array };
    assertClose(got, c.outputs[0]!, c.meta.tolerance.y, 'onnx y vs PyTorch');
    const ours = tf.tidy(() => tf.transpose(model.forward(nchwToNhwc(input) as tf.Tensor4D).y!, [0, 2, 1]));
    assertClose(got, { dtype: 'float32', shape: ours.shape, data: ours.dataSync() as Float32Array }, { atol: 2e-3, rtol: 1e-4 }, 'onnx y vs TF.js');
    ours.dispose();
    model.dispose();
  });
});
