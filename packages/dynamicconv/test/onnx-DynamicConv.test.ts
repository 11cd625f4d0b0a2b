import { beforeAll, describe, it } from 'vitest';
import path from 'node:path';
import * as ort from 'onnxruntime-node';
import { assertClose, exportOnnx, initBackend, parseModel, readCase } from '@yolomods/core';
import { configsDir } from '../src/index';
import { fixture } from './fixtures';

describe('ONNX export of yolov8-DynamicConv', () => {
  beforeAll(async () => {
    await initBackend({ backend: 'wasm', log: false });
  });
  it('scale t runs in onnxruntime and matches the PyTorch reference', async () => {
    const c = readCase(fixture('models/model_yolov8-DynamicConv_t.safetensors'));
    const model = parseModel(path.join(configsDir, 'yolov8-DynamicConv.yaml'), { scale: 't', nc: 5 }).loadStateDict(c.weights).eval();
    const session = await ort.InferenceSession.create(exportOnnx(model, { imgsz: [96, 128], batch: 2 }));
    const out = await session.run({ images: new ort.Tensor('float32', c.inputs[0]!.data as Float32Array, c.inputs[0]!.shape) });
    assertClose({ dtype: 'float32', shape: [...out.output0!.dims], data: out.output0!.data as Float32Array }, c.outputs[0]!, c.meta.tolerance.y, 'onnx y');
    model.dispose();
  });
});
