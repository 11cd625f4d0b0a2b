import { beforeAll, describe, expect, it } from 'vitest';
import * as ort from 'onnxruntime-node';
import { exportOnnx, formatNamesLiteral, initBackend, parseModel, parseNamesLiteral } from '../src/index';
import { ModelProto } from '../src/onnx/schema';
import { config } from './fixtures';

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
