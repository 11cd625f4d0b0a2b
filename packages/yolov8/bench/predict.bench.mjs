// End-to-end predict (decode → letterbox → forward → NMS → boxes in original pixels) for yolov8n at
// 640 on each engine: TF.js wasm (1 thread and all cores), onnxruntime-node when installed, and TF.js
// cpu with BENCH_CPU=1 (seconds per image). Each engine runs in a fresh process because wasm's thread
// count is fixed at its first start. Build first (`pnpm build`); run `pnpm bench` or this file.
import { spawnSync } from 'node:child_process';
import os from 'node:os';
import { fileURLToPath } from 'node:url';

const self = fileURLToPath(import.meta.url);
const images = ['bus.jpg', 'zidane.jpg'].map((f) => fileURLToPath(new URL(`../../../fixtures/images/${f}`, import.meta.url)));
const cores = os.availableParallelism?.() ?? os.cpus().length;

async function child(job) {
  const { initBackend, tf } = await import('@yolomods/core');
  const { YOLO } = await import('../dist/index.js');
  await initBackend({ backend: job.device, threads: job.threads, log: false });
  const yolo = await YOLO.create({ model: 'yolov8n.yaml' });
  const opts = { imgsz: 640, backend: job.engine, keepImage: false };
  await yolo.predict(images, opts); // warm-up: kernels, onnxruntime session
  const before = tf.memory().numTensors;
  const rows = [];
  for (let i = 0; i < job.runs; i++) rows.push(...(await yolo.predict(images, opts)));
  const total = rows.map((r) => r.speed.preprocess + r.speed.inference + r.speed.postprocess).sort((a, b) => a - b);
  const sum = (k) => rows.reduce((s, r) => s + r.speed[k], 0);
  const outside = (sum('preprocess') + sum('postprocess')) / (sum('preprocess') + sum('inference') + sum('postprocess'));
  process.stdout.write(`${JSON.stringify({ ms: total[Math.floor(total.length / 2)], outside, leak: tf.memory().numTensors - before })}\n`);
  yolo.dispose();
}

function run(job) {
  const r = spawnSync(process.execPath, [self, '--child', JSON.stringify(job)], { encoding: 'utf8', timeout: 20 * 60_000 });
  const line = r.stdout.trim().split('\n').pop();
  try {
    return JSON.parse(line);
  } catch {
    return { error: (r.stderr || r.stdout).trim().split('\n').slice(-3).join(' ') };
  }
}

if (process.argv[2] === '--child') {
  await child(JSON.parse(process.argv[3]));
} else {
  const jobs = [
    { label: 'TF.js wasm, 1 thread', device: 'wasm', threads: 1, engine: 'tfjs', runs: 5 },
    { label: `TF.js wasm, ${cores} threads`, device: 'wasm', threads: cores, engine: 'tfjs', runs: 5 },
    { label: 'onnxruntime-node (CPU)', device: 'wasm', threads: 1, engine: 'onnxruntime', runs: 10 },
    ...(process.env.BENCH_CPU ? [{ label: 'TF.js cpu', device: 'cpu', engine: 'tfjs', runs: 1 }] : []),
  ];
  console.log(`yolov8n predict at 640, end to end (decode → NMS), bus.jpg + zidane.jpg, median ms per image; ${os.cpus()[0]?.model ?? 'cpu'}, ${cores} cores, Node ${process.versions.node}`);
  console.log('| engine | ms / image | share outside the network | tensors leaked |');
  console.log('|---|---:|---:|---:|');
  for (const { label, ...job } of jobs) {
    const r = run(job);
    if (r.error) console.log(`| ${label} | n/a: ${r.error} | | |`);
    else console.log(`| ${label} | ${r.ms.toFixed(1)} | ${(r.outside * 100).toFixed(0)}% | ${r.leak} |`);
  }
}
