// Budgets of the web example (issue 21), measured in one run on this machine:
//  1. page JS, gzipped, without the wasm binaries — target ≤ 400 KB. The webgpu backend and onnxruntime-web are
//     lazy chunks (fetched only where the browser has WebGPU / when an .onnx model is chosen): reported apart,
//     and the verdict is for the start-up JS and for a session that fetches every chunk;
//  2. yolov8n (COCO weights) on bus.jpg at 640 (640×480 rectangle) on wasm SIMD with threads in headless
//     Chromium: the predict's inference stage (forward + reading the output), median of 10 after 2 warm-ups —
//     target ≤ 350 ms — beside onnxruntime-node running the same network exported to ONNX, same input size.
// Build first (`pnpm build`); needs /usr/bin/chromium.
import { readdirSync, readFileSync, statSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { gzipSync } from 'node:zlib';
import { buildPage, dropPicture, openPage, root } from '../harness.mjs';

const repo = fileURLToPath(new URL('../../../', import.meta.url));
const BUS = path.join(repo, 'fixtures/images/bus.jpg');
const WEIGHTS = path.join(repo, 'fixtures/real/yolov8n-coco-fp16.safetensors');
const median = (v) => [...v].sort((a, b) => a - b)[Math.floor(v.length / 2)];

await buildPage();
const assets = path.join(root, 'dist/assets');
const html = readFileSync(path.join(root, 'dist/index.html'), 'utf8');
const js = readdirSync(assets).filter((f) => f.endsWith('.js')).map((f) => {
  const bytes = readFileSync(path.join(assets, f));
  return { f, raw: statSync(path.join(assets, f)).size, gz: gzipSync(bytes, { level: 9 }).length, initial: html.includes(f) };
});
const kb = (b) => (b / 1024).toFixed(1);
const initial = js.filter((j) => j.initial).reduce((s, j) => s + j.gz, 0);
const total = js.reduce((s, j) => s + j.gz, 0);
console.log('page JS (gzip -9, wasm binaries excluded):');
for (const j of js) console.log(`  ${j.f.padEnd(28)} ${kb(j.raw).padStart(8)} KB  gz ${kb(j.gz).padStart(7)} KB${j.initial ? '' : '  (lazy)'}`);
const verdict = (b) => (b <= 400 * 1024 ? 'met' : 'NOT met');
console.log(`  start-up ${kb(initial)} KB (budget 400 KB: ${verdict(initial)}); with every lazy chunk ${kb(total)} KB (${verdict(total)})`);

const { page, close } = await openPage('?backend=wasm');
const bus = readFileSync(BUS);
const inference = [];
let shape;
for (let i = 0; i < 12; i++) {
  const r = await dropPicture(page, bus, 'bus.jpg');
  if (r.error) throw new Error(r.error);
  shape = r.inputShape;
  if (i >= 2) inference.push(r.speed.inference);
}
const status = await page.textContent('#status');
await close();
const web = median(inference);

// onnxruntime-node on the same weights and input size, in this process.
const { initBackend } = await import('@yolomods/core');
const { YOLO, OnnxDetector } = await import('@yolomods/yolov8');
await initBackend({ backend: 'wasm', log: false });
const yolo = await YOLO.create({ weights: WEIGHTS, discover: false });
const det = await OnnxDetector.load(yolo.export({ format: 'onnx', imgsz: shape }));
yolo.dispose();
const x = new Float32Array(3 * shape[0] * shape[1]).fill(0.5);
const ort = [];
for (let i = 0; i < 12; i++) {
  const t = performance.now();
  await det.forward(x, [1, 3, shape[0], shape[1]]);
  if (i >= 2) ort.push(performance.now() - t);
}
await det.dispose();
const onnx = median(ort);
console.log(`\nyolov8n forward at ${shape.join('x')} (${status?.split(' · ')[0]}):`);
console.log(`  page, wasm SIMD + threads   ${web.toFixed(1).padStart(7)} ms  = ${(web / onnx).toFixed(2)}× onnxruntime — budget 350 ms: ${web <= 350 ? 'met' : 'NOT met'}`);
console.log(`  onnxruntime-node (same run) ${onnx.toFixed(1).padStart(7)} ms  = 1.00×`);
