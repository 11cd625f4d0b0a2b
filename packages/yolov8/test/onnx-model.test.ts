import { writeFileSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { OnnxBuilder, readOnnxInfo } from '@yolomods/core';
import { OnnxDetector } from '../src/onnx-model';
import { fixture } from './helpers';

const INT8 = fixture('real/yolov8n-ultralytics-int8-dynamic.onnx');

describe('OnnxDetector (a model from an .onnx file alone)', () => {
  it('loads the real ultralytics int8 export: names, stride, imgsz from its metadata; forward gives [1, 84, 8400]', async () => {
    const det = await OnnxDetector.load(INT8);
    expect(det.names).toHaveLength(80);
    expect(det.names[5]).toBe('bus');
    expect([det.stride, det.imgsz, det.batch, det.dynamic]).toEqual([32, [640, 640], 1, false]);
    const y = await det.forward(new Float32Array(3 * 640 * 640).fill(0.5), [1, 3, 640, 640]);
    expect(y.shape).toEqual([1, 84, 8400]);
    expect(y.data.every(Number.isFinite)).toBe(true);
    await det.dispose();
  });

  it('names= overrides the metadata; a count that does not match the head is an error naming the file', async () => {
    const names = Array.from({ length: 80 }, (_, i) => `c${i}`);
    const det = await OnnxDetector.load(INT8, { names });
    expect(det.names[79]).toBe('c79');
    await det.dispose();
    await expect(OnnxDetector.load(INT8, { names: ['a', 'b'] })).rejects.toThrow(/int8-dynamic\.onnx: 2 class names given but the output has 80 classes/);
  });

  it('a classifier output [1, 1000] is refused as not a detect head, naming the file', async () => {
    const g = new OnnxBuilder(17, false);
    const x = g.input('images', [1, 3, 32, 32]);
    const pooled = g.op('GlobalAveragePool', [x], {}, [1, 3, 1, 1]);
    const flat = g.op('Flatten', [pooled], { axis: 1 }, [1, 3]);
    g.output(g.op('Tile', [flat, g.ints([1, 334], 'reps')], {}, [1, 1002]), 'output0');
    const file = join(mkdtempSync(join(tmpdir(), 'onnx-')), 'classifier.onnx');
    writeFileSync(file, g.encode({}));
    expect(readOnnxInfo(g.encode({})).outputs[0]!.shape).toEqual([1, 1002]);
    await expect(OnnxDetector.load(file)).rejects.toThrow(/classifier\.onnx: output 'output0' \[1,1002\] is not a detect head/);
  });

  it('a truncated file is refused naming the file', async () => {
    const file = join(mkdtempSync(join(tmpdir(), 'onnx-')), 'cut.onnx');
    writeFileSync(file, new Uint8Array(1000).fill(0xff));
    await expect(OnnxDetector.load(file)).rejects.toThrow(/cut\.onnx: not/);
  });
});
