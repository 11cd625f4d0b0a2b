import { existsSync, mkdtempSync, readFileSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { YOLO, generateSynthetic, runCli } from '../src/index';
import { fixture } from './helpers';

const summary = JSON.parse(readFileSync(fixture('model-summary.json'), 'utf8'));
const dir = mkdtempSync(path.join(tmpdir(), 'yolomods-cli-'));
const pt = fixture('checkpoints/yolov8t-nc5-ultralytics.pt');

async function cli(...argv: string[]): Promise<{ code: number; out: string; err: string }> {
  const out: string[] = [];
  const err: string[] = [];
  const code = await runCli(argv, { out: (l) => out.push(l), err: (l) => err.push(l) });
  return { code, out: out.join('\n'), err: err.join('\n') };
}

describe('yolomods CLI', () => {
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('info format=json: the reference layers, parameters, GFLOPs and the per-layer table', async () => {
    const r = await cli('info', 'model=yolov8n-DySample.yaml', 'format=json', 'device=wasm');
    expect(r.code, r.err).toBe(0);
    const j = JSON.parse(r.out);
    const want = summary['yolov8-DySample'].n;
    expect([j.layers, j.parameters, j.gradients]).toEqual([want.layers, want.parameters, want.gradients]);
    expect(Math.abs(j.gflops - want.gflops_640) / want.gflops_640).toBeLessThan(0.01);
    expect(j.table).toHaveLength(23);
    expect(j.table[10]).toMatchObject({ index: 10, from: -1, n: 1, module: 'DySample', arguments: [256, 2, 'lp'] });
    expect(j.summary).toMatch(/^yolov8n-DySample summary: /);
  });

  it('names the valid keys and values when one is wrong', async () => {
    const bad = await cli('info', 'model=yolov8n.yaml', 'imgs=320');
    expect(bad.code).toBe(1);
    expect(bad.err).toMatch(/unknown key 'imgs' \(valid keys: model, weights, scale, nc, device, imgsz, format\)/);
    expect((await cli('export', 'model=yolov8n.yaml', 'format=tflite')).err).toMatch(/format=tflite is not valid; choose one of safetensors, onnx/);
    expect((await cli('predict', 'model=yolov8n.yaml', 'source=x.jpg', 'conf=high')).err).toMatch(/conf=high must be a number/);
    expect((await cli('detect')).err).toMatch(/unknown mode 'detect'; valid modes: predict, info, export, train, val, compare, help/);
    expect((await cli('train', 'model=yolov8n.yaml', 'epoch=3')).err).toMatch(/unknown argument\(s\): epoch \(valid: .*epochs/);
    expect((await cli('help', 'predict')).out).toMatch(/source +image file, directory or glob/);
  });

  it('predict writes annotated images, labels and JSON into an incremented run folder', async () => {
    const args = ['predict', `weights=${pt}`, `source=${fixture('images')}/*.jpg`, 'imgsz=160', 'conf=0.05', 'save_txt=true', 'save_json=true', `project=${dir}`, 'name=p'];
    const r = await cli(...args);
    expect(r.code, r.err).toBe(0);
    // ultralytics prints the inference shape (h x w after the letterbox), here 160 on the long side
    expect(r.err).toMatch(/image 1\/5 .*bus\.jpg: 160x128 /);
    expect(r.err).toMatch(/Speed: [\d.]+ms preprocess, [\d.]+ms inference, [\d.]+ms postprocess per image at shape \(1, 3, \d+, \d+\)/);
    expect(readdirSync(path.join(dir, 'p')).sort()).toEqual(['bus.jpg', 'bus_exif6.jpg', 'dog.jpg', 'labels', 'person.jpg', 'predictions.json', 'zidane.jpg']);
    expect(JSON.parse(readFileSync(path.join(dir, 'p', 'predictions.json'), 'utf8'))).toHaveLength(5);
    expect((await cli(...args)).err).toMatch(new RegExp(`Results saved to ${dir}/p2`));
  });

  it('export safetensors round-trips; export onnx writes a model', async () => {
    const st = path.join(dir, 'm.safetensors');
    expect((await cli('export', `weights=${pt}`, `file=${st}`)).code).toBe(0);
    const y = await YOLO.create({ weights: st });
    expect(y.names).toEqual(['person', 'bicycle', 'car', 'motorcycle', 'bus']);
    y.dispose();
    const onnx = path.join(dir, 'm.onnx');
    const r = await cli('export', `weights=${st}`, 'format=onnx', 'imgsz=96', `file=${onnx}`);
    expect(r.code, r.err).toBe(0);
    expect(existsSync(onnx)).toBe(true);
  });

  it('compare writes the table, CSV and chart with deltas against the first model', async () => {
    const r = await cli('compare', 'models=yolov8n.yaml,yolov8n-DySample.yaml', 'imgsz=64', 'runs=1', `project=${dir}`, 'name=c');
    expect(r.code, r.err).toBe(0);
    expect(r.out).toMatch(/yolov8n-DySample\.yaml.*\+0\.4%/);
    expect(readdirSync(path.join(dir, 'c')).sort()).toEqual(['compare.csv', 'compare.md', 'compare.png']);
  });

  it('compare data=…: trains every model with the same train keys, prints the table, resume=true reuses the finished models', async () => {
    const data = await generateSynthetic({ dir: path.join(dir, 'shapes'), train: 16, val: 8, imgsz: 64, classes: 1, seed: 2 });
    const args = ['models=yolov8.yaml,yolov8-DySample.yaml', `data=${data}`, 'scale=t', 'epochs=1', 'imgsz=64', 'batch=8', 'mosaic=0', 'warmup_epochs=0', 'runs=1', 'device=wasm', `project=${dir}`, 'name=abl'];
    const r = await cli('compare', ...args);
    expect(r.code, r.err).toBe(0);
    expect(r.out).toMatch(/\| model \| params .*GFLOPs@640.*GFLOPs@64 .*mAP50-95/);
    expect(r.out).toMatch(/\| yolov8-DySample\.yaml \| [\d,]+ \| \+/);
    expect(readdirSync(path.join(dir, 'abl')).sort()).toEqual(['1-yolov8', '2-yolov8-DySample', 'compare-epochs.png', 'compare.csv', 'compare.json', 'compare.md', 'compare.png']);
    const again = await cli('compare', ...args.filter((a) => !a.startsWith('name=')), 'resume=true');
    expect(again.code, again.err).toBe(0);
    expect(again.err).toMatch(/yolov8-DySample\.yaml finished earlier, reusing/);
    const metricCells = (out: string) => out.split('\n').filter((l) => l.startsWith('| yolov8')).map((l) => l.split('|').slice(-6, -1));
    expect(metricCells(again.out)).toEqual(metricCells(r.out));
    expect(metricCells(r.out)).toHaveLength(2);
    const bad = await cli('compare', 'models=yolov8n.yaml', 'epochs=3', 'lr0=0.1');
    expect(bad.code).toBe(1);
    expect(bad.err).toMatch(/training keys \(epochs, lr0\) need data=/);
    const unknown = await cli('compare', 'models=yolov8n.yaml', `data=${data}`, 'epoch=3');
    expect(unknown.err).toMatch(/unknown key 'epoch'/);
  }, 300_000);
});
