// The pipeline around the network, on the COCO YOLOv8n weights (and, where ../shared has coco128, its val
// mAP against ultralytics' pipeline):
//  1. pre (letterbox + input tensor) and post (NMS + boxes to original pixels) for bus.jpg (810×1080) at
//     640, decode timed apart — target: pre + post ≤ 5 ms;
//  2. end-to-end predict (decode → boxes) on 32 real pictures (coco128 from ../shared when present, else
//     the repo's pictures repeated) through onnxruntime (the .onnx file alone) and TF.js wasm, beside
//     PyTorch running ultralytics' preprocessing, the same network (BatchNorm fused) and NMS, in one run —
//     target: onnxruntime end to end ≤ 0.8× PyTorch's.
// Square 640 letterbox everywhere (a static ONNX graph's input). Build first (`pnpm build`).
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const self = fileURLToPath(import.meta.url);
const here = (rel) => fileURLToPath(new URL(rel, import.meta.url));
const WEIGHTS = here('../../../fixtures/real/yolov8n-coco-fp16.safetensors');
const BUS = here('../../../fixtures/images/bus.jpg');
const REF = here('../test/fixtures/ultralytics_ref.py');
const cores = os.availableParallelism?.() ?? os.cpus().length;

function pictures() {
  const coco128 = here('../../../../shared/fixtures/real/datasets/coco128/images/train2017');
  if (existsSync(coco128)) return { from: 'coco128', files: readdirSync(coco128).sort().slice(0, 32).map((f) => path.join(coco128, f)) };
  const dir = here('../../../fixtures/images');
  const own = readdirSync(dir).sort().map((f) => path.join(dir, f));
  return { from: 'the repo pictures, repeated', files: Array.from({ length: 32 }, (_, i) => own[i % own.length]) };
}

const median = (v) => [...v].sort((a, b) => a - b)[Math.floor(v.length / 2)];

async function child(job) {
  const { initBackend, tf } = await import('@yolomods/core');
  const y8 = await import('../dist/index.js');
  await initBackend({ backend: 'wasm', threads: job.threads, log: false });
  if (job.kind === 'coco128') {
    const yolo = await y8.YOLO.create({ model: 'yolov8n.yaml', weights: WEIGHTS });
    const r = await yolo.val({ data: job.data, verbose: false });
    yolo.dispose();
    return { map50: r.results['metrics/mAP50(B)'], map: r.results['metrics/mAP50-95(B)'] };
  }
  if (job.kind === 'prepost') {
    const yolo = await y8.YOLO.create({ model: 'yolov8n.yaml', weights: WEIGHTS });
    const t0 = performance.now();
    const img = await y8.decodeImage(BUS);
    const decode = performance.now() - t0;
    const pre = { nhwc: [], nchw: [] };
    let lb;
    // what predict runs: letterbox straight into the input array, which predict reuses between pictures
    // (10 warm-up rounds, then 40 timed)
    const inputs = { nhwc: new Float32Array(3 * 640 * 640), nchw: new Float32Array(3 * 640 * 640) };
    for (let i = 0; i < 50; i++) {
      for (const layout of ['nhwc', 'nchw']) {
        const s = performance.now();
        const x = y8.letterboxInput(img, 640, { auto: false, layout, out: inputs[layout] });
        if (i >= 10) pre[layout].push(performance.now() - s);
        if (layout === 'nhwc') lb = x;
      }
    }
    yolo.model.eval();
    const out = tf.tidy(() => yolo.model.forward(tf.tensor4d(lb.input, [1, 640, 640, 3])).y);
    const raw = out.dataSync();
    const dims = out.shape;
    out.dispose();
    const post = [];
    let count = 0;
    for (let i = 0; i < 50; i++) {
      const s = performance.now();
      const [det] = y8.nmsOnArray(raw, dims, 'bac', { conf: 0.25, iou: 0.7 });
      y8.scaleBoxes([640, 640], det.xyxy, [img.height, img.width]);
      if (i >= 10) post.push(performance.now() - s);
      count = det.count;
    }
    yolo.dispose();
    return { decode, preNhwc: median(pre.nhwc), preNchw: median(pre.nchw), post: median(post), count };
  }
  const { files } = pictures();
  let yolo = await y8.YOLO.create({ model: 'yolov8n.yaml', weights: WEIGHTS });
  if (job.kind === 'onnx') {
    const file = path.join(mkdtempSync(path.join(os.tmpdir(), 'yolomods-bench-')), 'yolov8n-coco.onnx');
    yolo.export({ format: 'onnx', imgsz: 640, file });
    yolo.dispose();
    yolo = await y8.YOLO.create({ model: file });
  }
  const opts = { imgsz: 640, rect: false, keepImage: false };
  await yolo.predict(files.slice(0, 2), opts); // warm-up
  const rows = [];
  for (let pass = 0; pass < job.passes; pass++) rows.push(...(await yolo.predict(files, opts)));
  const pick = (k) => median(rows.map((r) => r.speed[k]));
  const total = median(rows.map((r) => r.speed.decode + r.speed.preprocess + r.speed.inference + r.speed.postprocess));
  yolo.dispose();
  return { decode: pick('decode'), pre: pick('preprocess'), net: pick('inference'), post: pick('postprocess'), total };
}

function run(job) {
  const r = spawnSync(process.execPath, [self, '--child', JSON.stringify(job)], { encoding: 'utf8', timeout: 30 * 60_000 });
  try {
    return JSON.parse(r.stdout.trim().split('\n').pop());
  } catch {
    return { error: (r.stderr || r.stdout).trim().split('\n').slice(-3).join(' ') };
  }
}

function torchRun(files) {
  for (const py of ['/usr/bin/python3', 'python3']) {
    if (spawnSync(py, ['-c', 'import torch, cv2'], { stdio: 'ignore' }).status !== 0) continue;
    const r = spawnSync(py, [REF, WEIGHTS, os.devNull, '--threads', String(cores), '--bench', ...files], { encoding: 'utf8', timeout: 30 * 60_000 });
    const last = r.stdout?.trim().split('\n').pop();
    return r.status === 0 && last?.startsWith('{') ? JSON.parse(last) : { error: r.stderr?.trim().split('\n').slice(-2).join(' ') };
  }
  return { error: '`import torch, cv2` fails (Debian: apt-get install python3-torch python3-opencv)' };
}

if (process.argv[2] === '--child') {
  process.stdout.write(`${JSON.stringify(await child(JSON.parse(process.argv[3])))}\n`);
} else {
  const f = (v) => (typeof v === 'number' ? v.toFixed(1) : 'n/a');
  console.log(`yolomods pipeline, yolov8n COCO weights at 640; ${os.cpus()[0]?.model ?? 'cpu'}, ${cores} cores, Node ${process.versions.node}`);
  const pp = run({ kind: 'prepost', threads: 1 });
  if (pp.error) console.log(`pre/post: n/a: ${pp.error}`);
  else {
    console.log(`\nbus.jpg (810×1080) → 640, median of 40: decode ${f(pp.decode)} ms (apart), pre ${pp.preNhwc.toFixed(2)} ms (NHWC) / ${pp.preNchw.toFixed(2)} ms (NCHW), post ${pp.post.toFixed(2)} ms (${pp.count} boxes)`);
    console.log(`pre + post = ${(pp.preNhwc + pp.post).toFixed(2)} ms (target ≤ 5 ms: ${pp.preNhwc + pp.post <= 5 ? 'met' : 'NOT met'})`);
  }
  // fidelity on coco128 (22 MB, not in the repo): our val against ultralytics' pipeline on the same weights
  const coco128 = here('../../../../shared/fixtures/real/datasets/coco128/data.yaml');
  if (existsSync(coco128)) {
    const ref = JSON.parse(readFileSync(here('../test/fixtures/ultralytics_ref.json'), 'utf8')).val.coco128;
    const v = run({ kind: 'coco128', threads: cores, data: coco128 });
    if (v.error) console.log(`\ncoco128 val: n/a: ${v.error}`);
    else {
      const d = Math.max(Math.abs(v.map - ref['mAP50-95']), Math.abs(v.map50 - ref.mAP50));
      console.log(`\ncoco128 val: mAP50-95 ${v.map.toFixed(4)} (ultralytics pipeline ${ref['mAP50-95'].toFixed(4)}), mAP50 ${v.map50.toFixed(4)} (${ref.mAP50.toFixed(4)}): ${d < 0.003 ? 'within' : 'NOT within'} 0.003`);
    }
  }
  const { from, files } = pictures();
  const torch = torchRun(files);
  const jobs = [
    { label: 'onnxruntime-node, the .onnx file alone', kind: 'onnx', threads: 1, passes: 2 },
    { label: `TF.js wasm, ${cores} threads`, kind: 'tfjs', threads: cores, passes: 1 },
  ];
  console.log(`\nEnd to end per image, median over 32 pictures (${from}), ms:`);
  console.log('| engine | decode | pre | network | post | end to end | × PyTorch |');
  console.log('|---|---:|---:|---:|---:|---:|---:|');
  const ratio = (t) => (torch.total ? `${(t / torch.total).toFixed(2)}×` : 'n/a');
  for (const { label, ...job } of jobs) {
    const r = run(job);
    if (r.error) console.log(`| ${label} | n/a: ${r.error} | | | | | |`);
    else console.log(`| ${label} | ${f(r.decode)} | ${f(r.pre)} | ${f(r.net)} | ${f(r.post)} | ${f(r.total)} | ${ratio(r.total)} |`);
  }
  if (torch.error) console.log(`| PyTorch | n/a: ${torch.error} | | | | | |`);
  else console.log(`| PyTorch ${torch.torch} CPU, ${torch.threads} threads (cv2 + torch, BatchNorm fused) | ${f(torch.decode)} | ${f(torch.pre)} | ${f(torch.net)} | ${f(torch.post)} | ${f(torch.total)} | 1.00× |`);
}
