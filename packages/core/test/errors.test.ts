import { beforeAll, describe, expect, it } from 'vitest';
import { readFileSync } from 'node:fs';
import {
  Conv,
  Module,
  Registry,
  initBackend,
  parseModel,
  parseSafetensors,
  readCase,
  registerStandardBlocks,
  rules,
  tf,
  writeSafetensors,
} from '../src/index';
import { config, fixture } from './fixtures';

const base = readFileSync(config('yolov8', 'yolov8.yaml'), 'utf8');
/** yolov8.yaml with one layer row replaced. */
const withRow = (from: string, to: string) => {
  if (!base.includes(from)) throw new Error(`test setup: '${from}' not in yolov8.yaml`);
  return base.replace(from, to);
};

describe('errors name the culprit', () => {
  beforeAll(async () => {
    await initBackend({ backend: 'wasm', log: false });
  });

  it('unknown module: layer index, the name, the package that provides it', () => {
    const yaml = withRow('- [-1, 1, nn.Upsample, [None, 2, "nearest"]] # 10', '- [-1, 1, DySample, [2, "lp"]] # 10');
    expect(() => parseModel(yaml, { scale: 't' })).toThrow(/layer 10: unknown module 'DySample'.*@yolomods\/dysample/);
  });

  it('unknown module without a known provider lists the closest registered names', () => {
    const yaml = withRow('- [-1, 3, C2f, [512]] # 12', '- [-1, 3, C2F, [512]] # 12');
    expect(() => parseModel(yaml, { scale: 't' })).toThrow(/layer 12: unknown module 'C2F'.*Closest registered modules: C2f/);
  });

  it('forward reference in from', () => {
    const yaml = withRow('- [[-1, 6], 1, Concat, [1]] # 11', '- [[-1, 16], 1, Concat, [1]] # 11');
    expect(() => parseModel(yaml, { scale: 't' })).toThrow(/layer 11 .*'from' 16 refers to layer 16, which is not built yet/);
  });

  it('from reaching before the first layer', () => {
    const yaml = withRow('- [-1, 1, Conv, [128, 3, 2]] # 1-P2/4', '- [-5, 1, Conv, [128, 3, 2]] # 1-P2/4');
    expect(() => parseModel(yaml, { scale: 't' })).toThrow(/layer 1 .*'from' -5 reaches before the first layer/);
  });

  it('non-integer repeats and non-list args', () => {
    expect(() => parseModel(withRow('- [-1, 3, C2f, [128, True]]', '- [-1, two, C2f, [128, True]]'), { scale: 't' })).toThrow(/layer 2 .*repeats must be a positive integer/);
    expect(() => parseModel(withRow('- [-1, 1, SPPF, [1024, 5]] # 9', '- [-1, 1, SPPF, 1024] # 9'), { scale: 't' })).toThrow(/layer 9 .*args must be a list/);
  });

  it('unknown scale lists the valid ones', () => {
    expect(() => parseModel(base, { scale: 'q' })).toThrow(/scale 'q' is not in scales \(n, s, m, l, x, t\)/);
  });

  it('missing scale warns as ultralytics does and takes the first', () => {
    const warnings: string[] = [];
    const m = parseModel(base, { warn: (w) => warnings.push(w) });
    expect(warnings[0]).toMatch(/no model scale passed. Assuming scale='n'/);
    expect(m.yaml.scale).toBe('n');
    m.dispose();
  });

  it('a block that cannot take its input names the layer and shapes at forward time', () => {
    const yaml = withRow('- [[-1, 6], 1, Concat, [1]] # 11', '- [[-1, 4], 1, Concat, [1]] # 11');
    expect(() => parseModel(yaml, { scale: 't' })).toThrow(/layer 11 \(Concat\) failed on input \[1, 16, 16, 128\], \[1, 32, 32, 32\]: Concat: inputs differ/);
  });

  it('missing config file and broken YAML name the file', () => {
    expect(() => parseModel('does-not-exist.yaml')).toThrow(/model config file not found: does-not-exist.yaml/);
    expect(() => parseModel('backbone: [\n  - [-1, 1')).toThrow(/model YAML: /);
  });

  it('loadStateDict reports every missing, unexpected and mis-shaped key at once', () => {
    const c = readCase(fixture('modules/conv_8_16_k3_s2.safetensors'));
    const sd = { ...c.weights };
    delete sd['bn.running_var'];
    sd['bn.extra'] = sd['bn.bias']!;
    sd['conv.weight'] = { dtype: 'float32', shape: [16, 4, 3, 3], data: new Float32Array(16 * 4 * 9) };
    const conv = new Conv(8, 16, 3, 2);
    let msg = '';
    try {
      conv.loadStateDict(sd);
    } catch (e) {
      msg = (e as Error).message;
    }
    expect(msg).toMatch(/conv\.weight: checkpoint \[16, 4, 3, 3\] vs model \[16, 8, 3, 3\]/);
    expect(msg).toMatch(/missing keys \(1\):\n  bn\.running_var/);
    expect(msg).toMatch(/unexpected keys \(1\):\n  bn\.extra/);
    conv.dispose();
  });

  it('re-registering a name with a different builder is refused; the same builder is a no-op', () => {
    const r = registerStandardBlocks(new Registry());
    const build = (...a: never[]) => new Conv(...(a as unknown as [number, number]));
    r.register({ name: 'MyBlock', build, channels: rules.conv });
    expect(() => r.register({ name: 'MyBlock', build, channels: rules.conv })).not.toThrow();
    expect(() => r.register({ name: 'Conv', build, channels: rules.conv })).toThrow(/'Conv' is already registered by @yolomods\/core/);
  });

  it('a custom block registered in user code builds with its own channel rule', () => {
    class Scale extends Module {
      readonly gain: tf.Variable;
      constructor(readonly c: number) {
        super();
        this.gain = this.param('gain', tf.ones([c]));
      }
      forward(x: tf.Tensor) {
        return tf.mul(x, this.gain);
      }
    }
    const r = registerStandardBlocks(new Registry());
    r.register({ name: 'Scale', build: (...a: never[]) => new Scale(a[0] as number), channels: rules.inputChannels });
    const yaml = withRow('- [-1, 1, SPPF, [1024, 5]] # 9', '- [-1, 1, SPPF, [1024, 5]] # 9\n  - [-1, 1, Scale, []] # 9b').replace(/\[\[-1, 9\], 1, Concat/, '[[-1, 10], 1, Concat').replace('[[15, 18, 21], 1, Detect', '[[16, 19, 22], 1, Detect').replace('[[-1, 12], 1, Concat', '[[-1, 13], 1, Concat').replace('[[-1, 6], 1, Concat', '[[-1, 6], 1, Concat').replace('[[-1, 4], 1, Concat', '[[-1, 4], 1, Concat');
    const m = parseModel(yaml, { scale: 't', registry: r });
    expect(m.layers[10]!.type).toBe('Scale');
    expect(m.layers[10]!.args).toEqual([128]);
    expect(m.stateDict()['model.10.gain']!.shape).toEqual([128]);
    m.dispose();
  });

  it('safetensors: truncated files and bad headers are refused with the reason', () => {
    const bytes = writeSafetensors({ a: { dtype: 'float32', shape: [4], data: new Float32Array(4) } });
    expect(() => parseSafetensors(bytes.subarray(0, bytes.length - 4), 'w.safetensors')).toThrow(/w.safetensors: tensor 'a' lies outside the file/);
    expect(() => parseSafetensors(new Uint8Array(4), 'w.safetensors')).toThrow(/w.safetensors: too short/);
  });
});
