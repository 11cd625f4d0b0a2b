import { beforeAll, describe, expect, it } from 'vitest';
import path from 'node:path';
import * as ort from 'onnxruntime-node';
import { OnnxBuilder, assertClose, exportOnnx, initBackend, nchwToNhwc, nhwcToNchw, parseModel, readCase, tf, type HostTensor } from '@yolomods/core';
import { DAttention, configsDir } from '../src/index';
import { fixture } from './fixtures';

const host = (t: ort.Tensor): HostTensor => ({ dtype: 'float32', shape: [...t.dims], data: t.data as Float32Array });

/** Exports one DAttention for an NCHW input shape and runs it in onnxruntime on `x` (NCHW). */
async function runOnnx(m: DAttention, shape: number[], x: HostTensor, opts: { opset?: number; dynamic?: boolean } = {}): Promise<HostTensor> {
  const g = new OnnxBuilder(opts.opset ?? 17, opts.dynamic ?? false);
  g.output(m.toOnnx(g, g.input('x', shape)), 'y');
  const session = await ort.InferenceSession.create(g.encode());
  const out = await session.run({ x: new ort.Tensor('float32', x.data as Float32Array, x.shape) });
  await session.release();
  return host(out.y!);
}

/** TF.js eval forward of `x` (NCHW host tensor), returned NCHW. */
function tfForward(m: DAttention, x: HostTensor): HostTensor {
  return tf.tidy(() => {
    const y = nhwcToNchw(m.forward(nchwToNhwc(x) as tf.Tensor4D));
    return { dtype: 'float32', shape: y.shape, data: y.dataSync() as Float32Array };
  });
}

/** Deterministic input in [-2, 2) (NCHW). */
function input(shape: number[], seed: number): HostTensor {
  const data = new Float32Array(shape.reduce((a, b) => a * b, 1));
  let s = seed >>> 0;
  for (let i = 0; i < data.length; i++) data[i] = ((s = (Math.imul(s, 1664525) + 1013904223) >>> 0) / 2 ** 32) * 4 - 2;
  return { dtype: 'float32', shape, data };
}

const TOL = { atol: 1e-4, rtol: 1e-4 };

describe('ONNX export of DAttention', () => {
  beforeAll(async () => {
    await initBackend({ backend: 'wasm', log: false });
  });

  it('yolov8-DAttention scale t runs in onnxruntime and matches the PyTorch reference and the TF.js forward', async () => {
    const c = readCase(fixture('models/model_yolov8-DAttention_t.safetensors'));
    const model = parseModel(path.join(configsDir, 'yolov8-DAttention.yaml'), { scale: 't', nc: 5 }).loadStateDict(c.weights).eval();
    const session = await ort.InferenceSession.create(exportOnnx(model, { imgsz: [96, 128], batch: 2 }));
    const x = c.inputs[0]!;
    const out = await session.run({ images: new ort.Tensor('float32', x.data as Float32Array, x.shape) });
    const got = host(out.output0!);
    assertClose(got, c.outputs[0]!, c.meta.tolerance.y, 'onnx y vs PyTorch');
    const ours = tf.tidy(() => tf.transpose(model.forward(nchwToNhwc(x) as tf.Tensor4D).y!, [0, 2, 1]));
    assertClose(got, { dtype: 'float32', shape: ours.shape, data: ours.dataSync() as Float32Array }, { atol: 2e-3, rtol: 1e-4 }, 'onnx y vs TF.js');
    ours.dispose();
    await session.release();
    model.dispose();
  });

  for (const opset of [16, 17, 20]) {
    it(`the module case (2x32x6x8) matches PyTorch at opset ${opset}`, async () => {
      const c = readCase(fixture('modules/dattention_c32_6x8.safetensors'));
      const m = new DAttention(32).loadStateDict(c.weights).eval();
      const got = await runOnnx(m, c.inputs[0]!.shape, c.inputs[0]!, { opset });
      assertClose(got, c.outputs[0]!, c.meta.tolerance.forward, `opset ${opset} vs PyTorch`);
      m.dispose();
    });
  }

  it('a dynamic batch: exported for 2, run on 3', async () => {
    const c = readCase(fixture('modules/dattention_c32_6x8.safetensors'));
    const m = new DAttention(32).loadStateDict(c.weights).eval();
    const x = input([3, 32, 6, 8], 5);
    const got = await runOnnx(m, c.inputs[0]!.shape, x, { dynamic: true });
    expect(got.shape).toEqual([3, 32, 6, 8]);
    assertClose(got, tfForward(m, x), TOL, 'dynamic batch vs TF.js');
    m.dispose();
  });

  // Random weights: offsets of order 1 push samples past the border (zeros padding) and into the clamp.
  const variants: [string, () => DAttention, number[]][] = [
    ['n_groups=2, offset_range_factor=2 (tanh), stride 2', () => new DAttention(32, null, 8, 2, 0, 0, 2, 2), [2, 32, 6, 8]],
    ['n_groups=4, ksize 3, non-square 5x9', () => new DAttention(32, null, 8, 4, 0, 0, 1, -1, true, true, false, false, 3), [1, 32, 5, 9]],
    ['use_pe=false', () => new DAttention(16, null, 8, 1, 0, 0, 1, -1, false), [2, 16, 4, 5]],
    ['no_off, stride 1', () => new DAttention(16, null, 8, 1, 0, 0, 1, -1, true, true, true), [1, 16, 4, 6]],
    ['no_off, stride 2 (average-pooled keys)', () => new DAttention(16, null, 8, 1, 0, 0, 2, -1, true, true, true), [2, 16, 6, 8]],
  ];
  for (const [label, make, shape] of variants) {
    it(`${label}: onnxruntime matches the TF.js forward`, async () => {
      const m = make().eval();
      const x = input(shape, 11);
      const want = tfForward(m, x);
      const got = await runOnnx(m, shape, x);
      assertClose(got, want, TOL, label);
      m.dispose();
    });
  }

  it('refuses opsets without GridSample and inputs it cannot export, naming DAttention', () => {
    const m = new DAttention(16);
    const g = new OnnxBuilder(15);
    expect(() => m.toOnnx(g, g.input('x', [1, 16, 6, 8]))).toThrow('DAttention: ONNX export samples keys with GridSample, which needs opset ≥ 16 (got 15)');
    const g17 = new OnnxBuilder(17);
    expect(() => m.toOnnx(g17, g17.input('x', [1, 8, 6, 8]))).toThrow('DAttention(16): expected an NCHW input [B, 16, H, W] to export, got [1, 8, 6, 8]');
    expect(() => m.toOnnx(g17, g17.input('y', [1, 16, 1, 8]))).toThrow(/key grid 1x8 of a 1x8 input needs at least 2 rows/);
    m.dispose();
  });
});
