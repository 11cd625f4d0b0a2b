import { beforeAll, describe, expect, it } from 'vitest';
import * as ort from 'onnxruntime-node';
import { assertClose, exportOnnx, initBackend, parseModel, readCase, tf } from '../src/index';
import { ModelProto } from '../src/onnx/schema';
import { Conv } from '../src/blocks/conv';
import { config, fixture } from './fixtures';

describe('ONNX export', () => {
  beforeAll(async () => {
    await initBackend({ backend: 'wasm', log: false });
  });

  it('yolov8 at scale t runs in onnxruntime and matches the PyTorch reference and the TF.js forward', async () => {
    const c = readCase(fixture('models/model_yolov8_t.safetensors'));
    const model = parseModel(config('yolov8', 'yolov8.yaml'), { scale: 't', nc: 5 }).loadStateDict(c.weights).eval();
    const bytes = exportOnnx(model, { imgsz: [96, 128], batch: 2 });
    const session = await ort.InferenceSession.create(bytes);
    expect(session.inputNames).toEqual(['images']);
    expect(session.outputNames).toEqual(['output0']);
    const input = c.inputs[0]!;
    const out = await session.run({ images: new ort.Tensor('float32', input.data as Float32Array, input.shape) });
    const y = out.output0!;
    expect(y.dims).toEqual([2, 9, 252]);
    const got = { dtype: 'float32' as const, shape: [...y.dims], data: y.data as Float32Array };
    assertClose(got, c.outputs[0]!, c.meta.tolerance.y, 'onnx y vs PyTorch');
    const ours = tf.tidy(() => {
      const r = model.forward(tf.transpose(tf.tensor(input.data, input.shape), [0, 2, 3, 1]) as tf.Tensor4D);
      return tf.transpose(r.y!, [0, 2, 1]);
    });
    assertClose(got, { dtype: 'float32', shape: ours.shape, data: ours.dataSync() as Float32Array }, { atol: 2e-3, rtol: 1e-4 }, 'onnx y vs TF.js');
    ours.dispose();
    model.dispose();
  });

  it('exports no Split in C2f and DFL’s softmax over the last axis (onnxruntime runs them without layout round trips)', () => {
    const model = parseModel(config('yolov8', 'yolov8.yaml'), { scale: 't', nc: 5 }).eval();
    const graph = (ModelProto.decode(exportOnnx(model, { imgsz: 64 })) as unknown as { graph: { node: { opType: string; attribute: { name: string; i?: number | { toNumber(): number } }[] }[] } }).graph;
    const ops = graph.node.map((n) => n.opType);
    expect(ops.filter((o) => o === 'Split')).toHaveLength(1); // Detect's box | class split only
    const softmax = graph.node.filter((n) => n.opType === 'Softmax');
    expect(softmax.map((n) => Number(n.attribute.find((a) => a.name === 'axis')!.i))).toEqual([3]);
    expect(() => new Conv(4, 6).toOnnxChunks(null as never, null as never, 4)).toThrow(/Conv\(4, 6\): 6 channels do not split into 4 chunks/);
    model.dispose();
  });

  it('dynamic batch: one file serves batch 1 and 3', async () => {
    const model = parseModel(config('yolov8', 'yolov8.yaml'), { scale: 't', nc: 5 }).eval();
    const session = await ort.InferenceSession.create(exportOnnx(model, { imgsz: 64, dynamic: true }));
    for (const b of [1, 3]) {
      const out = await session.run({ images: new ort.Tensor('float32', new Float32Array(b * 3 * 64 * 64).fill(0.5), [b, 3, 64, 64]) });
      expect(out.output0!.dims).toEqual([b, 9, 84]);
    }
    model.dispose();
  });

  it('a block without an ONNX export is named', () => {
    const model = parseModel(config('yolov8', 'yolov8.yaml'), { scale: 't', nc: 5 });
    const sppf = model.model.items[9]!;
    (sppf as { toOnnx?: unknown }).toOnnx = undefined;
    expect(() => exportOnnx(model, { imgsz: 64 })).toThrow(/layer 9 \(SPPF\) has no ONNX export/);
    model.dispose();
  });
});
