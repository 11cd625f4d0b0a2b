import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import sharp from 'sharp';
import { Registry, initBackend, registerStandardBlocks, tf } from '@yolomods/core';
import { YOLO, createModel, findPluginPackages, guessModelScale, unscaledName } from '../src/index';
import { fixture } from './helpers';

const summary = JSON.parse(readFileSync(fixture('model-summary.json'), 'utf8')) as Record<string, Record<string, { parameters: number }>>;
const pt = fixture('checkpoints/yolov8t-nc5-ultralytics.pt');
const akconvYaml = fixture('../packages/akconv/configs/yolov8-AKConv.yaml');

describe('YOLO.create', () => {
  beforeAll(async () => {
    await initBackend({ backend: 'wasm', log: false });
  });

  it('takes the scale letter from the name, as ultralytics', () => {
    expect(guessModelScale('yolov8s-DySample.yaml')).toBe('s');
    expect(guessModelScale('path/yolov8x.yaml')).toBe('x');
    expect(guessModelScale('custom.yaml')).toBeUndefined();
    expect(unscaledName('yolov8s-DySample.yaml')).toBe('yolov8-DySample.yaml');
    expect(unscaledName('yolov8n.yaml')).toBe('yolov8.yaml');
  });

  it('finds a plugin’s bundled YAML by name (installed plugins discovered) and builds it at that scale', async () => {
    for (const [name, cfg, scale] of [['yolov8s-DySample.yaml', 'yolov8-DySample', 's'], ['yolov8n-C2f-DynamicConv.yaml', 'yolov8-C2f-DynamicConv', 'n']] as const) {
      const y = await YOLO.create({ model: name });
      expect(y.info({ imgsz: 0 }).parameters, name).toBe(summary[cfg]![scale]!.parameters);
      expect(y.info({ imgsz: 0 }).summary).toMatch(new RegExp(`^${name.replace('.yaml', '')} summary`));
      y.dispose();
    }
  });

  it('looks for plugins from every root it is given (the working directory and the started script’s folder by default)', () => {
    const tmp = mkdtempSync(path.join(tmpdir(), 'yolomods-roots-'));
    try {
      const pkg = (dir: string, name: string, plugin: boolean) => {
        mkdirSync(dir, { recursive: true });
        writeFileSync(path.join(dir, 'package.json'), JSON.stringify({ name, ...(plugin ? { yolomods: { plugin: true } } : {}) }));
      };
      pkg(path.join(tmp, 'app/node_modules/@acme/yolomods-eca'), '@acme/yolomods-eca', true);
      pkg(path.join(tmp, 'app/node_modules/left-pad'), 'left-pad', false);
      pkg(path.join(tmp, 'elsewhere/node_modules/yolomods-se'), 'yolomods-se', true);
      const names = (roots: string | string[]) => findPluginPackages(roots).map((p) => p.name).filter((n) => !n.startsWith('@yolomods/')).sort();
      expect(names(path.join(tmp, 'app/src'))).toEqual(['@acme/yolomods-eca']);
      expect(names([path.join(tmp, 'elsewhere'), path.join(tmp, 'app')])).toEqual(['@acme/yolomods-eca', 'yolomods-se']);
      expect(names(path.join(tmp, 'nowhere'))).toEqual([]);
    } finally {
      rmSync(tmp, { recursive: true, force: true });
    }
  });

  it('without the plugin: the layer, the block and the package to add', async () => {
    const bare = registerStandardBlocks(new Registry());
    await expect(createModel({ model: akconvYaml, registry: bare, discover: false })).rejects.toThrow(/layer 1.*AKConv.*pnpm add @yolomods\/akconv/s);
    await expect(createModel({ model: 'yolov8n-AKConv.yaml', registry: bare, discover: false })).rejects.toThrow(/yolov8n-AKConv\.yaml ships with @yolomods\/akconv: pnpm add @yolomods\/akconv/);
    await expect(createModel({ model: 'nothing.yaml', discover: false })).rejects.toThrow(/neither a file nor a bundled config.*yolov8\.yaml/);
  });

  it('an ultralytics .pt loads to the same outputs as the safetensors of the same weights, names and nc included', async () => {
    const a = await YOLO.create({ weights: pt });
    expect(a.names).toEqual(['person', 'bicycle', 'car', 'motorcycle', 'bus']);
    const b = await YOLO.create({ weights: a.export({ format: 'safetensors' }) });
    expect(b.names).toEqual(a.names);
    const x = tf.randomUniform([1, 64, 96, 3]) as tf.Tensor4D;
    const [ya, yb] = [a, b].map((m) => {
      const out = m.model.forward(x);
      tf.dispose(out.feats);
      return out.y!;
    });
    expect(tf.max(tf.abs(tf.sub(ya!, yb!))).dataSync()[0]).toBe(0);
    tf.dispose([x, ya!, yb!]);
    a.dispose();
    b.dispose();
  });

  it('weights that do not fit the YAML: every mismatch listed', async () => {
    await expect(YOLO.create({ model: 'yolov8n.yaml', weights: pt })).rejects.toThrow(/yolov8t-nc5-ultralytics\.pt:.*model\.0\.conv\.weight: checkpoint \[\d+, 3, 3, 3\] vs model \[16, 3, 3, 3\]/s);
  });
});

describe('predict', () => {
  let yolo: YOLO;
  let dir: string;
  beforeAll(async () => {
    await initBackend({ backend: 'wasm', log: false });
    yolo = await YOLO.create({ weights: pt });
    dir = mkdtempSync(path.join(tmpdir(), 'yolomods-predict-'));
  });
  afterAll(() => {
    yolo.dispose();
    rmSync(dir, { recursive: true, force: true });
  });

  it('real photos of varied sizes and EXIF orientation: one result each, upright shapes, boxes inside the original image', async () => {
    const results = await yolo.predict(fixture('images'), { imgsz: 160, conf: 0.01 });
    expect(results.map((r) => path.basename(r.path))).toEqual(['bus.jpg', 'bus_exif6.jpg', 'dog.jpg', 'giraffe.png', 'person.jpg', 'zidane.jpg']);
    for (const r of results) {
      const m = await sharp(r.path).rotate().metadata();
      const upright = (m.orientation ?? 1) >= 5 ? [m.width, m.height] : [m.height, m.width];
      expect(r.origShape, r.path).toEqual(upright);
      const [h, w] = r.origShape;
      for (const [x1, y1, x2, y2] of r.boxes.xyxy) {
        expect(x1).toBeGreaterThanOrEqual(0);
        expect(y1).toBeGreaterThanOrEqual(0);
        expect(x2).toBeLessThanOrEqual(w);
        expect(y2).toBeLessThanOrEqual(h);
        expect(x2! - x1!).toBeGreaterThanOrEqual(0);
      }
      expect(r.boxes.conf.every((c, i) => c >= 0.01 && (i === 0 || c <= r.boxes.conf[i - 1]!))).toBe(true);
      expect(r.speed.inference).toBeGreaterThan(0);
    }
    expect(results[1]!.origShape).toEqual([1080, 810]);
  });

  it('boxes are in original pixels: the same picture at twice the size gives the boxes ×2', async () => {
    // A smooth picture and its exact 2x nearest upscale letterbox to the same network input.
    const small = tf.tidy(() => {
      const yy = tf.linspace(0, 1, 96).reshape([96, 1, 1]);
      const xx = tf.linspace(0, 1, 160).reshape([1, 160, 1]);
      return tf.concat([tf.add(tf.mul(yy, tf.ones([1, 160, 1])), 0), tf.mul(tf.ones([96, 1, 1]), xx), tf.mul(tf.sin(tf.mul(tf.add(yy, xx), 9)), 0.5).add(0.5)], 2);
    }) as tf.Tensor3D;
    const big = tf.tidy(() => tf.image.resizeNearestNeighbor(small, [192, 320]));
    const [a, b] = await yolo.predict([small, big], { imgsz: 160, conf: 0.001, maxDet: 20 });
    tf.dispose([small, big]);
    expect(a!.origShape).toEqual([96, 160]);
    expect(b!.origShape).toEqual([192, 320]);
    expect(a!.length).toBeGreaterThan(3);
    const top = Math.min(a!.length, b!.length, 5);
    for (let i = 0; i < top; i++) {
      a!.boxes.xyxy[i]!.forEach((v, j) => expect(Math.abs(b!.boxes.xyxy[i]![j]! - 2 * v)).toBeLessThan(3));
    }
  });

  it('saves the annotated image, the labels and JSON', async () => {
    const [r] = await yolo.predict(fixture('images/zidane.jpg'), { imgsz: 160, conf: 0.01, maxDet: 5 });
    const file = await r!.save(path.join(dir, 'zidane.jpg'));
    expect(await sharp(file).metadata()).toMatchObject({ width: 1280, height: 720, format: 'jpeg' });
    const txt = readFileSync(r!.saveTxt(path.join(dir, 'labels/zidane.txt'), { saveConf: true }), 'utf8').trim().split('\n');
    expect(txt).toHaveLength(r!.length);
    expect(txt[0]!.split(' ')).toHaveLength(6);
    const json = JSON.parse(readFileSync(r!.saveJson(path.join(dir, 'zidane.json')), 'utf8'));
    expect(json[0]).toMatchObject({ name: yolo.names[r!.boxes.cls[0]!], confidence: r!.boxes.conf[0] });
  });

  it('100 images leave tf.memory().numTensors where it started', async () => {
    const img = tf.randomUniform([48, 64, 3]) as tf.Tensor3D;
    await yolo.predict(img, { imgsz: 64 });
    const before = tf.memory().numTensors;
    const results = await yolo.predict(Array.from({ length: 100 }, () => img), { imgsz: 64, keepImage: false });
    expect(results).toHaveLength(100);
    expect(tf.memory().numTensors).toBe(before);
    img.dispose();
  });

  it('onnxruntime backend gives the same detections as TF.js', async () => {
    const src = fixture('images/bus.jpg');
    const [t] = await yolo.predict(src, { imgsz: 160, conf: 0.05, rect: false });
    const [o] = await yolo.predict(src, { imgsz: 160, conf: 0.05, backend: 'onnxruntime' });
    expect(t!.length).toBeGreaterThan(0);
    const n = Math.min(t!.length, o!.length, 5);
    for (let i = 0; i < n; i++) {
      expect(o!.boxes.cls[i]).toBe(t!.boxes.cls[i]);
      expect(Math.abs(o!.boxes.conf[i]! - t!.boxes.conf[i]!)).toBeLessThan(1e-3);
      o!.boxes.xyxy[i]!.forEach((v, j) => expect(Math.abs(v - t!.boxes.xyxy[i]![j]!)).toBeLessThan(0.5));
    }
  });

  it('fusionMaps: a Detect_ASFF model returns per-level weight maps (shares sum to 1) and leaves nothing behind', async () => {
    const asff = await YOLO.create({ model: 'yolov8n-ASFF.yaml', nc: 2 });
    const img = tf.randomUniform([64, 96, 3]) as tf.Tensor3D;
    await asff.predict(img, { imgsz: 96, fusionMaps: true });
    const before = tf.memory().numTensors;
    const [r] = await asff.predict(img, { imgsz: 96, fusionMaps: true });
    expect(tf.memory().numTensors).toBe(before);
    expect(r!.fusionMaps!.map((m) => [m.height, m.width])).toEqual([[8, 12], [4, 6], [2, 3]]);
    for (const m of r!.fusionMaps!) for (let i = 0; i < m.data.length; i += 3) expect(Math.abs(m.data[i]! + m.data[i + 1]! + m.data[i + 2]! - 255)).toBeLessThanOrEqual(2);
    expect(await sharp(await r!.saveFusionMaps(path.join(dir, 'fusion.png'))).metadata()).toMatchObject({ width: 36, height: 8 });
    const [plain] = await asff.predict(img, { imgsz: 96 });
    expect(plain!.fusionMaps).toBeUndefined();
    await expect(yolo.predict(img, { fusionMaps: true })).rejects.toThrow(/fusionMaps needs a head that keeps fusion weights \(Detect_ASFF/);
    img.dispose();
    asff.dispose();
  });

  it('samplingPoints: DAttention key positions in original pixels (zero offsets: the seed reference grid, cell corners)', async () => {
    const dat = await YOLO.create({ model: 'yolov8n-DAttention.yaml', nc: 2 });
    const key = 'model.10.conv_offset.3.weight';
    const w = dat.model.stateDict()[key]!;
    dat.model.loadStateDict({ [key]: { data: new Float32Array(w.data.length), shape: w.shape } }, { strict: false });
    const img = tf.randomUniform([320, 320, 3]) as tf.Tensor3D;
    await dat.predict(img, { imgsz: 320, samplingPoints: true });
    const before = tf.memory().numTensors;
    const [r] = await dat.predict(img, { imgsz: 320, samplingPoints: true, conf: 0.9 });
    expect(tf.memory().numTensors).toBe(before);
    expect(r!.samplingPoints!.map((s) => s.layer)).toEqual([10]);
    const pts = r!.samplingPoints![0]!.points;
    expect(pts).toHaveLength(100);
    // Reference point i + 0.5 in align-corners cells of the stride-32 map (clamped to the last cell, 9, as the seed
    // clamps to [-1, 1]) is the pixel (i + 1)·32: the corner between cells i and i + 1.
    const px = (i: number) => (Math.min(i + 0.5, 9) + 0.5) * 32;
    pts.forEach(([x, y], k) => {
      expect(x).toBeCloseTo(px(k % 10), 3);
      expect(y).toBeCloseTo(px(Math.floor(k / 10)), 3);
    });
    expect(await sharp(await r!.saveSamplingPoints(path.join(dir, 'points.png'))).metadata()).toMatchObject({ width: 320, height: 320 });
    const [plain] = await dat.predict(img, { imgsz: 320 });
    expect(plain!.samplingPoints).toBeUndefined();
    expect(tf.memory().numTensors).toBe(before);
    await expect(yolo.predict(img, { samplingPoints: true })).rejects.toThrow(/samplingPoints needs a deformable-attention block.*DAttention from @yolomods\/dat/);
    img.dispose();
    dat.dispose();
  });
});
