import { beforeAll, describe, expect, it } from 'vitest';
import * as ort from 'onnxruntime-node';
import { readFileSync } from 'node:fs';
import { exportOnnx, formatNamesLiteral, initBackend, parseModel, parseNamesLiteral, readOnnxInfo } from '../src/index';
import { ModelProto } from '../src/onnx/schema';
import { config, fixture } from './fixtures';

describe('ONNX metadata (ultralytics keys and formats)', () => {
  beforeAll(async () => {
    await initBackend({ backend: 'wasm', log: false });
  });

  it('names: our writer round-trips through the parser, quotes and escapes included', () => {
    const names = ['person', "it's", 'say "hi"', `both ' and "`, 'back\\slash', 'tab\there', ''];
    const lit = formatNamesLiteral(names);
    expect(lit.startsWith("{0: 'person', 1: \"it's\", 2: 'say \"hi\"'")).toBe(true);
    expect(parseNamesLiteral(lit)).toEqual(names);
  });

  it('names: parses literals as ultralytics (Python str(dict)) writes them, and JSON', () => {
    expect(parseNamesLiteral(`{0: 'person', 1: "it's", 2: 'a\\'b', 3: 'traffic light'}`)).toEqual(['person', "it's", "a'b", 'traffic light']);
    expect(parseNamesLiteral('{"0": "cat", "1": "dog"}')).toEqual(['cat', 'dog']);
    expect(parseNamesLiteral('{}')).toEqual([]);
  });

  it('names: bad literals get an error saying what is wrong', () => {
    expect(() => parseNamesLiteral("{0: 'a', 2: 'b'}")).toThrow(/class 1 missing/);
    expect(() => parseNamesLiteral("{0: 'a'")).toThrow(/expected '}'/);
    expect(() => parseNamesLiteral("{0: 'a}")).toThrow(/unterminated string/);
    expect(() => parseNamesLiteral("{0: 'a', 0: 'b'}")).toThrow(/duplicate class 0/);
    expect(() => parseNamesLiteral("['a']")).toThrow(/expected '\{'/);
  });

  it('the exporter writes the keys ultralytics writes, in its formats', async () => {
    const model = parseModel(config('yolov8', 'yolov8.yaml'), { scale: 't', nc: 2 }).eval();
    model.names = ['person', "it's"];
    const bytes = exportOnnx(model, { imgsz: [64, 96], batch: 2 });
    const proto = ModelProto.toObject(ModelProto.decode(bytes)) as { metadataProps: { key: string; value: string }[] };
    const meta = Object.fromEntries(proto.metadataProps.map((p) => [p.key, p.value]));
    for (const k of ['description', 'author', 'date', 'version', 'license', 'docs', 'stride', 'task', 'batch', 'imgsz', 'names'])
      expect(meta[k], k).toBeTypeOf('string');
    expect(meta).toMatchObject({ stride: '32', task: 'detect', batch: '2', imgsz: '[64, 96]', names: `{0: 'person', 1: "it's"}` });
    expect(Number.isNaN(Date.parse(meta.date!))).toBe(false);
    // onnxruntime reads the same props back (what a deployed file is loaded with)
    await ort.InferenceSession.create(bytes);
    model.dispose();
  });
});

describe('readOnnxInfo', () => {
  it('reads our metadata and shapes (dynamic batch is symbolic)', async () => {
    await initBackend({ backend: 'wasm', log: false });
    const model = parseModel(config('yolov8', 'yolov8.yaml'), { scale: 't', nc: 3 }).eval();
    const info = readOnnxInfo(exportOnnx(model, { imgsz: 64, dynamic: true }), 'ours.onnx');
    model.dispose();
    expect(info.metadata).toMatchObject({ imgsz: '[64, 64]', stride: '32', names: "{0: 'class0', 1: 'class1', 2: 'class2'}" });
    expect(info.inputs).toHaveLength(1);
    expect(info.inputs[0]!.name).toBe('images');
    expect(info.inputs[0]!.shape.slice(1)).toEqual([3, 64, 64]);
    expect(typeof info.inputs[0]!.shape[0]).toBe('string');
    expect(info.outputs[0]!.name).toBe('output0');
  });

  it('reads the real ultralytics int8 export: its metadata, names literal and shapes', () => {
    const info = readOnnxInfo(new Uint8Array(readFileSync(fixture('real/yolov8n-ultralytics-int8-dynamic.onnx'))));
    expect(info.metadata).toMatchObject({ stride: '32', task: 'detect', batch: '1', imgsz: '[640, 640]' });
    const names = parseNamesLiteral(info.metadata.names!);
    expect(names).toHaveLength(80);
    expect([names[0], names[5], names[9]]).toEqual(['person', 'bus', 'traffic light']);
    expect(info.inputs).toEqual([{ name: 'images', shape: [1, 3, 640, 640] }]);
    expect(info.outputs).toEqual([{ name: 'output0', shape: [1, 84, 8400] }]);
  });

  it('a truncated or non-ONNX file gets an error naming the file', () => {
    const bytes = new Uint8Array(readFileSync(fixture('real/yolov8n-ultralytics-int8-dynamic.onnx')));
    expect(() => readOnnxInfo(bytes.subarray(0, 100_000), 'cut.onnx')).toThrow(/cut\.onnx: not a readable ONNX model/);
    expect(() => readOnnxInfo(new TextEncoder().encode('{"not": "onnx"}'), 'x.json')).toThrow(/x\.json: not/);
  });
});
