// End-to-end predict (decode → letterbox → forward → NMS → boxes in original pixels) for yolov8n at
// 640 on each engine: TF.js wasm (1 thread and all cores), onnxruntime-node when installed, and TF.js
// cpu with BENCH_CPU=1 (seconds per image), and PyTorch's forward when `import torch` works. Each engine runs in a fresh process because wasm's thread
// count is fixed at its first start. Build first (`pnpm build`); run `pnpm bench` or this file.
import { spawnSync } from 'node:child_process';
import os from 'node:os';
import { fileURLToPath } from 'node:url';

const self = fileURLToPath(import.meta.url);
const images = ['bus.jpg', 'zidane.jpg'].map((f) => fileURLToPath(new URL(`../../../fixtures/images/${f}`, import.meta.url)));
const cores = os.availableParallelism?.() ?? os.cpus().length;
const torchRef = fileURLToPath(new URL('../../core/bench/torch_ref.py', import.meta.url));

/** PyTorch's YOLOv8n forward at 640 (network only) from core's optional reference script, or null. */
function torchForward() {
  for (const py of ['python3', '/usr/bin/python3']) {
    if (spawnSync(py, ['-c', 'import torch'], { stdio: 'ignore' }).status !== 0) continue;
    const t = spawnSync(py, [torchRef, '--json', '--threads', String(cores)], { encoding: 'utf8', timeout: 30 * 60_000 });
    const last = t.stdout?.trim().split('\n').pop();
    return t.status === 0 && last?.startsWith('{') ? JSON.parse(last) : null;
  }
  return null;
}

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
  const ref = torchForward();
  if (!ref) console.log('PyTorch reference skipped: `python3 -c "import torch"` fails (Debian: apt-get install python3-torch)');
  else console.log(`| PyTorch ${ref.version} CPU, ${ref.threads} threads: network only (best of eager and frozen), no decode/letterbox/NMS | ${ref.fwd640.toFixed(1)} | — | — |`);
}
