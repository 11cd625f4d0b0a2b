import { existsSync, mkdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { initBackend } from '@yolomods/core';
import { YOLO, type DetectionJson } from '@yolomods/yolov8';
import { CHROMIUM, buildPage, dropPicture, openPage, root } from '../harness.mjs';

// The demo page, built by vite and run in Debian's Chromium: it loads on wasm SIMD (threads, as the
// preview server sends COOP/COEP), and a dropped bus.jpg gives the detections Node gives on the same weights.

const repo = fileURLToPath(new URL('../../../', import.meta.url));
const BUS = path.join(repo, 'fixtures/images/bus.jpg');
const WEIGHTS = path.join(repo, 'fixtures/real/yolov8n-coco-fp16.safetensors');
const INT8 = path.join(repo, 'fixtures/real/yolov8n-ultralytics-int8-dynamic.onnx');
const OUT = path.join(root, 'test-output');

type Opened = Awaited<ReturnType<typeof openPage>>;

describe.skipIf(!existsSync(CHROMIUM))('the web example in Chromium', () => {
  let node: DetectionJson[];
  let opened: Opened;

  beforeAll(async () => {
    await buildPage();
    await initBackend({ backend: 'wasm', log: false });
    const yolo = await YOLO.create({ weights: WEIGHTS, discover: false });
    node = (await yolo.predict(BUS))[0]!.toJSON();
    yolo.dispose();
    opened = await openPage('?backend=wasm');
  }, 300_000);

  afterAll(async () => {
    await opened?.close();
  });

  it('loads on the wasm SIMD backend with threads (cross-origin isolated)', async () => {
    const info = await opened.page.evaluate(async () => ({
      state: document.body.dataset.state,
      status: document.getElementById('status')!.textContent,
      isolated: self.crossOriginIsolated,
      backend: (window as unknown as { yolomods: { backend: string } }).yolomods.backend,
    }));
    expect(info.state, `${info.status}\n${opened.logs.join('\n')}`).toBe('ready');
    expect(info.backend).toBe('wasm');
    expect(info.isolated).toBe(true);
    expect(info.status).toContain('(threads)');
    const wasmFiles = await opened.page.evaluate(() => performance.getEntriesByType('resource').map((e) => e.name).filter((n) => n.endsWith('.wasm')));
    expect(wasmFiles.some((f) => f.includes('threaded-simd'))).toBe(true);
  });

  it('a dropped bus.jpg gives the same detections as Node, and the page shows them', async () => {
    const got = await dropPicture(opened.page, readFileSync(BUS), 'bus.jpg');
    expect(got.error).toBe('');
    expect(got.inputShape).toEqual([640, 480]);
    expect(node.map((d) => d.name)).toEqual(['bus', 'person', 'person', 'person', 'person']);
    expect(got.detections.map((d: DetectionJson) => d.name)).toEqual(node.map((d) => d.name));
    got.detections.forEach((d: DetectionJson, i: number) => {
      const n = node[i]!;
      expect(Math.abs(d.confidence - n.confidence), `${d.name} ${i} conf`).toBeLessThan(1e-3);
      for (const k of ['x1', 'y1', 'x2', 'y2'] as const) expect(Math.abs(d.box[k] - n.box[k]), `${d.name} ${i} ${k}`).toBeLessThan(1);
    });
    const rows = await opened.page.$$eval('#detections tbody tr', (trs) => trs.map((tr) => tr.textContent));
    expect(rows).toHaveLength(node.length);
    expect(rows[0]).toContain('bus');
    // the bus box is drawn in its class colour (ultralytics' palette, class 5 = #48F90A) along its top edge
    const bus = got.detections[0]!.box;
    const px = await opened.page.evaluate(({ x, y }) => {
      const c = document.getElementById('canvas') as HTMLCanvasElement;
      const s = c.width / 810;
      return Array.from(c.getContext('2d')!.getImageData(Math.round(x * s), Math.round(y * s), 1, 1).data.slice(0, 3));
    }, { x: (bus.x1 + bus.x2) / 2, y: bus.y1 });
    expect(px).toEqual([0x48, 0xf9, 0x0a]);
    mkdirSync(OUT, { recursive: true });
    await opened.page.screenshot({ path: path.join(OUT, 'page-bus.jpg'), type: 'jpeg', quality: 75, fullPage: true });
    const status = await opened.page.textContent('#status');
    expect(status).toContain('1 bus, 4 persons');
  }, 300_000);

  it('predicts the same on every kind of page image: Blob, ImageBitmap, <img>, canvas, ImageData', async () => {
    const byKind = await opened.page.evaluate(async (b64) => {
      const s = (window as unknown as { yolomods: { tensors(): number; detector: { predict(x: unknown): Promise<{ toJSON(): unknown[] }> } } }).yolomods;
      const d = s.detector;
      const before = s.tensors();
      const blob = new Blob([Uint8Array.from(atob(b64), (c) => c.charCodeAt(0))], { type: 'image/jpeg' });
      const bitmap = await createImageBitmap(blob, { colorSpaceConversion: 'none' });
      const img = new Image();
      img.src = URL.createObjectURL(blob);
      await img.decode();
      const canvas = document.createElement('canvas');
      [canvas.width, canvas.height] = [bitmap.width, bitmap.height];
      const ctx = canvas.getContext('2d')!;
      ctx.drawImage(bitmap, 0, 0);
      const data = ctx.getImageData(0, 0, canvas.width, canvas.height);
      const out: Record<string, unknown[]> = {};
      for (const [k, v] of Object.entries({ blob, bitmap, img, canvas, data })) out[k] = (await d.predict(v)).toJSON();
      return { out, leaked: s.tensors() - before };
    }, readFileSync(BUS).toString('base64'));
    const { out, leaked } = byKind;
    for (const [kind, dets] of Object.entries(out)) expect(dets, kind).toEqual(out.blob);
    expect(out.blob).toHaveLength(node.length);
    expect(leaked, 'tensors left after five predicts').toBe(0);
  }, 300_000);

  it('.onnx files run on onnxruntime-web: ultralytics int8 detects the bus, and our fp32 export (a picked file) gives onnxruntime-node\'s detections', async () => {
    const yolo = await YOLO.create({ weights: WEIGHTS, discover: false });
    const coco = yolo.names;
    mkdirSync(OUT, { recursive: true });
    const fp32 = path.join(OUT, 'yolov8n-coco.onnx');
    yolo.export({ format: 'onnx', imgsz: 640, file: fp32 });
    yolo.dispose();
    const onnx = await YOLO.create({ model: fp32 });
    const want = (await onnx.predict(BUS))[0]!.toJSON();
    onnx.dispose();
    const web = await openPage('?backend=wasm&model=onnx');
    try {
      // int8 kernels differ between onnxruntime's wasm and native builds, so ultralytics' file is held to what it finds
      expect(await web.page.textContent('#status')).toContain('onnxruntime-web');
      const int8 = await dropPicture(web.page, readFileSync(BUS), 'bus.jpg');
      expect(int8.error).toBe('');
      const count = (n: string) => int8.detections.filter((d: DetectionJson) => d.name === n).length;
      expect(count('bus'), int8.summary).toBe(1);
      expect(count('person'), int8.summary).toBeGreaterThanOrEqual(3);
      // our fp32 export, picked in the weights file input: the same arithmetic as onnxruntime-node
      await web.page.setInputFiles('#weights', fp32);
      await web.page.waitForFunction(() => document.body.dataset.state === 'ready' && document.getElementById('status')!.textContent!.includes('yolov8n-coco.onnx'), null, { timeout: 120_000 });
      const got = await dropPicture(web.page, readFileSync(BUS), 'bus.jpg');
      expect(got.error).toBe('');
      expect(got.inputShape).toEqual([640, 640]);
      expect(want.map((d) => d.name).sort()).toEqual(['bus', 'person', 'person', 'person', 'person']);
      expect(got.detections.map((d: DetectionJson) => d.name)).toEqual(want.map((d) => d.name));
      got.detections.forEach((d: DetectionJson, i: number) => {
        expect(Math.abs(d.confidence - want[i]!.confidence), `${d.name} ${i} conf`).toBeLessThan(1e-3);
        for (const k of ['x1', 'y1', 'x2', 'y2'] as const) expect(Math.abs(d.box[k] - want[i]!.box[k]), `${d.name} ${i} ${k}`).toBeLessThan(1);
      });
      expect(got.detections.map((d: DetectionJson) => coco[d.class])).toEqual(want.map((d) => d.name));
    } finally {
      await web.close();
    }
  }, 300_000);
});
